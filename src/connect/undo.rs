//! The undo journal: each write of a run is recorded as an [`Undo`] before it is sent,
//! and a failure before Apono reports the integration healthy rolls the [`Journal`]
//! back, newest first, within one deadline.
//!
//! Unknown outcomes (DESIGN.md §3): a write whose answer was lost may have happened, or
//! may still happen. Its undo entry then looks for the write's effect by its natural key
//! (apps by label, integrations by client id) for a while before deciding, and undoes
//! what landed. Apono is put back before the app it pointed at is deleted, and no app is
//! deleted while an integration references it ([`crate::org::guard`]).
//!
//! Known gap: an app create whose answer was lost while another run also created one
//! cannot tell the two apart; both are then listed in `left_behind`, and a later plain
//! run retires the one Apono does not use.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::apono::{AponoClient, Integration};
use crate::http::ApiError;
use crate::okta::{App, OktaClient};
use crate::org::config::ConfigTemplate;
use crate::org::guard::{AppRef, Retired};
use crate::org::role::{self, SharedObject};
use crate::ui::Ui;

/// One write to put back if the run fails.
#[derive(Debug, Clone)]
pub(super) enum Undo {
    /// The app this run created.
    DeleteApp(AppRef),
    /// Recorded before the app create is sent: while its answer has not come, the app
    /// is looked for by label among the apps preflight did not see.
    FindCreatedApp { label: String, look: Duration },
    /// Recorded before the create is sent, so an answer lost to a dropped connection or
    /// Ctrl-C is undone too: deletes every integration of the type that points at the
    /// new app's client id.
    DeleteIntegrationsFor {
        integration_type: String,
        client_id_key: String,
        client_id: String,
        look: Duration,
    },
    /// A custom role or resource set this run created (`id` unknown when the create's
    /// answer was lost: then it is found by its label).
    DeleteShared {
        kind: SharedObject,
        id: Option<String>,
    },
    /// Recorded before the update is sent: points the integration back at its
    /// previous app, but only while it still references this run's app.
    RestoreIntegration {
        previous: Box<Integration>,
        client_id: String,
        look: Duration,
    },
}

impl Undo {
    /// The same entry, looking for its write's effect for `look` (its answer was lost).
    pub(super) fn looking_for(mut self, window: Duration) -> Undo {
        match &mut self {
            Undo::FindCreatedApp { look, .. }
            | Undo::DeleteIntegrationsFor { look, .. }
            | Undo::RestoreIntegration { look, .. } => *look = window,
            Undo::DeleteApp(_) | Undo::DeleteShared { .. } => {}
        }
        self
    }

    /// Whether this entry points Apono away from this run's app. When it could not,
    /// Apono may still use that app: no app is deleted after it.
    fn puts_apono_back(&self) -> bool {
        matches!(
            self,
            Undo::DeleteIntegrationsFor { .. } | Undo::RestoreIntegration { .. }
        )
    }

    /// What is left instead of this entry while Apono may still use this run's app:
    /// an app this run created is kept. `None`: the entry is not an app's.
    fn kept_for_apono(&self) -> Option<String> {
        match self {
            Undo::DeleteApp(app) => Some(format!(
                "the Okta app {} (created by this run): kept, because Apono may still use it",
                app.id
            )),
            Undo::FindCreatedApp { label, .. } => Some(format!(
                "an Okta app labelled \"{label}\" may have been created by this run: kept, because Apono may still use it"
            )),
            Undo::DeleteIntegrationsFor { .. }
            | Undo::DeleteShared { .. }
            | Undo::RestoreIntegration { .. } => None,
        }
    }
}

/// The writes of this run that a failure must undo, in the order they happened.
/// Shared, so that Ctrl-C can roll back what an interrupted apply had done.
#[derive(Debug, Clone, Default)]
pub(super) struct Journal(Arc<Mutex<Vec<Undo>>>);

