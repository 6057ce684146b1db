//! Waiting for Apono to report the integration `Active` with this run's app, within
//! `--wait` (DESIGN.md §3, "Deadlines"). Right after an update Apono may still answer
//! about the previous app, so each status read is judged first: whose app it shows
//! ([`Shows`]), and whether a settled status can be trusted yet ([`Freshness`]).
//! Another run moving or deleting the integration meanwhile is exit 7.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::context::{ApplyContext, check_sole_integration, concurrent_change};
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
    let freshness = Freshness::after(
        written,
        &integration.status,
        app.client_id(),
        observed_client_id,
    );
    let id = integration.id.clone();
    let waited = async {
        match tokio::time::timeout(
            context.wait_timeout,
            wait_until_healthy(context, &id, freshness),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(wait_ran_out(context.wait_timeout, &id)),
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

/// Exit 5: `--wait` (`waited`) passed before Apono settled.
fn wait_ran_out(waited: Duration, id: &str) -> Failure {
    Failure::unhealthy(format!(
        "Apono did not report the integration {id} Active within {}s",
        waited.as_secs()
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

/// The pause before the next status read, `waited` into the wait (see
/// [`SHORTEST_PAUSE`]); never longer than `poll_interval`.
fn next_pause(waited: Duration, poll_interval: Duration) -> Duration {
    (waited / 10).clamp(SHORTEST_PAUSE.min(poll_interval), poll_interval)
}

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
#[derive(Debug, PartialEq)]
enum Shows {
    /// This run's app.
    NewApp,
    /// The previous app: the update has not shown yet.
    Stale,
    /// An app that is neither: another run moved the integration.
    Foreign(String),
}

/// What one status read means for the wait.
#[derive(Debug, PartialEq)]
enum Step {
    /// Read again; the spinner says why.
    Wait(String),
    /// Another run pointed the integration at this client id (exit 7).
    Foreign(String),
    /// Apono reports this run's app `Active`.
    Active,
    /// Apono reports this run's app working, with a warning: shown, and the run goes on.
    Warning,
    /// `Error` or `Disabled` (exit 5).
    Failed,
}

impl Freshness {
    /// Before the first read, after this run `written` the integration whose status
    /// was then `status`: the new app is `client_id`, the previous one
    /// `previous_client_id`.
    fn after(
        written: Written,
        status: &IntegrationStatus,
        client_id: &str,
        previous_client_id: Option<String>,
    ) -> Freshness {
        let updated = written == Written::Updated;
        Freshness {
            after_update: updated,
            // A status that is not yet settled proves Apono saw our write.
            saw_sync: written == Written::Created || (updated && !status.is_healthy()),
            expected_client_id: Some(client_id.to_string()),
            previous_client_id,
            settled_reads: 0,
        }
    }

    /// Judges one read: whose app it shows, then whether its status ends the wait.
    fn judge(&mut self, integration: &Integration, client_id_key: &str) -> Step {
        match self.shows(integration, client_id_key) {
            Shows::NewApp => {}
            Shows::Stale => return Step::Wait("waiting for Apono to take the new app".into()),
            Shows::Foreign(other) => return Step::Foreign(other),
        }
        let trusted = self.settled_and_trusted(integration);
        match &integration.status {
            status if status.is_healthy() && !trusted => {
                Step::Wait("waiting for Apono to sync with the new app".into())
            }
            IntegrationStatus::Active => Step::Active,
            IntegrationStatus::Warning => Step::Warning,
            status if status.is_failed() => Step::Failed,
            other => Step::Wait(format!(
                "waiting for Apono to sync with Okta (status {other})"
            )),
        }
    }

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
    let started = Instant::now();
    let mut pause = Duration::ZERO;
    loop {
        tokio::time::sleep(pause).await;
        pause = next_pause(started.elapsed(), context.poll_interval);
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
        match freshness.judge(&integration, &context.template.client_id_key) {
            Step::Wait(why) => spinner.set_message(&why),
            Step::Foreign(other) => {
                spinner.finish();
                return Err(concurrent_change(format!(
                    "another run pointed the Apono integration {id} at client id {other} while this run waited for it"
                )));
            }
            Step::Active => {
                spinner.finish();
                context
                    .ui
                    .done(&format!("Apono reports the integration {id} Active"));
                return Ok(integration);
            }
            Step::Warning => {
                spinner.finish();
                let details = details_of(context.apono, id).await;
                context.warnings.warn(
                    context.ui,
                    format!("Apono reports the integration {id} with status Warning{details}"),
                );
                return Ok(integration);
            }
            Step::Failed => {
                spinner.finish();
                let details = details_of(context.apono, id).await;
                return Err(Failure::unhealthy(format!(
                    "Apono reports the integration {id} with status {}{details}",
                    integration.status
                )));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "clientId";
    const NEW: &str = "0oaNew";
    const OLD: &str = "0oaOld";

    /// A status read: `status` as Apono spells it, on `client_id` (none: no client id).
    fn read(status: &str, client_id: Option<&str>) -> Integration {
        let mut config = serde_json::Map::new();
        if let Some(client_id) = client_id {
            config.insert(KEY.into(), client_id.into());
        }
        serde_json::from_value(serde_json::json!({
            "id": "int-1",
            "status": status,
            "integration_config": config,
        }))
        .unwrap()
    }

    fn status(name: &str) -> IntegrationStatus {
        serde_json::from_value(name.into()).unwrap()
    }

    /// The wait after a create (first status `Initializing`).
    fn after_create() -> Freshness {
        Freshness::after(Written::Created, &status("Initializing"), NEW, None)
    }

    /// The wait after an update of an integration that was `status` on the old app.
    fn after_update(status_then: &str) -> Freshness {
        Freshness::after(
            Written::Updated,
            &status(status_then),
            NEW,
            Some(OLD.into()),
        )
    }

    fn judge_all(freshness: &mut Freshness, reads: &[(&str, Option<&str>)]) -> Vec<Step> {
        reads
            .iter()
            .map(|(status, client_id)| freshness.judge(&read(status, *client_id), KEY))
            .collect()
    }

    fn waiting(steps: &[Step]) -> bool {
        steps.iter().all(|step| matches!(step, Step::Wait(_)))
    }

    #[test]
    fn a_read_shows_the_new_app_the_previous_one_or_another_runs() {
        let freshness = after_update("Active");
        let shows = |client_id| freshness.shows(&read("Active", client_id), KEY);
        assert_eq!(shows(Some(NEW)), Shows::NewApp);
        assert_eq!(shows(Some(OLD)), Shows::Stale);
        assert_eq!(shows(Some("0oaOther")), Shows::Foreign("0oaOther".into()));
        // After an update a read without a client id proves nothing...
        assert_eq!(shows(None), Shows::Stale);
        // ...after a create there is no previous app to confuse it with.
        assert_eq!(
            after_create().shows(&read("Active", None), KEY),
            Shows::NewApp
        );
    }

    #[test]
    fn after_a_create_the_first_active_read_ends_the_wait() {
        assert_eq!(
            judge_all(&mut after_create(), &[("Active", Some(NEW))]),
            [Step::Active]
        );
    }

    #[test]
    fn after_an_update_that_showed_no_sync_active_counts_on_the_third_read() {
        let mut freshness = after_update("Active");
        let steps = judge_all(&mut freshness, &[("Active", Some(NEW)); 3]);
        assert_eq!(SETTLED_READS_AFTER_UPDATE, 3);
        assert!(waiting(&steps[..2]), "{steps:?}");
        assert_eq!(steps[2], Step::Active);
    }

    #[test]
    fn a_status_not_settled_is_waited_on_and_trusts_the_next_active_read() {
        // `Paused` is a status this tool does not know (a newer Apono).
        for unsettled in ["Initializing", "Refreshing", "Paused"] {
            let steps = judge_all(
                &mut after_update("Active"),
                &[(unsettled, Some(NEW)), ("Active", Some(NEW))],
            );
            let wait = format!("waiting for Apono to sync with Okta (status {unsettled})");
            assert_eq!(steps, [Step::Wait(wait), Step::Active]);
        }
        // An update answered with a status not yet settled counts as the sync.
        assert_eq!(
            judge_all(&mut after_update("Refreshing"), &[("Active", Some(NEW))]),
            [Step::Active]
        );
    }

    #[test]
    fn reads_of_the_previous_app_never_count_as_settled() {
        let mut freshness = after_update("Active");
        let stale = judge_all(&mut freshness, &[("Active", Some(OLD)); 5]);
        assert_eq!(
            stale[0],
            Step::Wait("waiting for Apono to take the new app".into())
        );
        assert!(waiting(&stale), "{stale:?}");
        // Not even a status that is not settled: it is about the previous app.
        let still = judge_all(
            &mut freshness,
            &[("Error", Some(OLD)), ("Active", Some(NEW))],
        );
        assert!(waiting(&still), "{still:?}");
    }

    #[test]
    fn another_runs_client_id_stops_the_wait() {
        assert_eq!(
            judge_all(&mut after_update("Active"), &[("Active", Some("0oaOther"))]),
            [Step::Foreign("0oaOther".into())]
        );
    }

    #[test]
    fn warning_ends_the_wait_once_trusted() {
        assert_eq!(
            judge_all(&mut after_create(), &[("Warning", Some(NEW))]),
            [Step::Warning]
        );
        let steps = judge_all(&mut after_update("Active"), &[("Warning", Some(NEW)); 3]);
        assert!(waiting(&steps[..2]), "{steps:?}");
        assert_eq!(steps[2], Step::Warning);
    }

    #[test]
    fn error_and_disabled_fail_at_once_even_before_a_sync() {
        for failed in ["Error", "Disabled"] {
            assert_eq!(
                judge_all(&mut after_update("Active"), &[(failed, Some(NEW))]),
                [Step::Failed],
                "{failed}"
            );
        }
    }

    #[test]
    fn a_kept_integration_needs_three_settled_reads() {
        let mut freshness =
            Freshness::after(Written::Nothing, &status("Active"), NEW, Some(NEW.into()));
        let steps = judge_all(&mut freshness, &[("Active", Some(NEW)); 3]);
        assert!(waiting(&steps[..2]), "{steps:?}");
        assert_eq!(steps[2], Step::Active);
        // Nothing was written: a read without a client id is not stale.
        assert_eq!(freshness.shows(&read("Active", None), KEY), Shows::NewApp);
    }

    #[test]
    fn the_pause_grows_with_the_wait_between_the_shortest_and_the_poll_interval() {
        let poll = Duration::from_secs(2);
        let pause = |waited_ms| next_pause(Duration::from_millis(waited_ms), poll);
        assert_eq!(pause(0), SHORTEST_PAUSE);
        assert_eq!(pause(999), SHORTEST_PAUSE);
        assert_eq!(pause(3_000), Duration::from_millis(300));
        assert_eq!(pause(15_000), Duration::from_millis(1_500));
        assert_eq!(pause(20_000), poll);
        assert_eq!(pause(600_000), poll);
        // A poll interval shorter than the shortest pause (tests) is the pause.
        let fast = Duration::from_millis(10);
        assert_eq!(next_pause(Duration::ZERO, fast), fast);
        assert_eq!(next_pause(Duration::from_secs(60), fast), fast);
    }

    #[test]
    fn running_out_of_wait_is_unhealthy_and_names_the_wait_and_the_flag() {
        let failure = wait_ran_out(Duration::from_secs(90), "int-1");
        assert_eq!(failure.exit_code(), 5);
        assert_eq!(
            failure.message,
            "Apono did not report the integration int-1 Active within 90s"
        );
        assert!(
            failure.hints[0].contains("--wait SECONDS"),
            "{:?}",
            failure.hints
        );
    }
}
