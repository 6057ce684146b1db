//! Flags, environment, keyring and prompts, turned into plain [`ConnectSettings`].
//!
//! Each input resolves in a fixed order: flag, environment, stored (keyring), prompt
//! (only when [`Ui::can_prompt`]), else an error naming the flag to pass. Everything is
//! checked here, before the first network call (DESIGN.md §5): every value is bounded in
//! length, a token file is read up to [`MAX_TOKEN_FILE_LEN`] and never further, URLs carry
//! no userinfo, port 0, query or fragment, and every check that needs no prompt runs
//! before the first prompt. A bad value is a usage error (exit 2) that names the flag and
//! the value (never a token's value).

use std::cell::Cell;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::runtime::Runtime;
use url::Url;

use crate::apono::AponoClient;
use crate::cli::{ConnectArgs, ServiceArgs};
use crate::error::{ExitKind, Failure};
use crate::http::{HttpSettings, check_secure_url};
use crate::okta::OktaClient;
use crate::org::observe;
use crate::org::role::AdminRole;
use crate::secret::{NoKeyring, OsKeyring, Secret, TokenStore};
use crate::ui::{Check, Ui, prompt_failure};

/// The longest wait for Apono to report the integration `Active` (`--wait`) by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// The most a token file (or stdin) is read: a token is at most 4 KiB, so anything past
/// this is the wrong file, and reading on (`/dev/zero`) would never end.
pub const MAX_TOKEN_FILE_LEN: u64 = 64 * 1024;
/// The longest name, label, id or `KEY=VALUE` accepted on the command line, in bytes.
/// (The Okta reference document sets no length for an app label.)
pub const MAX_TEXT_LEN: usize = 1024;
/// The admin roles `--admin-role` accepts: Okta's standard role types, as the
/// reference document's `StandardRoleAssignmentSchema` lists them. `CUSTOM` is left out:
/// it needs a custom role and a resource set, which this flag cannot carry.
pub const STANDARD_ADMIN_ROLES: [&str; 12] = [
    "ACCESS_CERTIFICATIONS_ADMIN",
    "ACCESS_REQUESTS_ADMIN",
    "API_ACCESS_MANAGEMENT_ADMIN",
    "APP_ADMIN",
    "GROUP_MEMBERSHIP_ADMIN",
    "HELP_DESK_ADMIN",
    "ORG_ADMIN",
    "READ_ONLY_ADMIN",
    "REPORT_ADMIN",
    "SUPER_ADMIN",
    "USER_ADMIN",
    "WORKFLOWS_ADMIN",
];

/// Set to skip retry waits and poll fast (tests only).
pub const TEST_NO_RETRY_DELAY_ENV: &str = "APONO_OKTA_TEST_NO_RETRY_DELAY";
/// Set to `none` to never touch the OS keyring (tests, CI, or by choice).
pub const KEYRING_ENV: &str = "APONO_OKTA_KEYRING";

/// How the process environment is read; a function so tests can pass a map.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment. A value that is not UTF-8 is kept (lossily) so the check
/// of that value refuses it by name, rather than it silently counting as unset.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var_os(key)
        .map(|v| v.to_string_lossy().into_owned())
        .filter(|v| !v.is_empty())
}

/// The token store to use: the OS keyring unless `APONO_OKTA_KEYRING=none`.
pub fn token_store(env: EnvLookup<'_>) -> Box<dyn TokenStore> {
    match env(KEYRING_ENV).as_deref() {
        Some("none") => Box::new(NoKeyring {
            reason: format!("the keyring is turned off ({KEYRING_ENV}=none)"),
        }),
        _ => Box::new(OsKeyring),
    }
}

/// Shared HTTP settings from the environment and `--ca-bundle`.
pub fn http_settings(
    env: EnvLookup<'_>,
    ca_bundle: Option<&Path>,
    timeout: Duration,
) -> HttpSettings {
    HttpSettings {
        ca_bundle: ca_bundle.map(Path::to_path_buf),
        timeout,
        no_retry_delay: env(TEST_NO_RETRY_DELAY_ENV).is_some(),
    }
}

/// Time between two status reads while waiting for Apono.
pub fn poll_interval(http: &HttpSettings) -> Duration {
    if http.no_retry_delay {
        Duration::from_millis(10)
    } else {
        Duration::from_secs(2)
    }
}

/// Everything `connect` needs, resolved: no clap, no environment, no prompts.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    /// The org's origin, `https://example.okta.com`.
    pub okta_url: Url,
    /// `example.okta.com` (with `:port` only when the URL has one).
    pub domain: String,
    pub okta_token: Secret,
    pub apono_url: Url,
    pub apono_token: Secret,
    pub app_label: String,
    /// `--admin-role` or `--least-privilege`; `None` keeps what the app Apono uses has.
    pub admin_role: Option<AdminRole>,
    pub manager_attribute: Option<String>,
    pub apono_config: Vec<(String, String)>,
    pub integration_type: Option<String>,
    pub integration_id: Option<String>,
    pub integration_name: Option<String>,
    /// Apono's public key (a JWK) that the app carries.
    pub public_key: Value,
    pub keep_api_token: bool,
    pub keep_orphans: bool,
    /// `--reuse-app`: converge the existing app in place instead of rotating.
    pub reuse_app: bool,
    pub dry_run: bool,
    /// `--yes`: do not ask before writing.
    pub assume_yes: bool,
    /// `None` with `--no-wait`.
    pub wait: Option<Duration>,
    /// Time between two status reads while waiting.
    pub poll_interval: Duration,
    pub http: HttpSettings,
    /// What resolving the inputs warned about, already shown: the report keeps them.
    pub warnings: Vec<String>,
}

impl ConnectSettings {
    /// The settings of a plain `connect` (every flag at its default) to `okta` with
    /// these tokens: what `demo` runs, and what the flags then change.
    pub fn new(
        okta: OktaTarget,
        okta_token: Secret,
        (apono_url, apono_token): (Url, Secret),
        http: HttpSettings,
    ) -> ConnectSettings {
        ConnectSettings {
            okta_url: okta.url,
            domain: okta.domain,
            okta_token,
            apono_url,
            apono_token,
            app_label: crate::okta::DEFAULT_APP_LABEL.to_string(),
            admin_role: None,
            manager_attribute: None,
            apono_config: Vec::new(),
            integration_type: None,
            integration_id: None,
            integration_name: None,
            public_key: crate::apono::public_jwk(),
            keep_api_token: false,
            keep_orphans: false,
            reuse_app: false,
            dry_run: false,
            assume_yes: false,
            wait: Some(DEFAULT_WAIT),
            poll_interval: poll_interval(&http),
            http,
            warnings: Vec::new(),
        }
    }
}

/// Where the two services are and the tokens that reach them, resolved.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    pub okta_url: Url,
    pub domain: String,
    /// `None` only when the command asked for it as [`OktaTokenNeed::IfGiven`].
    pub okta_token: Option<Secret>,
    pub apono_url: Url,
    pub apono_token: Secret,
    /// Where the Apono token came from: a rejected token from the keyring gets its own hint.
    pub apono_token_source: AponoTokenSource,
    pub integration_type: Option<String>,
    pub integration_id: Option<String>,
    /// The label of the app this tool creates and finds.
    pub app_label: String,
    pub http: HttpSettings,
    /// What resolving the inputs warned about (a token file others can read): already
    /// shown, for the command's report to keep.
    pub warnings: Vec<String>,
}

/// Where the Apono token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AponoTokenSource {
    /// `--apono-api-token-file`, `APONO_API_TOKEN` or `APONO_PERSONAL_TOKEN`.
    Given,
    /// The OS keyring, stored there by an earlier run.
    Keyring,
    /// The hidden prompt.
    Prompt,
}

