//! The safety re-reads of DESIGN.md §3 ("Concurrent runs", "Unknown outcomes"): what
//! Apono references right now, retiring an app only when nothing references it, and
//! revoking the token until Okta confirms it.
//!
//! Two runs on one org share no lock (a crash could leave one behind); instead every
//! destructive step re-reads the other side immediately before it acts. `connect`'s
//! apply and undo, and `disconnect`, all retire apps through [`retire_unreferenced_app`].

use std::time::Duration;

use crate::apono::{AponoClient, Integration};
use crate::http::ApiError;
use crate::okta::{App, OktaClient};
use crate::org::config::ConfigTemplate;

/// Apono's integrations of the Okta type, as they are now.
#[derive(Debug, Clone)]
pub(crate) struct AponoView {
    /// The integrations whose Okta domain is this org's.
    pub(crate) for_domain: Vec<Integration>,
    /// The client id of each integration of the type (any org's; one per integration,
    /// so an app two integrations share appears twice).
    pub(crate) referenced: Vec<String>,
}

impl AponoView {
    /// Whether some integration uses this app (by client id or app id).
    pub(crate) fn references(&self, app_id: &str, client_id: &str) -> bool {
        self.referenced
            .iter()
            .any(|cid| cid == client_id || cid == app_id)
    }
}

/// Reads every integration of the template's type once.
pub(crate) async fn read_apono(
    apono: &AponoClient,
    template: &ConfigTemplate,
    domain: &str,
) -> Result<AponoView, ApiError> {
    let all = apono.integrations(&template.integration_type).await?;
    Ok(view_of(all, template, domain))
}

/// Splits a list of integrations into this org's and the set of referenced client ids.
pub(crate) fn view_of(all: Vec<Integration>, template: &ConfigTemplate, domain: &str) -> AponoView {
    let referenced = all
        .iter()
        .filter_map(|i| template.client_id_of(&i.integration_config))
        .map(str::to_string)
        .collect();
    let for_domain = all
        .into_iter()
        .filter(|i| template.domain_of(&i.integration_config).as_deref() == Some(domain))
        .collect();
    AponoView {
        for_domain,
        referenced,
    }
}

/// What became of an app this tool wanted gone.
#[derive(Debug)]
pub(crate) enum Retired {
    /// Deactivated and deleted (or already gone).
    Deleted,
    /// An Apono integration uses it now: it was left alone.
    InUse,
}

/// How often [`retire_unreferenced_app`] tries while the answers are lost.
const RETIRE_ATTEMPTS: u32 = 3;

/// Deactivates and deletes an app, unless an Apono integration references it when
/// re-read immediately before. A missing app counts as deleted. Tried again while an
/// answer is lost: a deactivate or delete that landed anyway shows on the next try (a
/// 404 counts as deleted), and one that did not land is sent again.
pub(crate) async fn retire_unreferenced_app(
    okta: &OktaClient,
    apono: &AponoClient,
    template: &ConfigTemplate,
    app: &AppRef,
) -> Result<Retired, ApiError> {
    let mut attempt = 1;
    loop {
        match retire_once(okta, apono, template, app).await {
            Err(e) if try_again(&e, attempt) => attempt += 1,
            outcome => return outcome,
        }
    }
}

/// Whether a retire tries again after `attempt` failed with `error`: only when the
/// answer was lost, and at most [`RETIRE_ATTEMPTS`] tries in all.
fn try_again(error: &ApiError, attempt: u32) -> bool {
    error.answer_lost() && attempt < RETIRE_ATTEMPTS
}

/// Retires an app through [`retire_unreferenced_app`] and says so: `Ok(true)` when it
/// went, `Ok(false)` when an integration uses it now (a warning), `Err` the debt for
/// `left_behind` when it could not go. `what` qualifies the app in messages
/// ("previous", "orphaned", or ""); `again` is the command that finishes the job.
pub(crate) async fn retire_and_report(
    clients: (&OktaClient, &AponoClient),
    template: &ConfigTemplate,
    app: &AppRef,
    (what, again): (&str, &str),
    ui: &crate::ui::Ui,
    warnings: &crate::ui::Warnings,
) -> Result<bool, String> {
    let (okta, apono) = clients;
    let the_app = if what.is_empty() {
        format!("the Okta app {}", app.id)
    } else {
        format!("the {what} app {}", app.id)
    };
    match retire_unreferenced_app(okta, apono, template, app).await {
        Ok(Retired::Deleted) => {
            ui.done(&format!("deactivated and deleted {the_app}"));
            Ok(true)
        }
        Ok(Retired::InUse) => {
            warnings.warn(
                ui,
                format!("kept {the_app}: an Apono integration uses it now"),
            );
            Ok(false)
        }
        Err(e) => {
            warnings.warn(ui, format!("could not delete {the_app}: {e}"));
            Err(crate::org::debts::app_not_retired(what, &app.id, &e, again))
        }
    }
}