/// What an undo needs to act safely.
pub(super) struct UndoContext<'a> {
    pub(super) okta: &'a OktaClient,
    pub(super) apono: &'a AponoClient,
    pub(super) template: &'a ConfigTemplate,
    pub(super) preexisting_app_ids: &'a [String],
    pub(super) okta_since: SystemTime,
    pub(super) ui: &'a Ui,
}

impl Journal {
    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Undo>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn record(&self, undo: Undo) {
        self.entries().push(undo);
    }

    /// Replaces the newest entry that `matches` (two creates may run side by side).
    pub(super) fn amend(&self, matches: impl Fn(&Undo) -> bool, with: Undo) {
        let mut entries = self.entries();
        if let Some(entry) = entries.iter_mut().rev().find(|undo| matches(undo)) {
            *entry = with;
        }
    }

    /// Replaces the newest entry: what the write's answer taught about its undo.
    pub(super) fn amend_last(&self, amend: impl FnOnce(Undo) -> Undo) {
        let mut entries = self.entries();
        if let Some(last) = entries.pop() {
            entries.push(amend(last));
        }
    }

    /// Forgets everything: the run succeeded and nothing is to be undone.
    pub(super) fn commit(&self) {
        self.entries().clear();
    }

    /// Forgets the newest entry that `matches` (a create that turned out to be another
    /// run's object, used rather than made).
    pub(super) fn forget(&self, matches: impl Fn(&Undo) -> bool) {
        let mut entries = self.entries();
        if let Some(at) = entries.iter().rposition(matches) {
            entries.remove(at);
        }
    }

    /// Empties the journal; its entries newest first, the order they are undone in,
    /// except that the custom role and resource set come last: the app that holds them
    /// must go first (Okta refuses to delete an assigned role), and the app and the
    /// objects may have been created side by side in either order.
    fn take_newest_first(&self) -> std::vec::IntoIter<Undo> {
        let mut entries = std::mem::take(&mut *self.entries());
        entries.reverse();
        // Stable: the order within each group stays newest first.
        entries.sort_by_key(|undo| matches!(undo, Undo::DeleteShared { .. }));
        entries.into_iter()
    }

    /// Undoes every recorded write, newest first, and reports what was undone and what
    /// could not be. Apono is put back before the app it pointed at is deleted, and an
    /// app is deleted only when no integration references it, so Apono never points at
    /// an app that does not exist. The undo as a whole is bounded by `deadline`
    /// (`--timeout`), and a Ctrl-C stops it at once: what it has not finished then is
    /// left behind, each with what to do.
    pub(super) async fn roll_back(&self, cx: &UndoContext<'_>, deadline: Duration) -> RolledBack {
        let mut rolling = Rolling::default();
        let stop = async {
            tokio::select! {
                () = tokio::time::sleep(deadline) => false,
                _ = tokio::signal::ctrl_c() => true,
            }
        };
        tokio::pin!(stop);
        let mut pending = self.take_newest_first();
        while let Some(undo) = pending.next() {
            let kept = rolling.kept(&undo);
            let outcome = tokio::select! {
                outcome = undo_one(cx, undo.clone(), kept) => outcome,
                interrupted = &mut stop => {
                    let why = rolling.stopped(std::iter::once(undo).chain(pending), interrupted);
                    cx.ui.error(&format!("the undo stopped: {why}"));
                    break;
                }
            };
            match &outcome {
                Ok(Some(done)) => cx.ui.done(&format!("undone: {done}")),
                Ok(None) => {}
                Err(left) => cx.ui.error(&format!("could not undo: {left}")),
            }
            rolling.count(&undo, outcome);
        }
        rolling.rolled
    }
}

/// What a roll-back did.
#[derive(Debug, Default)]
pub(super) struct RolledBack {
    /// What was put back.
    pub(super) undone: Vec<String>,
    /// What could not be, each with what to do.
    pub(super) left_behind: Vec<String>,
    /// A Ctrl-C stopped it (exit 130, even with something left behind).
    pub(super) interrupted: bool,
}