impl AponoTokenSource {
    /// Adds to a failure where Apono rejected the token what to do about a stale stored
    /// one: the user did not pass it this time, so they may not know where it came from.
    pub fn explain(self, failure: Failure) -> Failure {
        if self == AponoTokenSource::Keyring && failure.cause.exit_kind() == ExitKind::AponoRejected
        {
            failure.with_hint(
                "that Apono token came from the OS keyring, stored by an earlier run: run `apono-okta logout` (with the same --apono-url) to forget it, then pass a valid one",
            )
        } else {
            failure
        }
    }
}

/// Whether a command needs the Okta token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OktaTokenNeed {
    /// Flag, environment, prompt, else an error.
    Required,
    /// Flag or environment only; no prompt, no error.
    IfGiven,
}

/// Resolves the service inputs every command shares. Everything that needs no prompt
/// is checked first (values, files, the environment), so a typo fails fast, before any
/// prompt and before any network call; the prompts come last. With `runtime` (the one the
/// command then runs on) each token typed at a prompt is checked before the next
/// question (DESIGN.md §3 step 1): a token the service rejects is asked for again, and a
/// service that cannot be reached stops the run. Tokens given otherwise (a flag, the
/// environment, a file, the keyring) are left to the preflight.
pub(crate) fn resolve_service_checked(
    args: &ServiceArgs,
    okta_token_need: OktaTokenNeed,
    purpose: Purpose,
    env: EnvLookup<'_>,
    store: &dyn TokenStore,
    ui: &Ui,
    runtime: Option<&Runtime>,
) -> Result<ServiceSettings, Failure> {
    let apono_url = parse_base_url(&args.apono_url, "--apono-url")?;
    check_service_args(args)?;
    let given_okta = given_okta_target(args, env)?;
    let given_okta_token = given_okta_token(args, env)?;
    let given_apono_token = given_apono_token(args, env)?;
    let warnings = token_file_warnings(args, ui);
    let http = http_settings(
        env,
        args.ca_bundle.as_deref(),
        Duration::from_secs(args.timeout),
    );

    // From here on, only what is missing is asked for.
    let wizard = Wizard {
        ui,
        purpose,
        apono_url: &apono_url,
        checks: runtime.map(|runtime| TokenChecks {
            runtime,
            http: &http,
        }),
        introduced: Cell::new(false),
    };
    let okta = match given_okta {
        Some(target) => target,
        None => prompt_okta_target(&wizard)?,
    };
    if let Some(note) = &okta.note {
        ui.prose(note);
    }
    let okta_token = match (given_okta_token, okta_token_need) {
        (Some(token), _) => Some(token),
        // Nothing given is fine; something given and broken was refused above.
        (None, OktaTokenNeed::IfGiven) => None,
        (None, OktaTokenNeed::Required) => Some(prompt_okta_token(&wizard, &okta.url)?),
    };
    let (apono_token, apono_token_source) = match given_apono_token {
        Some(token) => (token, AponoTokenSource::Given),
        None => stored_or_prompted_apono_token(store, &wizard)?,
    };
    Ok(ServiceSettings {
        okta_url: okta.url,
        domain: okta.domain,
        okta_token,
        apono_url,
        apono_token,
        apono_token_source,
        integration_type: args.apono_integration_type.clone(),
        integration_id: args.apono_integration_id.clone(),
        app_label: args.app_label.trim().to_string(),
        http,
        warnings,
    })
}

/// The service flags that need neither the environment nor a prompt: names bounded and
/// printable, the CA bundle a file, stdin read for one token at most.
fn check_service_args(args: &ServiceArgs) -> Result<(), Failure> {
    check_text(&args.app_label, "--app-label")?;
    for (value, flag) in [
        (&args.apono_integration_type, "--apono-integration-type"),
        (&args.apono_integration_id, "--apono-integration-id"),
    ] {
        if let Some(value) = value {
            check_text(value, flag)?;
        }
    }
    if let Some(path) = args.ca_bundle.as_ref().filter(|p| !p.is_file()) {
        return Err(Failure::usage(format!(
            "--ca-bundle {}: no such file",
            path.display()
        )));
    }
    if args.okta_api_token_file.as_deref() == Some(Path::new("-"))
        && args.apono_api_token_file.as_deref() == Some(Path::new("-"))
    {
        return Err(Failure::usage(
            "--okta-api-token-file - and --apono-api-token-file - cannot both read stdin",
        ));
    }
    Ok(())
}

/// Resolves `connect`'s inputs, and says where the Apono token came from. `store` is
/// where a stored Apono token may come from; tokens typed at a prompt are checked on
/// `runtime` as soon as they are typed.
pub fn resolve_connect(
    args: &ConnectArgs,
    env: EnvLookup<'_>,
    store: &dyn TokenStore,
    ui: &Ui,
    runtime: &Runtime,
) -> Result<(ConnectSettings, AponoTokenSource), Failure> {
    let public_key = match &args.apono_jwk_file {
        Some(path) => read_public_key(path)?,
        None => crate::apono::public_jwk(),
    };
    let apono_config = args
        .apono_config
        .iter()
        .map(|pair| parse_key_value(pair))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(role) = &args.admin_role {
        check_admin_role(role)?;
    }
    for (value, flag) in [
        (&args.manager_attribute, "--manager-attribute"),
        (&args.apono_integration_name, "--apono-integration-name"),
    ] {
        if let Some(value) = value {
            check_text(value, flag)?;
        }
    }
    let service = resolve_service_checked(
        &args.service,
        OktaTokenNeed::Required,
        Purpose::Connect,
        env,
        store,
        ui,
        Some(runtime),
    )?;
    let okta_token = service
        .okta_token
        .ok_or_else(|| Failure::usage("no Okta API token given"))?;
    let settings = ConnectSettings {
        okta_url: service.okta_url,
        domain: service.domain,
        okta_token,
        apono_url: service.apono_url,
        apono_token: service.apono_token,
        app_label: service.app_label,
        admin_role: match (&args.admin_role, args.least_privilege) {
            (_, true) => Some(AdminRole::LeastPrivilege),
            (Some(role), false) => Some(AdminRole::Standard(role.clone())),
            (None, false) => None,
        },
        manager_attribute: args.manager_attribute.clone(),
        apono_config,
        integration_type: service.integration_type,
        integration_id: service.integration_id,
        integration_name: args.apono_integration_name.clone(),
        public_key,
        keep_api_token: args.keep_api_token,
        keep_orphans: args.keep_orphans,
        reuse_app: args.reuse_app,
        dry_run: args.dry_run,
        assume_yes: args.yes,
        wait: (!args.no_wait).then(|| Duration::from_secs(args.wait)),
        poll_interval: poll_interval(&service.http),
        http: service.http,
        warnings: service.warnings,
    };
    Ok((settings, service.apono_token_source))
}

/// An Okta org, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OktaTarget {
    /// The origin: `https://example.okta.com`.
    pub url: Url,
    /// `example.okta.com`, with `:port` only when the URL has one.
    pub domain: String,
    /// Said to the user when the input was rewritten (an admin-console URL).
    pub note: Option<String>,
}