/// One try of [`retire_unreferenced_app`].
async fn retire_once(
    okta: &OktaClient,
    apono: &AponoClient,
    template: &ConfigTemplate,
    app: &AppRef,
) -> Result<Retired, ApiError> {
    let view = read_apono(apono, template, "").await?;
    if view.references(&app.id, &app.client_id) {
        return Ok(Retired::InUse);
    }
    match okta.deactivate_app(&app.id).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(Retired::Deleted),
        Err(e) => return Err(e),
    }
    match okta.delete_app(&app.id).await {
        Err(e) if e.is_not_found() => Ok(Retired::Deleted),
        Err(e) => Err(e),
        Ok(()) => Ok(Retired::Deleted),
    }
}

/// An app's two ids: Apono references the client id, Okta's calls take the app id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppRef {
    pub(crate) id: String,
    pub(crate) client_id: String,
}

impl From<&App> for AppRef {
    fn from(app: &App) -> AppRef {
        AppRef {
            id: app.id.clone(),
            client_id: app.client_id().to_string(),
        }
    }
}

/// How often the revoke is tried before it is reported as not done.
const REVOKE_ATTEMPTS: u32 = 3;

/// Revokes the Okta API token the client holds, until Okta confirms it. A failed or
/// unanswered revoke is tried again; a 401 on a later try means an earlier one landed
/// (the token is gone). `Ok(())` only when Okta confirmed the token is revoked.
pub(crate) async fn revoke_token(okta: &OktaClient, pause: Duration) -> Result<(), ApiError> {
    let mut attempt = 1;
    loop {
        match okta.revoke_current_token().await {
            Ok(()) => return Ok(()),
            Err(e) if attempt > 1 && e.status() == Some(reqwest::StatusCode::UNAUTHORIZED) => {
                return Ok(());
            }
            Err(e) if attempt >= REVOKE_ATTEMPTS || e.is_auth_rejection() => return Err(e),
            Err(_) => {
                attempt += 1;
                tokio::time::sleep(pause).await;
            }
        }
    }
}

/// Revokes the token through [`revoke_token`] and says so; `Err` is the debt to list in
/// `left_behind` (the token is still valid, and what to do).
pub(crate) async fn revoke_and_report(
    okta: &OktaClient,
    pause: Duration,
    ui: &crate::ui::Ui,
    warnings: &crate::ui::Warnings,
) -> Result<(), String> {
    match revoke_token(okta, pause).await {
        Ok(()) => {
            ui.done("revoked the Okta API token");
            Ok(())
        }
        Err(e) => {
            warnings.warn(ui, format!("could not revoke the Okta API token: {e}"));
            Err(crate::org::debts::token_not_revoked(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ServiceName;

    fn transport(maybe_delivered: bool) -> ApiError {
        ApiError::Transport {
            service: ServiceName::Okta,
            method: reqwest::Method::DELETE,
            path: "/api/v1/apps/0oa1".into(),
            detail: "connection reset".into(),
            maybe_delivered,
        }
    }

    #[test]
    fn a_retire_is_tried_again_only_while_answers_are_lost_and_three_times_in_all() {
        let lost = transport(true);
        assert!(try_again(&lost, 1));
        assert!(try_again(&lost, 2));
        assert!(!try_again(&lost, RETIRE_ATTEMPTS));
        assert_eq!(RETIRE_ATTEMPTS, 3);
        // Never sent (refused, DNS): nothing may have landed, the error stands.
        assert!(!try_again(&transport(false), 1));
        let decode = ApiError::Decode {
            service: ServiceName::Okta,
            method: reqwest::Method::DELETE,
            path: "/api/v1/apps/0oa1".into(),
            detail: "not JSON".into(),
        };
        assert!(!try_again(&decode, 1));
    }
}