/// The bookkeeping of a roll-back, entry by entry, newest first.
#[derive(Debug, Default)]
struct Rolling {
    rolled: RolledBack,
    /// An entry that puts Apono back failed: from then on no app is deleted.
    apono_not_put_back: bool,
}

impl Rolling {
    /// What to leave instead of undoing `undo`: an app this run created, once Apono
    /// could not be put back (it may still use the app). `None`: undo it.
    fn kept(&self, undo: &Undo) -> Option<String> {
        if self.apono_not_put_back {
            undo.kept_for_apono()
        } else {
            None
        }
    }

    /// Counts what undoing `undo` came to: done (or nothing to do), or left behind.
    fn count(&mut self, undo: &Undo, outcome: Result<Option<String>, String>) {
        match outcome {
            Ok(Some(done)) => self.rolled.undone.push(done),
            Ok(None) => {}
            Err(left) => {
                self.apono_not_put_back |= undo.puts_apono_back();
                self.rolled.left_behind.push(left);
            }
        }
    }

    /// The undo stopped (Ctrl-C, else out of time) before `not_reached` (in the order
    /// they were due): each is left behind. Returns why, for the message.
    fn stopped(
        &mut self,
        not_reached: impl IntoIterator<Item = Undo>,
        interrupted: bool,
    ) -> &'static str {
        let why = if interrupted {
            "interrupted"
        } else {
            "out of time (--timeout)"
        };
        self.rolled.interrupted = interrupted;
        self.rolled
            .left_behind
            .extend(not_reached.into_iter().map(|undo| unfinished(&undo, why)));
        why
    }
}

/// Undoes one write, unless it is `kept` ([`Rolling::kept`]): then that is what is
/// left behind.
async fn undo_one(
    cx: &UndoContext<'_>,
    undo: Undo,
    kept: Option<String>,
) -> Result<Option<String>, String> {
    if let Some(kept) = kept {
        return Err(kept);
    }
    match undo {
        Undo::DeleteIntegrationsFor {
            integration_type,
            client_id_key,
            client_id,
            look,
        } => {
            let found = delete_integrations_for(
                cx.apono,
                &integration_type,
                &client_id_key,
                &client_id,
                look,
            )
            .await;
            found.map(|deleted| {
                (!deleted.is_empty()).then(|| {
                    format!("Apono integration {} (created by this run)", deleted.join(", "))
                })
            }).map_err(|e| format!("an Apono integration for client id {client_id} may exist ({e}): delete it in the Apono web app if it does"))
        }
        Undo::RestoreIntegration {
            previous,
            client_id,
            look,
        } => {
            restore_integration(cx, &previous, &client_id, look).await.map_err(|e| format!("the Apono integration {} may still point at client id {client_id} ({e}); run `apono-okta connect` again", previous.id))
        }
        Undo::DeleteApp(app) => delete_run_app(cx, &app).await,
        Undo::DeleteShared { kind, id } => delete_shared_object(cx, id.as_deref(), kind).await,
        Undo::FindCreatedApp { label, look } => find_and_delete_run_app(cx, &label, look).await,
    }
}

/// What is left when the undo stopped (`why`) before `undo`, and what to do about it.
fn unfinished(undo: &Undo, why: &str) -> String {
    let again = "run `apono-okta connect` again: it finds it and converges";
    match undo {
        Undo::DeleteIntegrationsFor { client_id, .. } => format!(
            "an Apono integration for client id {client_id} may exist (the undo was {why}): delete it in the Apono web app if it does, or {again}"
        ),
        Undo::RestoreIntegration {
            previous,
            client_id,
            ..
        } => format!(
            "the Apono integration {} may still point at client id {client_id} (the undo was {why}); {again}",
            previous.id
        ),
        Undo::DeleteApp(app) => format!(
            "the Okta app {} (created by this run; the undo was {why}); {again}",
            app.id
        ),
        Undo::DeleteShared { kind, id } => format!(
            "the Okta {}{} (created by this run; the undo was {why}); {again}",
            kind.describe(),
            id.as_deref().map(|id| format!(" {id}")).unwrap_or_default()
        ),
        Undo::FindCreatedApp { label, .. } => format!(
            "an Okta app labelled \"{label}\" may have been created by this run (the undo was {why}); {again}"
        ),
    }
}