/// The org as given: `--okta-url`, `--org-id` (+ `--base-url`), then `OKTA_URL`, then
/// `OKTA_ORG_NAME` (+ `OKTA_BASE_URL`); `None` when none of them is set. Flags beat the
/// environment, so an exported `OKTA_ORG_NAME` (the Okta Terraform provider's) never
/// blocks `--okta-url`.
fn given_okta_target(
    args: &ServiceArgs,
    env: EnvLookup<'_>,
) -> Result<Option<OktaTarget>, Failure> {
    let from_url = |url: &str, source: &str| {
        parse_okta_target(url)
            .map(Some)
            .map_err(|e| Failure::usage(format!("{source}: {e}")))
    };
    let from_org_id = |org_id: &str| {
        let base = args
            .base_url
            .clone()
            .or_else(|| env("OKTA_BASE_URL"))
            .unwrap_or_else(|| "okta.com".into());
        okta_target_from_org_id(org_id, &base)
            .map(Some)
            .map_err(Failure::usage)
    };
    if let Some(url) = &args.okta_url {
        return from_url(url, "--okta-url");
    }
    if let Some(org_id) = &args.org_id {
        return from_org_id(org_id);
    }
    if args.base_url.is_some() && env("OKTA_ORG_NAME").is_none() {
        return Err(Failure::usage(
            "--base-url needs --org-id (the `example` of example.okta.com)",
        ));
    }
    // `--base-url` given as a flag asks for the org-id form, whatever OKTA_URL says.
    if let (Some(_), Some(org_id)) = (&args.base_url, env("OKTA_ORG_NAME")) {
        return from_org_id(&org_id);
    }
    if let Some(url) = env("OKTA_URL") {
        return from_url(&url, "OKTA_URL");
    }
    if let Some(org_id) = env("OKTA_ORG_NAME") {
        return from_org_id(&org_id);
    }
    Ok(None)
}

/// The wizard's first question: the org as Apono's guide names it.
const ORG_QUESTION: &str = "Okta org id (the `example` of example.okta.com, or its URL)";
/// The second, after an org id: which of Okta's domains it is under.
const BASE_URL_QUESTION: &str = "Base URL (or oktapreview.com, okta-emea.com)";
/// The base URL an org id is under when nothing else is said.
const DEFAULT_BASE_URL: &str = "okta.com";

/// Asks for the Okta org, when prompting is allowed: the org id, then the base URL
/// ([`DEFAULT_BASE_URL`] on Enter); a whole domain or URL at the first question is the
/// org, and the second is not asked. A refused answer is asked for again at once,
/// before any other question.
fn prompt_okta_target(wizard: &Wizard<'_>) -> Result<OktaTarget, Failure> {
    if !wizard.ui.can_prompt() {
        return Err(Failure::usage(
            "no Okta org given: pass --okta-url https://example.okta.com (or set OKTA_URL), or --org-id example --base-url okta.com",
        ));
    }
    wizard.introduce();
    let answer = wizard.ask(ORG_QUESTION, None, "the Okta org id", |answer| {
        read_org_answer(answer).into()
    })?;
    let org_id = match answer {
        OrgAnswer::Org(target) => return Ok(target),
        OrgAnswer::OrgId(org_id) => org_id,
    };
    let target = wizard.ask(
        BASE_URL_QUESTION,
        Some(DEFAULT_BASE_URL),
        "the base URL",
        |base_url| org_under(&org_id, base_url).into(),
    )?;
    wizard.ui.info(&format!(
        "Okta org: {}",
        target.url.as_str().trim_end_matches('/')
    ));
    Ok(target)
}

/// What the wizard's first question was answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OrgAnswer {
    /// An org id (`example`): the base URL is asked for next.
    OrgId(String),
    /// A whole domain or URL: the org itself.
    Org(OktaTarget),
}

/// Reads an answer to [`ORG_QUESTION`]: a bare name is an org id; anything with a dot, a
/// colon or a slash is a domain or URL, read as `--okta-url` reads it (an admin
/// console's URL becomes the org's, with a note).
fn read_org_answer(answer: &str) -> Result<OrgAnswer, String> {
    let answer = answer.trim();
    if answer.is_empty() {
        return Err(
            "type the org id (the `example` of example.okta.com), or paste the org's URL".into(),
        );
    }
    if answer.contains(['.', ':', '/']) {
        return parse_okta_target(answer).map(OrgAnswer::Org);
    }
    check_org_id(answer)
        .map(|org_id| OrgAnswer::OrgId(org_id.to_string()))
        .map_err(|why| format!("{why}, nor a domain or URL"))
}

/// Which command is asking, for the introduction printed before its first prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Connect,
    Status,
    Disconnect,
}

/// The interactive side of resolving inputs: the one introduction, printed before the
/// first prompt and only when there is one (a fully scripted run prints nothing), and
/// the check of each token typed.
struct Wizard<'a> {
    ui: &'a Ui,
    purpose: Purpose,
    apono_url: &'a Url,
    /// Where typed tokens are checked; `None`: by the preflight only.
    checks: Option<TokenChecks<'a>>,
    introduced: Cell<bool>,
}

/// What checking a typed token needs: the runtime the command then runs on (settings are
/// resolved before it runs anything, so a prompt never blocks one of its threads), and
/// the HTTP settings the command will use.
struct TokenChecks<'a> {
    runtime: &'a Runtime,
    http: &'a HttpSettings,
}

impl TokenChecks<'_> {
    /// Runs `check` to the end under a spinner saying what it is `doing`.
    fn run<T>(
        &self,
        ui: &Ui,
        doing: &str,
        check: impl Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        let spinner = ui.spinner(doing);
        let outcome = self.runtime.block_on(check);
        spinner.finish();
        outcome
    }
}

impl Wizard<'_> {
    fn introduce(&self) {
        if self.introduced.replace(true) {
            return;
        }
        // A Ctrl-C while the introduction is read exits 130 too, as at the prompt.
        crate::ui::watch_interrupts();
        self.ui.heading(match self.purpose {
            Purpose::Connect => "apono-okta connect: connect an Okta org to Apono",
            Purpose::Status => "apono-okta status: check the Okta and Apono sides (read-only)",
            Purpose::Disconnect => {
                "apono-okta disconnect: remove the Okta app and the Apono integration"
            }
        });
        self.ui.prose(&introduction(
            self.purpose,
            self.apono_url,
            self.checks.is_some(),
        ));
    }

    /// [`Ui::ask`], a prompt that cannot be read being a failure (Ctrl-C: 130).
    fn ask<T>(
        &self,
        question: &str,
        default: Option<&str>,
        what: &str,
        check: impl FnMut(&str) -> Check<T, Failure>,
    ) -> Result<T, Failure> {
        self.ui
            .ask(question, default, check)
            .map_err(|e| prompt_failure(e, what))?
    }

    /// [`Ui::ask_secret`], as [`Wizard::ask`].
    fn ask_secret(
        &self,
        question: &str,
        what: &str,
        check: impl FnMut(Secret) -> Check<Secret, Failure>,
    ) -> Result<Secret, Failure> {
        self.ui
            .ask_secret(question, what, check)
            .map_err(|e| prompt_failure(e, what))?
    }

    /// The Okta token just typed, checked as the preflight checks it: through the Okta
    /// client, so on a host outside Okta's own domains the org check runs before the
    /// token is sent; then its owner must be a super admin.
    fn check_okta_token(&self, okta_url: &Url, token: Secret) -> Check<Secret, Failure> {
        let Some(checks) = &self.checks else {
            return Check::Accept(token);
        };
        let checked = checks.run(self.ui, "Checking the Okta API token", async {
            let okta = OktaClient::new(okta_url.clone(), token.clone(), checks.http)?;
            let login = observe::super_admin_login(&okta).await?;
            Ok(format!("Okta API token of {login}, a super admin"))
        });
        verdict(self.ui, token, checked)
    }

    /// The Apono token just typed, checked with a read of Apono's catalog (the
    /// preflight's first Apono call).
    fn check_apono_token(&self, token: Secret) -> Check<Secret, Failure> {
        let Some(checks) = &self.checks else {
            return Check::Accept(token);
        };
        let checked = checks.run(self.ui, "Checking the Apono API token", async {
            let apono = AponoClient::new(self.apono_url.clone(), token.clone(), checks.http)?;
            match apono.catalog().await {
                Ok(_) => Ok("Apono API token accepted".to_string()),
                // An Apono without the catalog: the preflight finds its way, and says.
                Err(e) if e.is_not_found() => Ok("Apono API token read".to_string()),
                Err(e) => Err(Failure::from(e)),
            }
        });
        verdict(self.ui, token, checked)
    }
}

