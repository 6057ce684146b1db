//! The interactive side of resolving inputs: the introduction said before the first
//! question, the questions themselves (the Okta org, then each token still missing, the
//! Apono one after the keyring), and the check of each token as soon as it is typed.

use std::cell::Cell;

use tokio::runtime::Runtime;
use url::Url;

use super::AponoTokenSource;
use super::okta_url::{OktaTarget, check_org_id, org_under, parse_okta_target};
use super::tokens::keyring_account;
use crate::apono::AponoClient;
use crate::error::{ExitKind, Failure};
use crate::http::HttpSettings;
use crate::okta::OktaClient;
use crate::org::observe;
use crate::secret::{Secret, TokenStore};
use crate::ui::{Check, Ui, prompt_failure};

/// Which command is asking, for the introduction printed before its first prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Connect,
    Status,
    Disconnect,
}

/// The interactive side of resolving inputs: the one introduction, printed before the
/// first prompt and only when there is one (a fully scripted run prints nothing), and
/// the check of each token typed.
pub(super) struct Wizard<'a> {
    pub(super) ui: &'a Ui,
    pub(super) purpose: Purpose,
    pub(super) apono_url: &'a Url,
    /// Where typed tokens are checked; `None`: by the preflight only.
    pub(super) checks: Option<TokenChecks<'a>>,
    pub(super) introduced: Cell<bool>,
}

/// What checking a typed token needs: the runtime the command then runs on (settings are
/// resolved before it runs anything, so a prompt never blocks one of its threads), and
/// the HTTP settings the command will use.
pub(super) struct TokenChecks<'a> {
    pub(super) runtime: &'a Runtime,
    pub(super) http: &'a HttpSettings,
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
/// `checked`: a token typed is checked at once (see [`super::resolve_service_checked`]).
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
pub(super) fn prompt_okta_target(wizard: &Wizard<'_>) -> Result<OktaTarget, Failure> {
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

/// The Okta token from a hidden prompt, when prompting is allowed; checked against the
/// org at `okta_url` as soon as it is typed, and asked for again when refused.
pub(super) fn prompt_okta_token(wizard: &Wizard<'_>, okta_url: &Url) -> Result<Secret, Failure> {
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

/// The Apono token from the keyring, else a hidden prompt when prompting is allowed,
/// checked as soon as it is typed and asked for again when refused.
pub(super) fn stored_or_prompted_apono_token(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
