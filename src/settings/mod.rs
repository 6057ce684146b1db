//! Flags, environment, keyring and prompts, turned into plain [`ConnectSettings`].
//!
//! Each input resolves in a fixed order: flag, environment, stored (keyring), prompt
//! (only when [`Ui::can_prompt`]), else an error naming the flag to pass. Everything is
//! checked here, before the first network call (DESIGN.md §5): every value is bounded in
//! length, a token file is read up to `MAX_TOKEN_FILE_LEN` and never further, URLs carry
//! no userinfo, port 0, query or fragment, and every check that needs no prompt runs
//! before the first prompt. A bad value is a usage error (exit 2) that names the flag and
//! the value (never a token's value).
//!
//! The folder owns turning inputs into settings, one concern a file: this file the
//! settings themselves, the environment and the order inputs resolve in; `okta_url` the
//! Okta org (org id, base URL, URLs and their checks); `tokens` where tokens come from
//! (flags, the environment, files, the keyring); `wizard` the prompts, the introduction
//! and the check of each typed token; `values` the other values (names, the admin role,
//! `KEY=VALUE` pairs, Apono's public key).

mod okta_url;
mod tokens;
mod values;
mod wizard;

use std::cell::Cell;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::runtime::Runtime;
use url::Url;

use crate::cli::{ConnectArgs, ServiceArgs};
use crate::error::{ExitKind, Failure};
use crate::http::HttpSettings;
use crate::org::role::AdminRole;
use crate::secret::{NoKeyring, OsKeyring, Secret, TokenStore};
use crate::ui::Ui;

pub(crate) use okta_url::parse_base_url;
#[cfg(feature = "sandbox")]
pub(crate) use okta_url::{OktaTarget, parse_okta_target};
pub(crate) use tokens::keyring_account;
pub(crate) use wizard::Purpose;

use okta_url::given_okta_target;
use tokens::{given_apono_token, given_okta_token, token_file_warnings};
use values::{check_admin_role, check_text, parse_key_value, read_public_key};
use wizard::{
    TokenChecks, Wizard, prompt_okta_target, prompt_okta_token, stored_or_prompted_apono_token,
};

/// The most a token file (or stdin) is read: a token is at most 4 KiB, so anything past
/// this is the wrong file, and reading on (`/dev/zero`) would never end.
pub(crate) const MAX_TOKEN_FILE_LEN: u64 = 64 * 1024;
/// The longest name, label, id or `KEY=VALUE` accepted on the command line, in bytes.
/// (The Okta reference document sets no length for an app label.)
pub(crate) const MAX_TEXT_LEN: usize = 1024;
/// The admin roles `--admin-role` accepts: Okta's standard role types, as the
/// reference document's `StandardRoleAssignmentSchema` lists them. `CUSTOM` is left out:
/// it needs a custom role and a resource set, which this flag cannot carry.
pub(crate) const STANDARD_ADMIN_ROLES: [&str; 12] = [
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
pub(crate) const TEST_NO_RETRY_DELAY_ENV: &str = "APONO_OKTA_TEST_NO_RETRY_DELAY";
/// Set to `none` to never touch the OS keyring (tests, CI, or by choice).
pub(crate) const KEYRING_ENV: &str = "APONO_OKTA_KEYRING";

/// How the process environment is read; a function so tests can pass a map.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment. A value that is not UTF-8 is kept (lossily) so the check
/// of that value refuses it by name, rather than it silently counting as unset.
pub(crate) fn process_env(key: &str) -> Option<String> {
    std::env::var_os(key)
        .map(|v| v.to_string_lossy().into_owned())
        .filter(|v| !v.is_empty())
}

/// The token store to use: the OS keyring unless `APONO_OKTA_KEYRING=none`.
pub(crate) fn token_store(env: EnvLookup<'_>) -> Box<dyn TokenStore> {
    match env(KEYRING_ENV).as_deref() {
        Some("none") => Box::new(NoKeyring {
            reason: format!("the keyring is turned off ({KEYRING_ENV}=none)"),
        }),
        _ => Box::new(OsKeyring),
    }
}

/// Shared HTTP settings from the environment and `--ca-bundle`.
pub(crate) fn http_settings(
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
pub(crate) fn poll_interval(http: &HttpSettings) -> Duration {
    if http.no_retry_delay {
        Duration::from_millis(10)
    } else {
        Duration::from_secs(2)
    }
}

/// Everything `connect` needs, resolved: no clap, no environment, no prompts.
#[derive(Debug, Clone)]
pub(crate) struct ConnectSettings {
    /// The org's origin, `https://example.okta.com`.
    pub(crate) okta_url: Url,
    /// `example.okta.com` (with `:port` only when the URL has one).
    pub(crate) domain: String,
    pub(crate) okta_token: Secret,
    pub(crate) apono_url: Url,
    pub(crate) apono_token: Secret,
    pub(crate) app_label: String,
    /// `--admin-role` or `--least-privilege`; `None` keeps what the app Apono uses has.
    pub(crate) admin_role: Option<AdminRole>,
    pub(crate) manager_attribute: Option<String>,
    pub(crate) apono_config: Vec<(String, String)>,
    pub(crate) integration_type: Option<String>,
    pub(crate) integration_id: Option<String>,
    pub(crate) integration_name: Option<String>,
    /// Apono's public key (a JWK) that the app carries.
    pub(crate) public_key: Value,
    pub(crate) keep_api_token: bool,
    pub(crate) keep_orphans: bool,
    /// `--reuse-app`: converge the existing app in place instead of rotating.
    pub(crate) reuse_app: bool,
    pub(crate) dry_run: bool,
    /// `--yes`: do not ask before writing.
    pub(crate) assume_yes: bool,
    /// `None` with `--no-wait`.
    pub(crate) wait: Option<Duration>,
    /// Time between two status reads while waiting.
    pub(crate) poll_interval: Duration,
    pub(crate) http: HttpSettings,
    /// What resolving the inputs warned about, already shown: the report keeps them.
    pub(crate) warnings: Vec<String>,
}

#[cfg(feature = "sandbox")]
impl ConnectSettings {
    /// The settings of a plain `connect` (every flag at its default) to `okta` with
    /// these tokens: what `demo` runs, and what the flags then change.
    pub(crate) fn new(
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
            wait: Some(crate::apono::DEFAULT_WAIT),
            poll_interval: poll_interval(&http),
            http,
            warnings: Vec::new(),
        }
    }
}

/// Where the two services are and the tokens that reach them, resolved.
#[derive(Debug, Clone)]
pub(crate) struct ServiceSettings {
    pub(crate) okta_url: Url,
    pub(crate) domain: String,
    /// `None` only when the command asked for it as `OktaTokenNeed::IfGiven`.
    pub(crate) okta_token: Option<Secret>,
    pub(crate) apono_url: Url,
    pub(crate) apono_token: Secret,
    /// Where the Apono token came from: a rejected token from the keyring gets its own hint.
    pub(crate) apono_token_source: AponoTokenSource,
    pub(crate) integration_type: Option<String>,
    pub(crate) integration_id: Option<String>,
    /// The label of the app this tool creates and finds.
    pub(crate) app_label: String,
    pub(crate) http: HttpSettings,
    /// What resolving the inputs warned about (a token file others can read): already
    /// shown, for the command's report to keep.
    pub(crate) warnings: Vec<String>,
}

/// Where the Apono token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AponoTokenSource {
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
    pub(crate) fn explain(self, failure: Failure) -> Failure {
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
pub(crate) enum OktaTokenNeed {
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
pub(crate) fn resolve_connect(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