/// A typed token's check as the prompt takes it: accepted (and said so), refused when the
/// service rejected it or its owner lacks the privileges (asked for again); anything
/// else, an unreachable service first, stops the run as it would have later.
fn verdict(ui: &Ui, token: Secret, checked: Result<String, Failure>) -> Check<Secret, Failure> {
    match checked {
        Ok(done) => {
            ui.done(&done);
            Check::Accept(token)
        }
        Err(failure)
            if matches!(
                failure.cause.exit_kind(),
                ExitKind::OktaRejected | ExitKind::AponoRejected
            ) =>
        {
            Check::Refuse(failure.message)
        }
        Err(failure) => Check::Stop(failure),
    }
}

/// What the command will do and what it needs, said before the first question.
/// `checked`: a token typed is checked at once (see [`resolve_service_checked`]).
fn introduction(purpose: Purpose, apono_url: &Url, checked: bool) -> String {
    let apono = format!(
        "Apono: {} (another Apono? pass --apono-url URL or set APONO_URL).",
        apono_url.as_str().trim_end_matches('/')
    );
    let when = if checked {
        "it is checked as soon as you type it, and revoked at the end"
    } else {
        "it is revoked at the end"
    };
    let token = format!(
        "The Okta API token must be an Okta super admin's; {when} (--keep-api-token keeps it)."
    );
    let body = match purpose {
        Purpose::Connect => format!(
            "This creates, in Okta, an OAuth service app labelled \"Apono Integration\" that can read users and groups and nothing else (two scope grants and a custom admin role that reads them), and registers it in Apono as the org's \"Okta Directory\" integration, so Apono can sync your directory. A re-run rotates: a new app, then the previous one is deleted. Nothing is written before you confirm the plan.\n{token}"
        ),
        Purpose::Status => "This only reads: the Apono integration for the org, and the Okta app when an Okta token is given (OKTA_API_TOKEN or --okta-api-token-file); nothing is changed.".to_string(),
        Purpose::Disconnect => format!(
            "This deletes the Apono integration for the org, then deactivates and deletes the Okta app; you confirm first.\n{token}"
        ),
    };
    format!("{body}\n{apono}\n")
}

/// `--org-id example --base-url okta.com` → `https://example.okta.com`.
pub fn okta_target_from_org_id(org_id: &str, base_url: &str) -> Result<OktaTarget, String> {
    let org_id = check_org_id(org_id).map_err(|why| format!("--org-id {why}"))?;
    let base = check_base_domain(base_url).map_err(|why| format!("--base-url {why}"))?;
    parse_okta_target(&format!("https://{org_id}.{base}"))
}

/// The org `org_id` (checked already) names under `base_url`, as the wizard's second
/// question reads it: the messages name no flag.
fn org_under(org_id: &str, base_url: &str) -> Result<OktaTarget, String> {
    let base = check_base_domain(base_url)?;
    parse_okta_target(&format!("https://{org_id}.{base}"))
}

/// An org id, trimmed: one label of letters, digits and `-`.
fn check_org_id(org_id: &str) -> Result<&str, String> {
    let org_id = org_id.trim();
    if is_domain_text(org_id) && !org_id.contains('.') {
        Ok(org_id)
    } else {
        Err(format!(
            "{} is not an Okta org name (the `example` of example.okta.com)",
            shown(org_id)
        ))
    }
}

/// A base URL (`okta.com`; `https://okta.com/` too), as the domain it is.
fn check_base_domain(base_url: &str) -> Result<&str, String> {
    let base = base_url
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    if is_domain_text(base) && base.contains('.') {
        Ok(base)
    } else {
        Err(format!("{} is not a domain like okta.com", shown(base_url)))
    }
}

/// Letters, digits, `-` and `.`, at least one and at most [`MAX_TEXT_LEN`].
fn is_domain_text(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_TEXT_LEN
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Reads a domain or URL as typed or pasted: `example.okta.com`,
/// `https://example.okta.com/`, `https://example-admin.okta.com/admin/dashboard`,
/// `http://127.0.0.1:8080`. Refuses what [`check_url`] refuses, and a scheme-less
/// loopback address (it would become https; the sandbox speaks http). A path is
/// dropped, and the note says so.
pub fn parse_okta_target(input: &str) -> Result<OktaTarget, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("the Okta domain is empty".into());
    }
    check_text_value(input).map_err(|e| format!("{} {e}", shown(&without_userinfo(input))))?;
    let has_scheme = input.contains("://");
    let with_scheme = if has_scheme {
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| {
        format!(
            "{} is not a domain or URL ({e})",
            shown(&without_userinfo(input))
        )
    })?;
    check_url(&url, input)?;
    if !has_scheme && is_loopback_host(&url) {
        return Err(format!(
            "{} has no scheme; for a local server write http://{input} (only a domain may leave out https://)",
            shown(input)
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| format!("{} has no host", shown(input)))?
        .to_ascii_lowercase();
    let (host, note) = match host.split_once('.') {
        Some((first, rest)) if first.ends_with("-admin") && first.len() > "-admin".len() => {
            let plain = format!("{}.{rest}", first.trim_end_matches("-admin"));
            let note =
                format!("Using the org domain {plain} (you gave the admin console's {host}).");
            (plain, Some(note))
        }
        _ if !matches!(url.path(), "" | "/") => {
            let note = format!(
                "Using the org domain {host} and ignoring the path {} (an Okta org URL has none).",
                url.path()
            );
            (host, Some(note))
        }
        _ => (host, None),
    };
    let domain = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    let origin = Url::parse(&format!("{}://{domain}", url.scheme()))
        .map_err(|e| format!("{}: {e}", shown(input)))?;
    check_secure_url(&origin)?;
    Ok(OktaTarget {
        url: origin,
        domain,
        note,
    })
}

/// A service base URL: https, or http on loopback; a path prefix is kept. Refuses what
/// [`check_url`] refuses.
pub fn parse_base_url(input: &str, flag: &str) -> Result<Url, Failure> {
    let trimmed = input.trim();
    check_text_value(trimmed)
        .map_err(|e| Failure::usage(format!("{flag} {} {e}", shown(&without_userinfo(input)))))?;
    let url = Url::parse(trimmed).map_err(|e| {
        Failure::usage(format!(
            "{flag} {} is not a URL ({e}); write it whole, e.g. https://api.apono.io",
            shown(&without_userinfo(trimmed))
        ))
    })?;
    if !trimmed.contains("://") {
        return Err(Failure::usage(format!(
            "{flag} {} has no scheme; write https://... (or http://... for a loopback address)",
            shown(&without_userinfo(trimmed))
        )));
    }
    check_url(&url, trimmed).map_err(|e| Failure::usage(format!("{flag}: {e}")))?;
    Ok(url)
}

/// What every service URL must be: http(s) without a user name or password, on a host
/// that is a domain with a dot, an IP address or `localhost`, on a port other than 0,
/// with no query or fragment, and plain http only on loopback. `input` is what the user
/// typed, for the message; a password in it is never repeated.
fn check_url(url: &Url, input: &str) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{} contains a user name or password; pass the URL alone (the token goes in its own variable or file)",
            shown(&without_userinfo(input))
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{} has scheme '{}'; expected https://",
            shown(input),
            url.scheme()
        ));
    }
    match url.host() {
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {}
        Some(url::Host::Domain(domain)) if is_plausible_domain(domain) => {}
        Some(url::Host::Domain(domain)) => {
            let hint = if matches!(domain, "http" | "https") {
                format!(" (a missing colon? write {domain}://...)")
            } else {
                String::new()
            };
            return Err(format!(
                "{} does not name a host like example.okta.com (read the host as {}){hint}",
                shown(input),
                shown(domain)
            ));
        }
        None => return Err(format!("{} has no host", shown(input))),
    }
    if url.port() == Some(0) {
        return Err(format!("{} has port 0", shown(input)));
    }
    if url.query().is_some() {
        return Err(format!(
            "{} has a query (?...); pass the URL without it",
            shown(input)
        ));
    }
    if url.fragment().is_some() {
        return Err(format!(
            "{} has a fragment (#...); pass the URL without it",
            shown(input)
        ));
    }
    check_secure_url(url)
}

