//! What applying a plan works with: the clients, the run's settings and the UI
//! ([`ApplyContext`]), and the concurrent-run rule every step may need: another run's
//! integration for the domain is exit 7 (DESIGN.md §3, "Concurrent runs"). Apply, the
//! wait for `Active` and the clean-up all take it from here.

use std::time::Duration;

use serde_json::Value;

use crate::apono::AponoClient;
use crate::error::Failure;
use crate::okta::OktaClient;
use crate::org::config::ConfigTemplate;
use crate::org::guard;
use crate::org::role::AdminRole;
use crate::ui::{Ui, Warnings};

/// What apply needs besides the plan.
pub(super) struct ApplyContext<'a> {
    pub(super) okta: &'a OktaClient,
    pub(super) apono: &'a AponoClient,
    pub(super) ui: &'a Ui,
    /// Where the run's warnings are shown and kept for its report.
    pub(super) warnings: &'a Warnings,
    pub(super) template: &'a ConfigTemplate,
    pub(super) public_key: &'a Value,
    /// This org's Okta domain, as Apono's integration config holds it.
    pub(super) domain: &'a str,
    /// The admin role the app should hold (reported as such when already there).
    pub(super) admin_role: &'a AdminRole,
    /// Longest wait for `Active`, status reads included.
    pub(super) wait_timeout: Duration,
    /// Longest time between two status reads.
    pub(super) poll_interval: Duration,
    /// How long an undo looks for the effect of a write whose answer was lost.
    pub(super) look_window: Duration,
}

/// Right after this run created `created_id`: no other integration for the domain
/// exists, else another run created one at the same time (exit 7; both may yield).
pub(super) async fn check_sole_integration(
    context: &ApplyContext<'_>,
    created_id: &str,
) -> Result<(), Failure> {
    let after = guard::read_apono(context.apono, context.template, context.domain).await?;
    match after.for_domain.iter().find(|i| i.id != created_id) {
        Some(other) => Err(concurrent_change(format!(
            "another run created the Apono integration {} for {} at the same time",
            other.id, context.domain
        ))),
        None => Ok(()),
    }
}

/// Exit 7: another run changed the org; this run's own work is undone by the caller.
pub(super) fn concurrent_change(message: String) -> Failure {
    Failure::concurrent_change(message).with_hint(
        "another apono-okta run (or a person) is changing this org: wait for it to finish, then run `apono-okta connect` again",
    )
}
