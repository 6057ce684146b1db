//! The clean-up after the commit point (Apono reported this run's app healthy, or
//! nothing was waited for): removing the roles a repair replaced, retiring the previous
//! and orphaned apps, and revoking the Okta API token. Nothing here is undone; what
//! cannot be finished is a debt (exit 6), returned for `left_behind`.
//!
//! Concurrent runs (DESIGN.md §3): an app is retired only through
//! [`guard::retire_unreferenced_app`], which re-reads Apono immediately before and
//! leaves an app that an integration references now; the undo and `disconnect` retire
//! through it too.

use futures_util::future::join_all;

use super::context::ApplyContext;
use crate::connect::plan::{Plan, RemoveExcess, RetireReason, Retirement};
use crate::okta::App;
use crate::org::guard::{self, AppRef};

/// What the clean-up after the commit point did.
#[derive(Debug, Default)]
pub(super) struct CleanedUp {
    pub(super) retired_app_ids: Vec<String>,
    /// Only when Okta confirmed it.
    pub(super) api_token_revoked: bool,
    /// The debts (exit 6), each with what to do.
    pub(super) left_behind: Vec<String>,
}

impl CleanedUp {
    /// Counts one retirement: gone, kept in use, or a debt.
    fn retired(&mut self, app_id: &str, outcome: Result<bool, String>) {
        match outcome {
            Ok(true) => self.retired_app_ids.push(app_id.to_string()),
            Ok(false) => {}
            Err(debt) => self.left_behind.push(debt),
        }
    }

    /// Counts the revoke: confirmed, or a debt.
    fn revoked(&mut self, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.api_token_revoked = true,
            Err(debt) => self.left_behind.push(debt),
        }
    }
}

/// After the commit point, as the plan says: removes the roles a repair replaced,
/// retires the previous and orphaned apps, revokes the token. Nothing here fails the
/// run; what cannot be done is a debt.
pub(super) async fn clean_up(context: &ApplyContext<'_>, plan: &Plan, app: &App) -> CleanedUp {
    let mut cleaned = CleanedUp::default();
    if let Some(excess) = &plan.remove_excess {
        cleaned
            .left_behind
            .extend(remove_excess(context, app, excess).await);
    }
    for retirement in &plan.retire {
        let outcome = retire(context, retirement).await;
        cleaned.retired(&retirement.app_id, outcome);
    }
    if plan.revoke_token {
        let outcome = revoke(context).await;
        cleaned.revoked(outcome);
    }
    cleaned
}

/// Removes what the app holds beyond the two grants and the one role (a repair, or the
/// old kind's role after a switch in place); what cannot be removed is returned as
/// debts.
async fn remove_excess(
    context: &ApplyContext<'_>,
    app: &App,
    excess: &RemoveExcess,
) -> Vec<String> {
    let okta = context.okta;
    let roles = excess.assignments.iter().map(|(id, what)| async move {
        let removed = okta.unassign_client_role(app.client_id(), id).await;
        (format!("the role {what}"), removed)
    });
    let grants = excess.grants.iter().map(|(id, scope)| async move {
        let removed = okta.revoke_grant(&app.id, id).await;
        (format!("the grant of {scope} ({id})"), removed)
    });
    let mut debts = Vec::new();
    let outcomes = join_all(roles)
        .await
        .into_iter()
        .chain(join_all(grants).await);
    for (what, removed) in outcomes {
        match removed {
            Err(e) if !e.is_not_found() => {
                let warning = format!(
                    "could not remove {what} from the app {}: {e}",
                    excess.app_id
                );
                context.warnings.warn(context.ui, warning);
                debts.push(format!(
                    "the Okta app {} still holds {what} ({e}): remove it in the Okta admin console, or run `apono-okta connect --reuse-app` again",
                    excess.app_id
                ));
            }
            _ => context
                .ui
                .done(&format!("removed {what} from the app {}", excess.app_id)),
        }
    }
    debts
}

/// Retires a previous or orphaned app unless Apono uses it now: `Ok(true)` when it
/// went, `Ok(false)` when it stays in use, `Err` the debt when it could not go.
async fn retire(context: &ApplyContext<'_>, retirement: &Retirement) -> Result<bool, String> {
    let what = match retirement.reason {
        RetireReason::Previous => "previous",
        RetireReason::Orphan => "orphaned",
    };
    let target = AppRef {
        id: retirement.app_id.clone(),
        client_id: retirement.app_id.clone(),
    };
    let clients = (context.okta, context.apono);
    let words = (what, "connect");
    guard::retire_and_report(
        clients,
        context.template,
        &target,
        words,
        context.ui,
        context.warnings,
    )
    .await
}

/// Revokes the Okta token until Okta confirms it; `Err` is the debt.
async fn revoke(context: &ApplyContext<'_>) -> Result<(), String> {
    guard::revoke_and_report(
        context.okta,
        context.poll_interval,
        context.ui,
        context.warnings,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clean_up_lists_what_went_and_each_debt_in_order() {
        let mut cleaned = CleanedUp::default();
        cleaned.retired("0oaPrevious", Ok(true));
        cleaned.retired("0oaInUse", Ok(false));
        cleaned.retired(
            "0oaStuck",
            Err("the previous Okta app 0oaStuck was not retired".into()),
        );
        cleaned.retired("0oaOrphan", Ok(true));
        assert!(!cleaned.api_token_revoked);
        cleaned.revoked(Err("the Okta API token is still valid".into()));
        assert_eq!(cleaned.retired_app_ids, ["0oaPrevious", "0oaOrphan"]);
        assert!(!cleaned.api_token_revoked);
        assert_eq!(
            cleaned.left_behind,
            [
                "the previous Okta app 0oaStuck was not retired",
                "the Okta API token is still valid"
            ]
        );
    }

    #[test]
    fn the_token_counts_as_revoked_only_when_okta_confirmed_it() {
        let mut cleaned = CleanedUp::default();
        cleaned.revoked(Ok(()));
        assert!(cleaned.api_token_revoked);
        assert!(cleaned.left_behind.is_empty());
    }
}