/// `localhost`, or a name with at least two non-empty labels of letters, digits, `-`, `_`.
fn is_plausible_domain(domain: &str) -> bool {
    domain.eq_ignore_ascii_case("localhost")
        || (domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }))
}

/// 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `input` with anything between the scheme and an `@` in the authority replaced by
/// `***`, so a password typed into a URL is never printed back.
fn without_userinfo(input: &str) -> String {
    let (scheme, rest) = match input.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), input),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***@{}", &rest[at + 1..]),
        None => input.to_string(),
    }
}

/// A value as quoted in a message: escaped (control characters become `\u{..}`), and
/// cut at 80 characters with its length, so a long paste does not flood the terminal.
fn shown(value: &str) -> String {
    const SHOWN_CHARS: usize = 80;
    if value.chars().count() <= SHOWN_CHARS {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN_CHARS).collect();
        format!("{head:?}...")
    }
}

/// Why a command-line string is refused, if it is: longer than [`MAX_TEXT_LEN`] bytes,
/// or holding a control character.
fn check_text_value(value: &str) -> Result<(), String> {
    if value.len() > MAX_TEXT_LEN {
        return Err(format!(
            "is {} bytes long; at most {MAX_TEXT_LEN} are accepted",
            value.len()
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("contains a control character (a tab, a newline, an escape)".into());
    }
    Ok(())
}

/// A name, label or id given with `flag`: bounded, no control characters, not blank.
fn check_text(value: &str, flag: &str) -> Result<(), Failure> {
    if value.trim().is_empty() {
        return Err(Failure::usage(format!("{flag} cannot be empty")));
    }
    check_text_value(value).map_err(|e| Failure::usage(format!("{flag} {} {e}", shown(value))))
}

/// `--admin-role`: exactly one of [`STANDARD_ADMIN_ROLES`].
fn check_admin_role(role: &str) -> Result<(), Failure> {
    if STANDARD_ADMIN_ROLES.contains(&role) {
        return Ok(());
    }
    let why = if role == "CUSTOM" {
        "is a custom role, which needs a role and a resource set; --admin-role takes a standard role"
            .to_string()
    } else if STANDARD_ADMIN_ROLES.contains(&role.trim().to_ascii_uppercase().as_str()) {
        format!(
            "is not an Okta role type as written (they are upper case: {})",
            role.trim().to_ascii_uppercase()
        )
    } else {
        "is not one of Okta's standard admin role types".to_string()
    };
    Err(Failure::usage(format!(
        "--admin-role {} {why}; accepted: {}",
        shown(role),
        STANDARD_ADMIN_ROLES.join(", ")
    )))
}

/// The Okta token from `--okta-api-token-file` or `OKTA_API_TOKEN`, if either is set.
fn given_okta_token(args: &ServiceArgs, env: EnvLookup<'_>) -> Result<Option<Secret>, Failure> {
    if let Some(path) = &args.okta_api_token_file {
        return read_secret_file(path, "--okta-api-token-file", "the Okta API token").map(Some);
    }
    env("OKTA_API_TOKEN")
        .map(|value| secret_from_env(&value, "OKTA_API_TOKEN"))
        .transpose()
}

/// The Okta token from a hidden prompt, when prompting is allowed; checked against the
/// org at `okta_url` as soon as it is typed, and asked for again when refused.
fn prompt_okta_token(wizard: &Wizard<'_>, okta_url: &Url) -> Result<Secret, Failure> {
    if wizard.ui.can_prompt() {
        wizard.introduce();
        return wizard.ask_secret(
            "Okta API token (an Okta super admin's; Security > API > Tokens)",
            "the Okta API token",
            |token| wizard.check_okta_token(okta_url, token),
        );
    }
    Err(Failure::usage(
        "no Okta API token given: set OKTA_API_TOKEN or pass --okta-api-token-file PATH (`-` reads stdin)",
    )
    .with_hint("the token must be an Okta super admin's (Security > API > Tokens)"))
}

/// The Apono token from `--apono-api-token-file`, `APONO_API_TOKEN` or
/// `APONO_PERSONAL_TOKEN`, if one is set.
fn given_apono_token(args: &ServiceArgs, env: EnvLookup<'_>) -> Result<Option<Secret>, Failure> {
    if let Some(path) = &args.apono_api_token_file {
        return read_secret_file(path, "--apono-api-token-file", "the Apono API token").map(Some);
    }
    ["APONO_API_TOKEN", "APONO_PERSONAL_TOKEN"]
        .into_iter()
        .find_map(|name| env(name).map(|value| secret_from_env(&value, name)))
        .transpose()
}

/// The Apono token from the keyring, else a hidden prompt when prompting is allowed,
/// checked as soon as it is typed and asked for again when refused.
fn stored_or_prompted_apono_token(
    store: &dyn TokenStore,
    wizard: &Wizard<'_>,
) -> Result<(Secret, AponoTokenSource), Failure> {
    let ui = wizard.ui;
    match store.load(&keyring_account(wizard.apono_url)) {
        Ok(Some(token)) => {
            ui.prose("Using the Apono API token stored in the OS keyring (`apono-okta logout` forgets it).");
            return Ok((token, AponoTokenSource::Keyring));
        }
        Ok(None) => {}
        Err(e) => ui.prose(&format!("note: {e}")),
    }
    if ui.can_prompt() {
        wizard.introduce();
        let token = wizard.ask_secret(
            "Apono API token (Apono > Settings > API tokens)",
            "the Apono API token",
            |token| wizard.check_apono_token(token),
        )?;
        return Ok((token, AponoTokenSource::Prompt));
    }
    Err(Failure::usage(
        "no Apono API token given: set APONO_API_TOKEN or pass --apono-api-token-file PATH (`-` reads stdin)",
    )
    .with_hint("an Apono admin creates one under their profile's settings (API tokens)"))
}

fn secret_from_env(value: &str, name: &str) -> Result<Secret, Failure> {
    Secret::parse(value, name).map_err(|e| Failure::usage(e.to_string()))
}

/// The keyring account of an Apono token: the API host.
pub fn keyring_account(apono_url: &Url) -> String {
    match (apono_url.host_str(), apono_url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => apono_url.as_str().to_string(),
    }
}

/// Reads a token file, or stdin for `-`, up to [`MAX_TOKEN_FILE_LEN`] and never further.
fn read_secret_file(path: &Path, flag: &str, what: &str) -> Result<Secret, Failure> {
    let source = format!("{flag} {}", path.display());
    let raw = read_bounded_text(path, &source)?;
    Secret::parse(&raw, &format!("{what} from {source}")).map_err(|e| Failure::usage(e.to_string()))
}

/// Shows, and returns for the report, a warning for each token file others can use.
fn token_file_warnings(args: &ServiceArgs, ui: &Ui) -> Vec<String> {
    [&args.okta_api_token_file, &args.apono_api_token_file]
        .into_iter()
        .flatten()
        .filter_map(|path| token_file_warning(path))
        .inspect(|warning| ui.warn(warning))
        .collect()
}

/// The warning for a token file that others can read or write (a Unix mode beyond
/// `0600`, DESIGN.md §5), naming the `chmod` that fixes it; `None` for stdin, for
/// anything but a regular file, and where files have no Unix mode.
fn token_file_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path == Path::new("-") {
            return None;
        }
        let metadata = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        mode_warning(path, metadata.permissions().mode())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// [`token_file_warning`] for a file of this Unix `mode`: any group or other bit is one
/// too many.
fn mode_warning(path: &Path, mode: u32) -> Option<String> {
    let mode = mode & 0o777;
    let how = if mode & 0o044 != 0 {
        "readable by others"
    } else if mode & 0o022 != 0 {
        "writable by others"
    } else if mode & 0o011 != 0 {
        "open to others"
    } else {
        return None;
    };
    Some(format!(
        "{} is {how} (mode {mode:04o}): chmod 600 {}",
        path.display(),
        shell_word(&path.display().to_string())
    ))
}

/// `text` as one word a shell reads back as it is: single-quoted unless it is made of
/// characters no shell treats specially.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The text of `path` (stdin for `-`), refused when longer than [`MAX_TOKEN_FILE_LEN`]
/// bytes or not UTF-8. Reads at most one byte past the limit, so `/dev/zero` or a
/// huge file fails at once. `source` names the flag and path in the message.
fn read_bounded_text(path: &Path, source: &str) -> Result<String, Failure> {
    let cannot_read = |e: std::io::Error| Failure::usage(format!("{source}: cannot read it: {e}"));
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_TOKEN_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_read)?;
    } else {
        std::fs::File::open(path)
            .map_err(cannot_read)?
            .take(MAX_TOKEN_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_read)?;
    }
    if bytes.len() as u64 > MAX_TOKEN_FILE_LEN {
        return Err(Failure::usage(format!(
            "{source} is larger than 64 KiB; it is not a token file"
        )));
    }
    String::from_utf8(bytes).map_err(|_| Failure::usage(format!("{source} is not UTF-8 text")))
}

