//! Waiting for Apono to report the integration `Active` with this run's app, within
//! `--wait` (DESIGN.md §3, "Deadlines"). Right after an update Apono may still answer
//! about the previous app, so each status read is judged first: whose app it shows
//! ([`Shows`]), and whether a settled status can be trusted yet ([`Freshness`]).
//! Another run moving or deleting the integration meanwhile is exit 7.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::apply::{ApplyContext, check_sole_integration, concurrent_change};
use crate::apono::{AponoClient, Integration, IntegrationStatus};
use crate::error::Failure;
use crate::okta::App;

/// What this run wrote to the integration, which tells a fresh status read from one
/// about the previous app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    Created,
    Updated,
    Nothing,
}

/// Waits, within `--wait`, for Apono to report the integration healthy with this run's
/// app; an integration this run created is checked for a twin beside the first read.
pub(super) async fn wait_for_active(
    context: &ApplyContext<'_>,
    app: &App,
    integration: Integration,
    written: Written,
    observed_client_id: Option<String>,
) -> Result<Integration, Failure> {
    let updated = written == Written::Updated;
    let freshness = Freshness {
        after_update: updated,
        // A status that is not yet settled proves Apono saw our write.
        saw_sync: written == Written::Created || (updated && !integration.status.is_healthy()),
        expected_client_id: Some(app.client_id().to_string()),
        previous_client_id: observed_client_id,
        settled_reads: 0,
    };
    let id = integration.id.clone();
    let waited = async {
        match tokio::time::timeout(
            context.wait_timeout,
            wait_until_healthy(context, &id, freshness),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(wait_ran_out(context, &id)),
        }
    };
    let sole = async {
        match written {
            Written::Created => check_sole_integration(context, &id).await,
            _ => Ok(()),
        }
    };
    let ((), healthy) = tokio::try_join!(sole, waited)?;
    Ok(healthy)
}

fn wait_ran_out(context: &ApplyContext<'_>, id: &str) -> Failure {
    Failure::unhealthy(format!(
        "Apono did not report the integration {id} Active within {}s",
        context.wait_timeout.as_secs()
    ))
    .with_hint("raise --wait SECONDS, or check the integration in the Apono web app")
}

/// How many `Active` reads in a row count as settled when Apono never showed a sync
/// after an update (a service that applies updates without a visible `Refreshing`).
const SETTLED_READS_AFTER_UPDATE: u32 = 3;

/// The first status read comes right after the write; then a read every this long,
/// until a tenth of the time waited so far is longer (up to the poll interval): an
/// activation is noticed within 10% of the time Apono took, or about this, whichever
/// is larger, without reading every 100 ms for two minutes.
const SHORTEST_PAUSE: Duration = Duration::from_millis(100);

/// Whether a read describes this run's app, not the previous one.
///
/// Right after an update, Apono may still answer with the previous app's status. A
/// read counts once it shows the new client id (after an update, a read without one
/// proves nothing), and a settled status counts once Apono went through a non-settled
/// one since the write or answered settled [`SETTLED_READS_AFTER_UPDATE`] times.
struct Freshness {
    /// This run updated an existing integration (rotate, repair).
    after_update: bool,
    saw_sync: bool,
    expected_client_id: Option<String>,
    /// The client id the integration had before this run's update.
    previous_client_id: Option<String>,
    settled_reads: u32,
}

/// What one status read says about whose app Apono is on.
enum Shows {
    /// This run's app.
    NewApp,
    /// The previous app: the update has not shown yet.
    Stale,
    /// An app that is neither: another run moved the integration.
    Foreign(String),
}

impl Freshness {
    fn shows(&self, integration: &Integration, client_id_key: &str) -> Shows {
        let shown = integration
            .integration_config
            .get(client_id_key)
            .and_then(Value::as_str);
        match (&self.expected_client_id, shown) {
            (Some(expected), Some(shown)) if expected == shown => Shows::NewApp,
            (Some(_), Some(shown)) if self.previous_client_id.as_deref() == Some(shown) => {
                Shows::Stale
            }
            (Some(_), Some(shown)) => Shows::Foreign(shown.to_string()),
            (Some(_), None) if self.after_update => Shows::Stale,
            _ => Shows::NewApp,
        }
    }

    /// Reads one answer about this run's app; true when a settled status can be trusted.
    fn settled_and_trusted(&mut self, integration: &Integration) -> bool {
        if !integration.status.is_healthy() {
            self.saw_sync = true;
            return false;
        }
        self.settled_reads += 1;
        self.saw_sync || self.settled_reads >= SETTLED_READS_AFTER_UPDATE
    }
}

/// Polls the integration until Apono settles on a status. The caller bounds the
/// whole wait, status reads included.
async fn wait_until_healthy(
    context: &ApplyContext<'_>,
    id: &str,
    mut freshness: Freshness,
) -> Result<Integration, Failure> {
    let spinner = context.ui.spinner("waiting for Apono to sync with Okta");
    let shortest = SHORTEST_PAUSE.min(context.poll_interval);
    let started = Instant::now();
    let mut pause = Duration::ZERO;
    loop {
        tokio::time::sleep(pause).await;
        pause = (started.elapsed() / 10).clamp(shortest, context.poll_interval);
        let integration = match context.apono.integration(id).await {
            Ok(integration) => integration,
            Err(e) if e.is_not_found() => {
                spinner.finish();
                return Err(concurrent_change(format!(
                    "the Apono integration {id} was deleted while this run waited for it"
                )));
            }
            Err(e) => {
                spinner.finish();
                return Err(e.into());
            }
        };
        match freshness.shows(&integration, &context.template.client_id_key) {
            Shows::NewApp => {}
            Shows::Stale => {
                spinner.set_message("waiting for Apono to take the new app");
                continue;
            }
            Shows::Foreign(other) => {
                spinner.finish();
                return Err(concurrent_change(format!(
                    "another run pointed the Apono integration {id} at client id {other} while this run waited for it"
                )));
            }
        }
        let trusted = freshness.settled_and_trusted(&integration);
        match &integration.status {
            status if status.is_healthy() && !trusted => {
                spinner.set_message("waiting for Apono to sync with the new app");
            }
            IntegrationStatus::Active => {
                spinner.finish();
                context
                    .ui
                    .done(&format!("Apono reports the integration {id} Active"));
                return Ok(integration);
            }
            IntegrationStatus::Warning => {
                spinner.finish();
                let details = details_of(context.apono, id).await;
                context.warnings.warn(
                    context.ui,
                    format!("Apono reports the integration {id} with status Warning{details}"),
                );
                return Ok(integration);
            }
            status if status.is_failed() => {
                spinner.finish();
                let details = details_of(context.apono, id).await;
                return Err(Failure::unhealthy(format!(
                    "Apono reports the integration {id} with status {}{details}",
                    integration.status
                )));
            }
            other => spinner.set_message(&format!(
                "waiting for Apono to sync with Okta (status {other})"
            )),
        }
    }
}

/// `: <what Apono says>`, or nothing when Apono says nothing.
async fn details_of(apono: &AponoClient, id: &str) -> String {
    match apono.integration_details(id).await {
        Ok(Some(details)) => format!(": {details}"),
        _ => String::new(),
    }
}
