//! The undo journal: each write of a run is recorded as an [`Undo`] before it is sent,
//! and a failure before Apono reports the integration healthy rolls the [`Journal`]
//! back, newest first, within one deadline.
//!
//! Unknown outcomes (DESIGN.md §3): a write whose answer was lost may have happened, or
//! may still happen. Its undo entry then looks for the write's effect by its natural key
//! (apps by label, integrations by client id) for a while before deciding, and undoes
//! what landed. Apono is put back before the app it pointed at is deleted, and no app is
//! deleted while an integration references it ([`crate::connect::guard`]).
//!
//! Known gap: an app create whose answer was lost while another run also created one
//! cannot tell the two apart; both are then listed in `left_behind`, and a later plain
//! run retires the one Apono does not use.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::cleanup::retire_app;
use crate::apono::{AponoClient, Integration};
use crate::connect::config::ConfigTemplate;
use crate::connect::guard::{AppRef, Retired};
use crate::connect::role::SharedObject;
use crate::http::ApiError;
use crate::okta::{App, OktaClient};
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

    fn take(&self) -> Vec<Undo> {
        std::mem::take(&mut *self.entries())
    }

    /// Undoes every recorded write, newest first, and reports what was undone and what
    /// could not be. Apono is put back before the app it pointed at is deleted, and an
    /// app is deleted only when no integration references it, so Apono never points at
    /// an app that does not exist. The undo as a whole is bounded by `deadline`
    /// (`--timeout`), and a Ctrl-C stops it at once: what it has not finished then is
    /// left behind, each with what to do.
    pub(super) async fn roll_back(&self, cx: &UndoContext<'_>, deadline: Duration) -> RolledBack {
        let mut rolled = RolledBack::default();
        let mut apono_undo_failed = false;
        let stop = async {
            tokio::select! {
                () = tokio::time::sleep(deadline) => false,
                _ = tokio::signal::ctrl_c() => true,
            }
        };
        tokio::pin!(stop);
        let mut pending = self.take().into_iter().rev();
        while let Some(undo) = pending.next() {
            let outcome = tokio::select! {
                outcome = undo_one(cx, undo.clone(), &mut apono_undo_failed) => outcome,
                interrupted = &mut stop => {
                    rolled.interrupted = interrupted;
                    let why = if interrupted { "interrupted" } else { "out of time (--timeout)" };
                    cx.ui.error(&format!("the undo stopped: {why}"));
                    rolled.left_behind.extend(
                        std::iter::once(undo).chain(pending).map(|undo| unfinished(&undo, why)),
                    );
                    break;
                }
            };
            match outcome {
                Ok(Some(done)) => {
                    cx.ui.done(&format!("undone: {done}"));
                    rolled.undone.push(done);
                }
                Ok(None) => {}
                Err(left) => {
                    cx.ui.error(&format!("could not undo: {left}"));
                    rolled.left_behind.push(left);
                }
            }
        }
        rolled
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

/// Undoes one write. `apono_undo_failed` is set when Apono could not be put back, and
/// then no app is deleted: Apono may still use it.
async fn undo_one(
    cx: &UndoContext<'_>,
    undo: Undo,
    apono_undo_failed: &mut bool,
) -> Result<Option<String>, String> {
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
            *apono_undo_failed |= found.is_err();
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
            let restored = restore_integration(cx, &previous, &client_id, look).await;
            *apono_undo_failed |= restored.is_err();
            restored.map_err(|e| format!("the Apono integration {} may still point at client id {client_id} ({e}); run `apono-okta connect` again", previous.id))
        }
        Undo::DeleteApp(app) if *apono_undo_failed => Err(format!(
            "the Okta app {} (created by this run): kept, because Apono may still use it",
            app.id
        )),
        Undo::DeleteApp(app) => delete_run_app(cx, &app).await,
        Undo::DeleteShared { kind, id } => delete_shared_object(cx, id.as_deref(), kind).await,
        Undo::FindCreatedApp { label, look } => {
            if *apono_undo_failed {
                Err(format!(
                    "an Okta app labelled \"{label}\" may have been created by this run: kept, because Apono may still use it"
                ))
            } else {
                find_and_delete_run_app(cx, &label, look).await
            }
        }
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
        Err(e) => Err(format!(
            "the Okta {} created by this run ({e}): delete it in the Okta admin console (Security > Administrators > Roles / Resources)",
            kind.describe()
        )),
    }
}

/// Retires an app this run created, unless Apono references it.
async fn delete_run_app(cx: &UndoContext<'_>, app: &AppRef) -> Result<Option<String>, String> {
    match retire_app(cx.okta, cx.apono, cx.template, app).await {
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
    let since = cx.okta_since - Duration::from_secs(60);
    let candidates = look_for(look, || async {
        let apps = cx.okta.apps_with_label(label).await?;
        Ok(apps
            .into_iter()
            .filter(|a| !cx.preexisting_app_ids.contains(&a.id))
            .filter(|a| created_at(a).is_none_or(|created| created >= since))
            .map(|a| AppRef::from(&a))
            .collect::<Vec<_>>())
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
    let pause = (look / 4).clamp(Duration::from_millis(50), Duration::from_millis(500));
    loop {
        let found = find().await?;
        if !found.is_empty() || Instant::now() >= deadline {
            return Ok(found);
        }
        tokio::time::sleep(pause).await;
    }
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
            .filter(|i| {
                i.integration_config
                    .get(client_id_key)
                    .and_then(Value::as_str)
                    == Some(client_id)
            })
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
            Ok(now) => Ok((now.integration_config.get(key).and_then(Value::as_str)
                == Some(client_id))
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