/// Deletes the custom role or resource set this run created: by id, or found by its
/// label when the create's answer was lost. Gone already counts as deleted.
async fn delete_shared_object(
    cx: &UndoContext<'_>,
    id: Option<&str>,
    kind: SharedObject,
) -> Result<Option<String>, String> {
    let deleted = async {
        let id = match id {
            Some(id) => id.to_string(),
            None => match kind.find(cx.okta).await? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        kind.delete(cx.okta, &id).await.map(|()| Some(id))
    };
    match deleted.await {
        Ok(Some(id)) => Ok(Some(format!(
            "Okta {} ({id}, created by this run)",
            kind.describe()
        ))),
        Ok(None) => Ok(None),
        Err(e) if e.is_not_found() => Ok(None),
        // Another run's app holds it now (two runs at once share it): it is theirs to
        // use, and not this run's to delete.
        Err(e) if role::is_assigned_refusal(&e) => {
            cx.ui.info(&format!(
                "kept the {}: another app holds it now",
                kind.describe()
            ));
            Ok(None)
        }
        Err(e) => Err(format!(
            "the Okta {} created by this run ({e}): delete it in the Okta admin console (Security > Administrators > Roles / Resources)",
            kind.describe()
        )),
    }
}

/// Retires an app this run created, unless Apono references it.
async fn delete_run_app(cx: &UndoContext<'_>, app: &AppRef) -> Result<Option<String>, String> {
    match crate::org::guard::retire_unreferenced_app(cx.okta, cx.apono, cx.template, app).await {
        Ok(Retired::Deleted) => Ok(Some(format!("Okta app {} (created by this run)", app.id))),
        Ok(Retired::InUse) => Err(format!(
            "the Okta app {} (created by this run): kept, because an Apono integration uses it",
            app.id
        )),
        Err(e) => Err(format!(
            "the Okta app {} (created by this run): {e}; deactivate and delete it in the Okta admin console",
            app.id
        )),
    }
}

/// After an app create whose answer never came: looks (for up to `look`) for apps with
/// the label that preflight did not see and that were created after it, and retires
/// the one found. Several cannot be told apart from another run's: they are listed.
async fn find_and_delete_run_app(
    cx: &UndoContext<'_>,
    label: &str,
    look: Duration,
) -> Result<Option<String>, String> {
    let candidates = look_for(look, || async {
        let apps = cx.okta.apps_with_label(label).await?;
        Ok(run_app_candidates(apps, cx.preexisting_app_ids, cx.okta_since))
    })
    .await
    .map_err(|e| format!("an Okta app labelled \"{label}\" may have been created by this run ({e}); run `apono-okta connect` again to retire it"))?;
    match candidates.as_slice() {
        [] => Ok(None),
        [app] => delete_run_app(cx, app).await,
        several => Err(format!(
            "Okta apps {} appeared while this run's app create went unanswered; one may be another run's, so none was deleted: run `apono-okta connect` again to retire the unused ones",
            several
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Of the apps with the label, those this run may have created: not seen by preflight,
/// and created after it (`okta_since`, Okta's clock, less a minute of slack) or at an
/// unknown time.
fn run_app_candidates(
    apps: Vec<App>,
    preexisting_app_ids: &[String],
    okta_since: SystemTime,
) -> Vec<AppRef> {
    let since = okta_since - Duration::from_secs(60);
    apps.into_iter()
        .filter(|a| !preexisting_app_ids.contains(&a.id))
        .filter(|a| created_at(a).is_none_or(|created| created >= since))
        .map(|a| AppRef::from(&a))
        .collect()
}

/// When Okta says the app was created.
fn created_at(app: &App) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(app.created.as_deref()?).ok()
}

/// Runs `find` until it finds something or `look` has passed (at least once).
async fn look_for<T, F, Fut>(look: Duration, find: F) -> Result<Vec<T>, ApiError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, ApiError>>,
{
    let deadline = Instant::now() + look;
    let pause = look_pause(look);
    loop {
        let found = find().await?;
        if !found.is_empty() || Instant::now() >= deadline {
            return Ok(found);
        }
        tokio::time::sleep(pause).await;
    }
}

/// The pause between two looks: a quarter of the window, from 50 ms to 500 ms.
fn look_pause(look: Duration) -> Duration {
    (look / 4).clamp(Duration::from_millis(50), Duration::from_millis(500))
}

/// Whether the integration's config holds `client_id` under `client_id_key`.
fn points_at(integration: &Integration, client_id_key: &str, client_id: &str) -> bool {
    integration
        .integration_config
        .get(client_id_key)
        .and_then(Value::as_str)
        == Some(client_id)
}

/// Deletes every integration of a type whose config points at `client_id`, looking
/// for up to `look` for one to appear; returns the ids it deleted.
async fn delete_integrations_for(
    apono: &AponoClient,
    integration_type: &str,
    client_id_key: &str,
    client_id: &str,
    look: Duration,
) -> Result<Vec<String>, ApiError> {
    let ours = look_for(look, || async {
        Ok(apono
            .integrations(integration_type)
            .await?
            .into_iter()
            .filter(|i| points_at(i, client_id_key, client_id))
            .map(|i| i.id)
            .collect::<Vec<_>>())
    })
    .await?;
    for id in &ours {
        match apono.delete_integration(id).await {
            Err(e) if !e.is_not_found() => return Err(e),
            _ => {}
        }
    }
    Ok(ours)
}

/// Points the integration back at its previous app while it references this run's app
/// (`client_id`), looking for up to `look` for a lost update to land.
async fn restore_integration(
    cx: &UndoContext<'_>,
    previous: &Integration,
    client_id: &str,
    look: Duration,
) -> Result<Option<String>, ApiError> {
    let key = &cx.template.client_id_key;
    let ours = look_for(look, || async {
        match cx.apono.integration(&previous.id).await {
            Ok(now) => Ok(points_at(&now, key, client_id)
                .then_some(now)
                .into_iter()
                .collect::<Vec<_>>()),
            // Deleted meanwhile: there is nothing to point back.
            Err(e) if e.is_not_found() => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    })
    .await?;
    if ours.is_empty() {
        return Ok(None);
    }
    cx.apono
        .update_integration(previous, &previous.integration_config)
        .await?;
    Ok(Some(format!(
        "Apono integration {} (pointed back at its previous app)",
        previous.id
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHY: &str = "interrupted";
    const LOOK: Duration = Duration::from_secs(15);

    fn app(id: &str) -> AppRef {
        AppRef {
            id: id.into(),
            client_id: id.into(),
        }
    }

    fn integration(id: &str, client_id: &str) -> Integration {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "integration_config": {"clientId": client_id, "domain": "example.okta.com"},
        }))
        .unwrap()
    }

    fn find_app() -> Undo {
        Undo::FindCreatedApp {
            label: "Apono Integration".into(),
            look: Duration::ZERO,
        }
    }

    fn delete_integrations() -> Undo {
        Undo::DeleteIntegrationsFor {
            integration_type: "okta-directory".into(),
            client_id_key: "clientId".into(),
            client_id: "0oaNew".into(),
            look: Duration::ZERO,
        }
    }

    fn restore() -> Undo {
        Undo::RestoreIntegration {
            previous: Box::new(integration("int-1", "0oaOld")),
            client_id: "0oaNew".into(),
            look: Duration::ZERO,
        }
    }

    fn shared(kind: SharedObject, id: Option<&str>) -> Undo {
        Undo::DeleteShared {
            kind,
            id: id.map(str::to_string),
        }
    }

    /// One of each, in the order a rotate with least privilege records them.
    fn one_of_each() -> Vec<Undo> {
        vec![
            shared(SharedObject::CustomRole, Some("cr-1")),
            shared(SharedObject::ResourceSet, None),
            Undo::DeleteApp(app("0oaNew")),
            find_app(),
            delete_integrations(),
            restore(),
        ]
    }

    fn look_of(undo: &Undo) -> Option<Duration> {
        match undo {
            Undo::FindCreatedApp { look, .. }
            | Undo::DeleteIntegrationsFor { look, .. }
            | Undo::RestoreIntegration { look, .. } => Some(*look),
            Undo::DeleteApp(_) | Undo::DeleteShared { .. } => None,
        }
    }

    #[test]
    fn looking_for_sets_the_window_of_the_entries_that_look_and_no_other() {
        for undo in one_of_each() {
            let before = format!("{undo:?}");
            let looking = undo.clone().looking_for(LOOK);
            match look_of(&undo) {
                Some(_) => assert_eq!(look_of(&looking), Some(LOOK), "{before}"),
                None => assert_eq!(format!("{looking:?}"), before),
            }
        }
    }

    #[test]
    fn the_journal_gives_its_entries_back_newest_first_and_empties() {
        let journal = Journal::default();
        journal.record(Undo::DeleteApp(app("0oa1")));
        journal.record(Undo::DeleteApp(app("0oa2")));
        journal.record(Undo::DeleteApp(app("0oa3")));
        let ids: Vec<String> = journal
            .take_newest_first()
            .map(|undo| match undo {
                Undo::DeleteApp(app) => app.id,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ids, ["0oa3", "0oa2", "0oa1"]);
        assert_eq!(journal.take_newest_first().count(), 0);
    }

    #[test]
    fn amend_replaces_the_newest_matching_entry_and_amend_last_the_newest() {
        let journal = Journal::default();
        // Two creates side by side: the role's answer comes after the set was recorded.
        journal.record(shared(SharedObject::CustomRole, None));
        journal.record(shared(SharedObject::ResourceSet, None));
        journal.amend(
            |undo| {
                matches!(
                    undo,
                    Undo::DeleteShared {
                        kind: SharedObject::CustomRole,
                        id: None
                    }
                )
            },
            shared(SharedObject::CustomRole, Some("cr-1")),
        );
        journal.record(find_app());
        journal.amend_last(|undo| undo.looking_for(LOOK));
        // Nothing matches: nothing changes.
        journal.amend(|_| false, Undo::DeleteApp(app("0oaX")));
        let entries: Vec<Undo> = journal.take_newest_first().collect();
        assert!(matches!(&entries[0], Undo::FindCreatedApp { look, .. } if *look == LOOK));
        assert!(matches!(
            &entries[1],
            Undo::DeleteShared {
                kind: SharedObject::ResourceSet,
                id: None
            }
        ));
        assert!(matches!(
            &entries[2],
            Undo::DeleteShared { kind: SharedObject::CustomRole, id: Some(id) } if id == "cr-1"
        ));
        assert_eq!(entries.len(), 3);

        // Of two entries that match, the newer is the one amended.
        journal.record(Undo::DeleteApp(app("0oa1")));
        journal.record(Undo::DeleteApp(app("0oa2")));
        journal.amend(
            |undo| matches!(undo, Undo::DeleteApp(_)),
            Undo::DeleteApp(app("0oa3")),
        );
        let ids: Vec<String> = journal
            .take_newest_first()
            .map(|undo| format!("{undo:?}"))
            .collect();
        assert!(
            ids[0].contains("0oa3") && ids[1].contains("0oa1"),
            "{ids:?}"
        );
    }

    #[test]
    fn commit_forgets_everything_and_amend_last_on_nothing_is_a_no_op() {
        let journal = Journal::default();
        journal.amend_last(|_| panic!("nothing to amend"));
        journal.record(Undo::DeleteApp(app("0oa1")));
        journal.commit();
        assert_eq!(journal.take_newest_first().count(), 0);
    }

    #[test]
    fn each_unfinished_entry_says_what_may_be_left_why_and_what_to_do() {
        let messages: Vec<String> = one_of_each()
            .iter()
            .map(|undo| unfinished(undo, WHY))
            .collect();
        let again = "run `apono-okta connect` again: it finds it and converges";
        assert_eq!(
            messages,
            [
                format!(
                    "the Okta custom role \"Apono Directory Reader\" cr-1 (created by this run; the undo was interrupted); {again}"
                ),
                format!(
                    "the Okta resource set \"Apono Directory\" (created by this run; the undo was interrupted); {again}"
                ),
                format!(
                    "the Okta app 0oaNew (created by this run; the undo was interrupted); {again}"
                ),
                format!(
                    "an Okta app labelled \"Apono Integration\" may have been created by this run (the undo was interrupted); {again}"
                ),
                format!(
                    "an Apono integration for client id 0oaNew may exist (the undo was interrupted): delete it in the Apono web app if it does, or {again}"
                ),
                format!(
                    "the Apono integration int-1 may still point at client id 0oaNew (the undo was interrupted); {again}"
                ),
            ]
        );
    }

    #[test]
    fn an_undo_that_stops_leaves_the_rest_behind_in_the_order_it_was_due() {
        let journal = Journal::default();
        for undo in one_of_each() {
            journal.record(undo);
        }
        let mut rolling = Rolling::default();
        let mut pending = journal.take_newest_first();
        let first = pending.next().unwrap();
        rolling.count(
            &first,
            Ok(Some("Apono integration int-1 (pointed back)".into())),
        );
        let second = pending.next().unwrap();
        assert_eq!(
            rolling.stopped(std::iter::once(second).chain(pending), false),
            "out of time (--timeout)"
        );
        let expected: Vec<String> = one_of_each()[..5]
            .iter()
            .rev()
            .map(|undo| unfinished(undo, "out of time (--timeout)"))
            .collect();
        assert_eq!(rolling.rolled.left_behind, expected);
        assert_eq!(
            rolling.rolled.undone,
            ["Apono integration int-1 (pointed back)"]
        );
        assert!(!rolling.rolled.interrupted);

        let mut interrupted = Rolling::default();
        assert_eq!(interrupted.stopped([find_app()], true), "interrupted");
        assert!(interrupted.rolled.interrupted);
    }

    #[test]
    fn once_apono_could_not_be_put_back_no_app_is_deleted() {
        for failed in [restore(), delete_integrations()] {
            let mut rolling = Rolling::default();
            rolling.count(&failed, Err("Apono did not answer".into()));
            // Shared objects are still deleted: Apono does not use them.
            assert_eq!(rolling.kept(&shared(SharedObject::CustomRole, None)), None);
            assert_eq!(
                rolling.kept(&Undo::DeleteApp(app("0oaNew"))).as_deref(),
                Some(
                    "the Okta app 0oaNew (created by this run): kept, because Apono may still use it"
                )
            );
            assert_eq!(
                rolling.kept(&find_app()).as_deref(),
                Some(
                    "an Okta app labelled \"Apono Integration\" may have been created by this run: kept, because Apono may still use it"
                )
            );
            assert_eq!(rolling.rolled.left_behind, ["Apono did not answer"]);
        }
    }

    #[test]
    fn apps_are_deleted_when_apono_was_put_back_or_only_something_else_failed() {
        let mut rolling = Rolling::default();
        rolling.count(&restore(), Ok(None));
        rolling.count(
            &delete_integrations(),
            Ok(Some("Apono integration int-2".into())),
        );
        // A failed app or shared-object undo says nothing about Apono.
        rolling.count(&Undo::DeleteApp(app("0oaA")), Err("left".into()));
        rolling.count(&shared(SharedObject::ResourceSet, None), Err("left".into()));
        rolling.count(&find_app(), Err("left".into()));
        assert_eq!(rolling.kept(&Undo::DeleteApp(app("0oaNew"))), None);
        assert_eq!(rolling.kept(&find_app()), None);
        assert_eq!(rolling.rolled.undone, ["Apono integration int-2"]);
        assert_eq!(rolling.rolled.left_behind.len(), 3);
    }

    fn okta_app(id: &str, created: Option<&str>) -> App {
        serde_json::from_value(serde_json::json!({"id": id, "created": created})).unwrap()
    }

    #[test]
    fn a_lost_app_create_is_looked_for_among_apps_preflight_did_not_see_and_younger() {
        let preflight = humantime::parse_rfc3339("2025-01-01T12:00:00Z").unwrap();
        let apps = vec![
            okta_app("0oaSeen", Some("2025-01-01T12:05:00.000Z")),
            okta_app("0oaOld", Some("2025-01-01T11:58:59.000Z")),
            // Within the minute of slack for two clocks.
            okta_app("0oaSlack", Some("2025-01-01T11:59:30.000Z")),
            okta_app("0oaNew", Some("2025-01-01T12:00:01.000Z")),
            okta_app("0oaUndated", None),
            okta_app("0oaUnreadable", Some("yesterday")),
        ];
        let ids: Vec<String> = run_app_candidates(apps, &["0oaSeen".into()], preflight)
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, ["0oaSlack", "0oaNew", "0oaUndated", "0oaUnreadable"]);
    }

    #[test]
    fn an_integration_points_at_a_client_id_under_the_key_only() {
        let int = integration("int-1", "0oaNew");
        assert!(points_at(&int, "clientId", "0oaNew"));
        assert!(!points_at(&int, "clientId", "0oaOld"));
        assert!(!points_at(&int, "domain", "0oaNew"));
        assert!(!points_at(&int, "missing", "0oaNew"));
    }

    #[test]
    fn the_pause_between_looks_is_a_quarter_of_the_window_within_bounds() {
        let ms = Duration::from_millis;
        assert_eq!(look_pause(Duration::ZERO), ms(50));
        assert_eq!(look_pause(ms(100)), ms(50));
        assert_eq!(look_pause(ms(1_000)), ms(250));
        assert_eq!(look_pause(Duration::from_secs(15)), ms(500));
    }

    /// Looks for `look` with a `find` that finds something on its `finds_on`th call;
    /// returns what it found and how many calls it took.
    async fn look_finding_on(look: Duration, finds_on: u32) -> (Vec<u32>, u32) {
        let calls = std::sync::atomic::AtomicU32::new(0);
        let find = || {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            async move { Ok::<_, ApiError>(if n >= finds_on { vec![n] } else { vec![] }) }
        };
        let found = look_for(look, find).await.unwrap();
        (found, calls.into_inner())
    }

    #[tokio::test]
    async fn looking_tries_once_without_a_window_and_stops_at_the_first_find() {
        assert_eq!(look_finding_on(Duration::ZERO, 3).await, (vec![], 1));
        assert_eq!(look_finding_on(Duration::ZERO, 1).await, (vec![1], 1));
        // 50 ms between looks: the third is well within the window, and the last.
        assert_eq!(
            look_finding_on(Duration::from_secs(10), 3).await,
            (vec![3], 3)
        );
    }
}