/// `--apono-config KEY=VALUE`: a bounded pair without control characters and with a
/// key; the value may be empty.
fn parse_key_value(pair: &str) -> Result<(String, String), Failure> {
    check_text_value(pair)
        .map_err(|e| Failure::usage(format!("--apono-config {} {e}", shown(pair))))?;
    match pair.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(Failure::usage(format!(
            "--apono-config {} is not KEY=VALUE",
            shown(pair)
        ))),
    }
}

/// Reads Apono's public key from a JWK or a one-key JWKS file. Refuses private keys.
pub fn read_public_key(path: &Path) -> Result<Value, Failure> {
    let flag = format!("--apono-jwk-file {}", path.display());
    let text = read_bounded_text(path, &flag)?;
    let json: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("{flag} is not JSON: {e}")))?;
    let key = match json.get("keys").and_then(Value::as_array) {
        Some(keys) if keys.len() == 1 => keys[0].clone(),
        Some(keys) => {
            return Err(Failure::usage(format!(
                "{flag} holds {} keys; pass exactly one (Apono's public key)",
                keys.len()
            )));
        }
        None => json,
    };
    let mut key = match key {
        Value::Object(map) => map,
        _ => return Err(Failure::usage(format!("{flag} is not a JWK object"))),
    };
    if ["d", "p", "q", "dp", "dq", "qi"]
        .iter()
        .any(|k| key.contains_key(*k))
    {
        return Err(Failure::usage(format!(
            "{flag} holds a private key; pass Apono's public key only (Apono keeps the private one)"
        )));
    }
    let has = |k: &str| {
        key.get(k)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    if key.get("kty").and_then(Value::as_str) != Some("RSA") || !has("n") || !has("e") {
        return Err(Failure::usage(format!(
            "{flag} is not an RSA public key (needs kty RSA, n and e)"
        )));
    }
    // Okta's schema needs `use` to tell a signing key from an encryption key.
    key.entry("use")
        .or_insert_with(|| Value::String("sig".into()));
    Ok(Value::Object(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::is_unsafe;
    use proptest::prelude::*;

    #[test]
    fn a_rejected_keyring_token_points_to_logout() {
        let rejected = || {
            Failure::from(crate::http::ApiError::Status(Box::new(
                crate::http::StatusError {
                    service: crate::http::ServiceName::Apono,
                    method: reqwest::Method::GET,
                    path: "/api/admin/v4/integrations".into(),
                    status: reqwest::StatusCode::UNAUTHORIZED,
                    code: None,
                    summary: "Unauthorized".into(),
                    request_id: None,
                },
            )))
        };
        let hints = AponoTokenSource::Keyring.explain(rejected()).hints;
        assert!(
            hints.iter().any(|h| h.contains("apono-okta logout")),
            "{hints:?}"
        );
        // A given token gets only the general hint about Apono tokens.
        let given = AponoTokenSource::Given.explain(rejected()).hints;
        assert!(!given.iter().any(|h| h.contains("logout")), "{given:?}");
        let other = Failure::usage("x");
        assert!(AponoTokenSource::Keyring.explain(other).hints.is_empty());
    }

    #[test]
    fn the_wizard_reads_an_org_id_then_a_base_url() {
        assert_eq!(
            read_org_answer(" example "),
            Ok(OrgAnswer::OrgId("example".into()))
        );
        let org = |base_url: &str| org_under("example", base_url).map(|t| t.domain);
        assert_eq!(org(DEFAULT_BASE_URL).unwrap(), "example.okta.com");
        assert_eq!(org("oktapreview.com").unwrap(), "example.oktapreview.com");
        assert_eq!(
            org(" https://okta-emea.com/ ").unwrap(),
            "example.okta-emea.com"
        );
        for base_url in ["okta", "127.0.0.1:8080", "okta.com/x", ""] {
            let error = org(base_url).unwrap_err();
            assert!(error.contains("is not a domain like okta.com"), "{error}");
            assert!(!error.contains("--"), "names no flag: {error}");
        }
    }

    #[test]
    fn a_domain_or_url_at_the_first_question_is_the_org() {
        let org = |answer: &str| match read_org_answer(answer) {
            Ok(OrgAnswer::Org(target)) => target,
            other => panic!("{answer}: {other:?}"),
        };
        assert_eq!(org("Example.okta.com").domain, "example.okta.com");
        assert_eq!(
            org("https://example.oktapreview.com/").domain,
            "example.oktapreview.com"
        );
        let pasted = org("https://example-admin.okta.com/admin/dashboard");
        assert_eq!(pasted.domain, "example.okta.com");
        assert!(
            pasted
                .note
                .unwrap()
                .contains("admin console's example-admin.okta.com")
        );
        assert_eq!(org("http://127.0.0.1:8080").domain, "127.0.0.1:8080");
        for (answer, expected) in [
            ("  ", "type the org id"),
            ("exa mple", "is not an Okta org name"),
            ("a_b", "nor a domain or URL"),
            ("http//127.0.0.1:1", "missing colon"),
            ("127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("https://example.okta.com/?x", "query"),
        ] {
            let error = read_org_answer(answer).unwrap_err();
            assert!(error.contains(expected), "{answer}: {error}");
            assert!(!error.contains("--org-id"), "{answer}: {error}");
        }
    }

    #[test]
    fn the_introduction_says_least_privilege_and_fits_80_columns() {
        let apono_url = Url::parse(crate::apono::DEFAULT_API_URL).unwrap();
        for purpose in [Purpose::Connect, Purpose::Status, Purpose::Disconnect] {
            for checked in [true, false] {
                let text = introduction(purpose, &apono_url, checked);
                assert!(!text.contains("READ_ONLY_ADMIN"), "{text}");
                for line in crate::ui::wrap(&text, crate::ui::TEXT_WIDTH) {
                    assert!(line.chars().count() <= 78, "{line}");
                }
            }
        }
        let connect = introduction(Purpose::Connect, &apono_url, true);
        assert!(
            connect.contains("a custom admin role that reads them"),
            "{connect}"
        );
        assert!(
            connect.contains("checked as soon as you type it"),
            "{connect}"
        );
        let unchecked = introduction(Purpose::Disconnect, &apono_url, false);
        assert!(!unchecked.contains("checked"), "{unchecked}");
    }

    #[test]
    fn a_typed_token_is_asked_again_only_when_the_service_rejects_it() {
        use crate::http::{ApiError, ServiceName, StatusError};
        let ui = Ui::new(true, crate::ui::Appearance::default());
        let token = || Secret::parse("00abc", "a token").unwrap();
        let answered = |service, status: u16| {
            Failure::from(ApiError::Status(Box::new(StatusError {
                service,
                method: reqwest::Method::GET,
                path: "/x".into(),
                status: reqwest::StatusCode::from_u16(status).unwrap(),
                code: None,
                summary: "Invalid token provided".into(),
                request_id: None,
            })))
        };
        let unreachable = Failure::from(ApiError::Transport {
            service: ServiceName::Okta,
            method: reqwest::Method::GET,
            path: "/api/v1/users/me".into(),
            detail: "connection refused".into(),
            maybe_delivered: false,
        });
        let verdict = |checked| verdict(&ui, token(), checked);
        assert!(matches!(verdict(Ok("fine".into())), Check::Accept(_)));
        for refused in [
            answered(ServiceName::Okta, 401),
            answered(ServiceName::Okta, 403),
            answered(ServiceName::Apono, 401),
            Failure::okta_privileges("not a super admin"),
        ] {
            let message = refused.message.clone();
            assert!(
                matches!(verdict(Err(refused)), Check::Refuse(why) if why == message),
                "{message}"
            );
        }
        for stopped in [unreachable, answered(ServiceName::Apono, 500)] {
            let code = stopped.exit_code();
            assert!(
                matches!(verdict(Err(stopped)), Check::Stop(f) if f.exit_code() == code),
                "{code}"
            );
        }
    }

    #[test]
    fn normalises_admin_console_urls() {
        let target = parse_okta_target("https://example-admin.okta.com/admin/dashboard").unwrap();
        assert_eq!(target.url.as_str(), "https://example.okta.com/");
        assert_eq!(target.domain, "example.okta.com");
        assert!(target.note.unwrap().contains("example-admin.okta.com"));
    }

    #[test]
    fn accepts_domains_and_loopback_urls() {
        assert_eq!(
            parse_okta_target("Example.okta.com").unwrap().domain,
            "example.okta.com"
        );
        let sandbox = parse_okta_target("http://127.0.0.1:8080/").unwrap();
        assert_eq!(sandbox.domain, "127.0.0.1:8080");
        assert_eq!(
            sandbox.url.origin().ascii_serialization(),
            "http://127.0.0.1:8080"
        );
        assert!(parse_okta_target("http://example.okta.com").is_err());
        assert!(parse_okta_target("  ").is_err());
    }

    #[test]
    fn refuses_implausible_okta_urls() {
        let refused = |input: &str, expected: &str| {
            let error = parse_okta_target(input).unwrap_err();
            assert!(error.contains(expected), "{input}: {error}");
            assert!(!error.contains("hunter2"), "{input}: {error}");
        };
        refused(
            "http://admin:hunter2@127.0.0.1:8080",
            "user name or password",
        );
        refused("https://admin:hunter2@", "not a domain or URL");
        refused("https://example.okta.com:0", "port 0");
        refused("https://example.okta.com/?a=b", "query");
        refused("https://example.okta.com/#top", "fragment");
        refused("http//127.0.0.1:36669", "missing colon");
        refused("example", "does not name a host");
        refused("127.0.0.1:8080", "http://127.0.0.1:8080");
        refused("localhost:8080", "http://localhost:8080");
        refused("ftp://example.okta.com", "scheme 'ftp'");
        refused("http://example.okta.com", "plain http");
        refused("example.okta.com\u{7}", "control character");
        refused("http://admin:hunter2@127.0.0.1\u{7f}", "control character");
        refused("admin:hunter2@example\u{7}.okta.com", "control character");
        refused(&format!("{}.okta.com", "a".repeat(2000)), "2009 bytes");
    }

    #[test]
    fn drops_a_path_with_a_note() {
        let target = parse_okta_target("https://example.okta.com/app/UserHome").unwrap();
        assert_eq!(target.url.as_str(), "https://example.okta.com/");
        assert!(target.note.unwrap().contains("/app/UserHome"));
        assert_eq!(
            parse_okta_target("https://example.okta.com/").unwrap().note,
            None
        );
    }

    #[test]
    fn base_urls() {
        let ok = |input: &str| parse_base_url(input, "--apono-url").map(|u| u.to_string());
        assert_eq!(ok("https://api.apono.io").unwrap(), "https://api.apono.io/");
        assert_eq!(
            ok("http://127.0.0.1:9/prefix/").unwrap(),
            "http://127.0.0.1:9/prefix/"
        );
        for (input, expected) in [
            ("https://u:hunter2@api.apono.io", "user name or password"),
            ("https://u:hunter2@api.apono.io\u{1b}", "control character"),
            ("https://api.apono.io:0", "port 0"),
            ("https://api.apono.io/?x", "query"),
            ("https://api.apono.io/#x", "fragment"),
            ("api.apono.io", "not a URL"),
            ("localhost:8080", "has no scheme"),
            ("http://api.apono.io", "plain http"),
            ("https://apono/", "does not name a host"),
        ] {
            let error = ok(input).unwrap_err().message;
            assert!(error.contains(expected), "{input}: {error}");
            assert!(error.starts_with("--apono-url"), "{input}: {error}");
            assert!(!error.contains("hunter2"), "{input}: {error}");
        }
    }

    #[test]
    fn admin_roles_are_standard_and_exact() {
        assert!(check_admin_role("READ_ONLY_ADMIN").is_ok());
        assert!(check_admin_role("WORKFLOWS_ADMIN").is_ok());
        for (role, expected) in [
            ("CUSTOM", "custom role"),
            ("read_only_admin", "upper case: READ_ONLY_ADMIN"),
            (" READ_ONLY_ADMIN", "upper case"),
            ("NOT_A_ROLE", "standard admin role types"),
        ] {
            let error = check_admin_role(role).unwrap_err().message;
            assert!(error.contains(expected), "{role}: {error}");
            assert!(error.contains("accepted: ACCESS_CERTIFICATIONS_ADMIN"));
        }
    }

    #[test]
    fn text_inputs_are_bounded_and_printable() {
        assert!(check_text("Apono Integration", "--app-label").is_ok());
        assert!(check_text(&"a".repeat(MAX_TEXT_LEN), "--app-label").is_ok());
        for (value, expected) in [
            ("  ", "cannot be empty"),
            ("a\tb", "control character"),
            (&"a".repeat(MAX_TEXT_LEN + 1) as &str, "1025 bytes"),
        ] {
            let error = check_text(value, "--app-label").unwrap_err().message;
            assert!(error.starts_with("--app-label"), "{error}");
            assert!(error.contains(expected), "{error}");
            assert!(error.len() < 300, "the value is cut: {error}");
        }
        assert!(parse_key_value("k=\u{1b}[31m").is_err());
    }

    #[test]
    fn token_files_are_read_up_to_64_kib() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, vec![b'a'; MAX_TOKEN_FILE_LEN as usize + 1]).unwrap();
        let error = read_bounded_text(&path, "--f").unwrap_err().message;
        assert!(error.contains("larger than 64 KiB"), "{error}");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let error = read_bounded_text(&path, "--f").unwrap_err().message;
        assert!(error.contains("not UTF-8"), "{error}");
        if Path::new("/dev/zero").exists() {
            let error = read_bounded_text(Path::new("/dev/zero"), "--f").unwrap_err();
            assert!(error.message.contains("larger than 64 KiB"));
        }
    }

    #[test]
    fn a_token_file_others_can_use_gets_a_chmod_600_warning() {
        let path = Path::new("/run/secrets/okta token");
        let warning = |mode| mode_warning(path, mode);
        assert_eq!(
            warning(0o100644).as_deref(),
            Some(
                "/run/secrets/okta token is readable by others (mode 0644): chmod 600 '/run/secrets/okta token'"
            )
        );
        assert!(
            warning(0o640)
                .unwrap()
                .contains("readable by others (mode 0640)")
        );
        assert!(
            warning(0o620)
                .unwrap()
                .contains("writable by others (mode 0620)")
        );
        assert!(
            warning(0o601)
                .unwrap()
                .contains("open to others (mode 0601)")
        );
        for private in [0o600, 0o400, 0o700, 0o100600] {
            assert_eq!(warning(private), None, "{private:o}");
        }
        assert_eq!(shell_word("/tmp/okta-token.txt"), "/tmp/okta-token.txt");
        assert_eq!(shell_word("it's here"), "'it'\\''s here'");
        assert_eq!(shell_word("$HOME/t"), "'$HOME/t'");
    }

    #[cfg(unix)]
    #[test]
    fn token_file_modes_are_read_from_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "00abc").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warning = token_file_warning(&path).unwrap();
        assert!(warning.ends_with(&format!("(mode 0644): chmod 600 {}", path.display())));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(token_file_warning(&path), None);
        // Stdin, a missing file and anything but a regular file: nothing to say.
        assert_eq!(token_file_warning(Path::new("-")), None);
        assert_eq!(token_file_warning(&dir.path().join("missing")), None);
        assert_eq!(token_file_warning(Path::new("/dev/null")), None);
    }

    #[test]
    fn urls_are_shown_without_userinfo() {
        assert_eq!(without_userinfo("http://a:b@h:1/p@q"), "http://***@h:1/p@q");
        assert_eq!(without_userinfo("a:b@h"), "***@h");
        assert_eq!(without_userinfo("https://h/p"), "https://h/p");
    }

    #[test]
    fn org_id_and_base_url() {
        let target = okta_target_from_org_id("example", "oktapreview.com").unwrap();
        assert_eq!(target.domain, "example.oktapreview.com");
        assert!(okta_target_from_org_id("a.b", "okta.com").is_err());
        assert!(okta_target_from_org_id("ex", "okta.com/x").is_err());
    }

    #[test]
    fn key_values() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
    }

    #[test]
    fn refuses_private_jwk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        std::fs::write(&path, r#"{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}"#).unwrap();
        let err = read_public_key(&path).unwrap_err();
        assert!(err.message.contains("private key"));
        std::fs::write(&path, r#"{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}"#).unwrap();
        assert_eq!(read_public_key(&path).unwrap()["use"], "sig");
    }

    /// The longest message a refused URL or org name may give: the value is quoted cut
    /// to 80 characters, a URL's serialization (percent-encoded) to 3 bytes a byte.
    const MAX_MESSAGE: usize = 4 * MAX_TEXT_LEN;

    /// A refusal is bounded and inert: no control or bidirectional character.
    fn assert_inert(message: &str) -> Result<(), TestCaseError> {
        prop_assert!(
            message.len() <= MAX_MESSAGE,
            "{} bytes: {message}",
            message.len()
        );
        prop_assert!(!message.chars().any(is_unsafe), "{message:?}");
        Ok(())
    }

    /// An accepted org: an http(s) origin with nothing but a host and a port, and a
    /// domain that is that host and port, bounded and inert.
    fn assert_origin(target: &OktaTarget) -> Result<(), TestCaseError> {
        let url = &target.url;
        prop_assert!(matches!(url.scheme(), "http" | "https"), "{url}");
        prop_assert!(
            url.username().is_empty() && url.password().is_none(),
            "{url}"
        );
        prop_assert!(url.query().is_none() && url.fragment().is_none(), "{url}");
        prop_assert_eq!(url.path(), "/");
        let host = url.host_str().unwrap_or_default();
        let domain = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        prop_assert_eq!(&target.domain, &domain);
        prop_assert!(target.domain.len() <= MAX_TEXT_LEN);
        if let Some(note) = &target.note {
            assert_inert(note)?;
        }
        assert_inert(&target.domain)
    }

    /// Something shaped like what is typed or pasted at the Okta prompt: a scheme or
    /// none, a host of labels, a port, a path, a query; any character may be anywhere.
    fn url_like() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just(String::new()),
                Just("https://".to_string()),
                Just("http://".to_string()),
                "[a-z+]{0,6}://"
            ],
            prop::collection::vec("[a-zA-Z0-9_-]{0,12}", 0..5),
            prop_oneof![
                Just(String::new()),
                "[a-z.]{1,8}",
                Just(".okta.com".to_string())
            ],
            prop::option::of(0u32..70_000),
            "(/[^?#]{0,20}){0,3}",
            "([?#].{0,10})?",
        )
            .prop_map(|(scheme, labels, suffix, port, path, tail)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                format!("{scheme}{}{suffix}{port}{path}{tail}", labels.join("."))
            })
    }

    proptest! {
        #[test]
        fn any_okta_url_is_an_origin_or_an_inert_refusal(
            input in prop_oneof![any::<String>(), url_like(), "[ -~]{0,2000}"],
        ) {
            match parse_okta_target(&input) {
                Ok(target) => assert_origin(&target)?,
                Err(message) => assert_inert(&message)?,
            }
        }

        #[test]
        fn any_org_id_and_base_url_are_an_org_or_an_inert_refusal(
            org_id in prop_oneof![any::<String>(), "[a-zA-Z0-9.-]{0,20}"],
            base_url in prop_oneof![any::<String>(), Just("okta.com".to_string()), "[a-z.:/]{0,20}"],
        ) {
            match okta_target_from_org_id(&org_id, &base_url) {
                Ok(target) => {
                    assert_origin(&target)?;
                    let org = org_id.trim().to_ascii_lowercase();
                    prop_assert!(target.domain.starts_with(&format!("{org}.")), "{target:?}");
                }
                Err(message) => assert_inert(&message)?,
            }
        }

        #[test]
        fn any_base_url_is_a_plain_url_or_an_inert_refusal(
            input in prop_oneof![any::<String>(), url_like()],
        ) {
            match parse_base_url(&input, "--apono-url") {
                Ok(url) => {
                    prop_assert!(url.username().is_empty() && url.password().is_none());
                    prop_assert!(url.query().is_none() && url.fragment().is_none());
                    prop_assert!(url.port() != Some(0));
                }
                Err(failure) => {
                    prop_assert!(failure.message.starts_with("--apono-url"));
                    assert_inert(&failure.message)?;
                }
            }
        }

        /// A password typed into a URL is never repeated, whatever else the URL holds.
        #[test]
        fn a_password_in_a_url_is_never_repeated(
            url in url_like(),
            password in "[A-Z0-9]{12,20}",
        ) {
            let input = match url.split_once("://") {
                Some((scheme, rest)) => format!("{scheme}://admin:{password}@{rest}"),
                None => format!("admin:{password}@{url}"),
            };
            if let Err(message) = parse_okta_target(&input) {
                prop_assert!(!message.contains(&password), "{message}");
            }
            if let Err(failure) = parse_base_url(&input, "--apono-url") {
                prop_assert!(!failure.message.contains(&password), "{}", failure.message);
            }
        }
    }
}
