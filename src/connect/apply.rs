//! Carrying out a [`Plan`]: each step looks before it writes, each write is recorded in
//! an undo [`Journal`] before it is sent, and a failure before Apono reports the
//! integration healthy rolls the journal back in reverse.
//!
//! Unknown outcomes (DESIGN.md §3): a write whose answer was lost may have happened, or
//! may still happen. Its undo entry then looks for the write's effect by its natural key
//! (apps by label, integrations by client id) for a while before deciding, and undoes
//! what landed. Concurrent runs: the integration is re-read before Apono is pointed at
//! a new app, and again after one is created (exit 7 when another run got there), and no
//! app is deleted while an integration references it ([`guard`]).
//!
//! Known gap: an app create whose answer was lost while another run also created one
//! cannot tell the two apart; both are then listed in `left_behind`, and a later plain
//! run retires the one Apono does not use.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::join_all;
use serde_json::Value;

use crate::apono::{AponoClient, Integration, IntegrationStatus};
use crate::connect::plan::{
    AppPlan, IntegrationPlan, LeastPrivilegePlan, Plan, RetireReason, Retirement, Unassign,
};
use crate::error::Failure;
use crate::http::ApiError;
use crate::okta::{App, OktaClient, REQUIRED_SCOPES};
use crate::org::config::ConfigTemplate;
use crate::org::guard::{self, AppRef, Retired};
use crate::org::role::{self, AdminRole, ObjectPlan, SharedObject};
use crate::ui::{Ui, Warnings};

/// What apply needs besides the plan.
pub struct ApplyContext<'a> {
    pub okta: &'a OktaClient,
    pub apono: &'a AponoClient,
    pub ui: &'a Ui,
    /// Where the run's warnings are shown and kept for its report.
    pub warnings: &'a Warnings,
    pub template: &'a ConfigTemplate,
    pub public_key: &'a Value,
    /// This org's Okta domain, as Apono's integration config holds it.
    pub domain: &'a str,
    /// The admin role the app should hold (reported as such when already there).
    pub admin_role: &'a AdminRole,
    /// The apps with our label that preflight saw: an undo never deletes these.
    pub preexisting_app_ids: &'a [String],
    /// Okta's clock at preflight: an app created by this run is younger.
    pub okta_since: SystemTime,
    /// Longest wait for `Active`, status reads included.
    pub wait_timeout: Duration,
    /// Longest time between two status reads.
    pub poll_interval: Duration,
    /// How long an undo looks for the effect of a write whose answer was lost.
    pub look_window: Duration,
}

/// What a successful apply did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub app: App,
    pub scopes: Vec<String>,
    pub admin_role: AdminRole,
    pub integration: Integration,
    pub retired_app_ids: Vec<String>,
    pub api_token_revoked: bool,
    /// What is left for a person to clean up (exit 6): an app that could not be
    /// retired, a token that could not be revoked.
    pub left_behind: Vec<String>,
}

/// One write to put back if the run fails.
#[derive(Debug, Clone)]
enum Undo {
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
    fn looking_for(mut self, window: Duration) -> Undo {
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
pub struct Journal(Arc<Mutex<Vec<Undo>>>);

/// What an undo needs to act safely.
pub struct UndoContext<'a> {
    pub okta: &'a OktaClient,
    pub apono: &'a AponoClient,
    pub template: &'a ConfigTemplate,
    pub preexisting_app_ids: &'a [String],
    pub okta_since: SystemTime,
    pub ui: &'a Ui,
}

impl Journal {
    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Undo>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, undo: Undo) {
        self.entries().push(undo);
    }

    /// Replaces the newest entry that `matches` (two creates may run side by side).
    fn amend(&self, matches: impl Fn(&Undo) -> bool, with: Undo) {
        let mut entries = self.entries();
        if let Some(entry) = entries.iter_mut().rev().find(|undo| matches(undo)) {
            *entry = with;
        }
    }

    /// Replaces the newest entry: what the write's answer taught about its undo.
    fn amend_last(&self, amend: impl FnOnce(Undo) -> Undo) {
        let mut entries = self.entries();
        if let Some(last) = entries.pop() {
            entries.push(amend(last));
        }
    }

    /// Forgets everything: the run succeeded and nothing is to be undone.
    fn commit(&self) {
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
    pub async fn roll_back(&self, cx: &UndoContext<'_>, deadline: Duration) -> RolledBack {
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
pub struct RolledBack {
    /// What was put back.
    pub undone: Vec<String>,
    /// What could not be, each with what to do.
    pub left_behind: Vec<String>,
    /// A Ctrl-C stopped it (exit 130, even with something left behind).
    pub interrupted: bool,
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

/// How often [`retire_app`] tries while the answers are lost.
const RETIRE_ATTEMPTS: u32 = 3;

/// Retires an app through [`guard::retire_unreferenced_app`], trying again while an
/// answer is lost: a deactivate or delete that landed anyway shows on the next try (a
/// 404 counts as deleted), and one that did not land is sent again. Without this, a
/// delete that happened but whose answer was lost was reported as an app left behind.
async fn retire_app(
    okta: &OktaClient,
    apono: &AponoClient,
    template: &ConfigTemplate,
    app: &AppRef,
) -> Result<Retired, ApiError> {
    let mut attempt = 1;
    loop {
        match guard::retire_unreferenced_app(okta, apono, template, app).await {
            Err(e) if e.answer_lost() && attempt < RETIRE_ATTEMPTS => attempt += 1,
            outcome => return outcome,
        }
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

/// Runs the plan, top to bottom. On failure the journal still holds the writes to
/// undo; the caller rolls it back (so Ctrl-C and errors share one path).
pub async fn apply(
    plan: &Plan,
    context: &ApplyContext<'_>,
    journal: &Journal,
) -> Result<Applied, Failure> {
    let least_privilege_ids = match &plan.least_privilege {
        Some(lp) => Some(ensure_least_privilege(context, journal, lp).await?),
        None => None,
    };
    let app = match &plan.app {
        AppPlan::Create { label } => create_app(context, journal, label).await?,
        AppPlan::Reuse {
            app,
            activate,
            add_key,
        } => {
            converge_app(context, app, *activate, *add_key).await?;
            app.clone()
        }
    };
    let app_is_new = matches!(plan.app, AppPlan::Create { .. });
    let apono_now = okta_wave(
        context,
        plan,
        &app,
        app_is_new,
        least_privilege_ids.as_ref(),
    )
    .await?;

    // The client id Apono used when this run observed it: the premise of an update.
    let observed_client_id = plan
        .existing_integration
        .as_ref()
        .and_then(|i| context.template.client_id_of(&i.integration_config))
        .map(str::to_string);
    let (integration, written) = match &plan.integration {
        IntegrationPlan::Create {
            name,
            integration_type,
        } => {
            let created =
                create_integration(context, journal, &app, name, integration_type, apono_now)
                    .await?;
            // Two runs that both found nothing both create: both yield, and a re-run
            // starts clean. The check runs beside the first status read when there is
            // a wait, else here.
            if !plan.wait_for_active {
                check_sole_integration(context, &created.id).await?;
            }
            (created, Written::Created)
        }
        IntegrationPlan::Update { previous } => {
            let updated = update_integration(
                context,
                journal,
                &app,
                previous,
                observed_client_id.as_deref(),
                apono_now,
            )
            .await?;
            (updated, Written::Updated)
        }
        IntegrationPlan::Keep => (
            plan.existing_integration.clone().ok_or_else(|| {
                Failure::unexpected("the plan keeps an integration it did not observe")
            })?,
            Written::Nothing,
        ),
    };
    let integration = if plan.wait_for_active {
        wait_for_active(context, &app, integration, written, observed_client_id).await?
    } else {
        integration
    };
    // Apono confirmed the new app works (or nothing is waited for): nothing from here
    // on is undone. What cannot be finished is a debt (exit 6), listed.
    journal.commit();

    let mut left_behind = Vec::new();
    if let Some(unassign) = &plan.unassign {
        left_behind.extend(remove_old_roles(context, &app, unassign).await);
    }
    let mut retired_app_ids = Vec::new();
    for retirement in &plan.retire {
        match retire(context, retirement).await {
            Ok(true) => retired_app_ids.push(retirement.app_id.clone()),
            Ok(false) => {}
            Err(debt) => left_behind.push(debt),
        }
    }
    let api_token_revoked = if plan.revoke_token {
        match revoke(context).await {
            Ok(()) => true,
            Err(debt) => {
                left_behind.push(debt);
                false
            }
        }
    } else {
        false
    };
    Ok(Applied {
        app,
        scopes: REQUIRED_SCOPES.iter().map(|s| s.to_string()).collect(),
        admin_role: context.admin_role.clone(),
        integration,
        retired_app_ids,
        api_token_revoked,
        left_behind,
    })
}

/// What this run wrote to the integration, which tells a fresh status read from one
/// about the previous app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Created,
    Updated,
    Nothing,
}

/// Makes the custom role and resource set what least privilege needs; returns their ids.
async fn ensure_least_privilege(
    context: &ApplyContext<'_>,
    journal: &Journal,
    lp: &LeastPrivilegePlan,
) -> Result<(String, String), Failure> {
    let (role_id, set_id) = tokio::try_join!(
        ensure_shared(context, journal, SharedObject::CustomRole, &lp.role),
        ensure_shared(
            context,
            journal,
            SharedObject::ResourceSet,
            &lp.resource_set
        ),
    )?;
    context.ui.done(&format!(
        "custom role \"{}\" ({role_id}) and resource set \"{}\" ({set_id}) read users and groups, nothing else",
        role::CUSTOM_ROLE_LABEL,
        role::RESOURCE_SET_LABEL
    ));
    Ok((role_id, set_id))
}

/// Creates the service app; its undo is recorded before the create is sent (and looks
/// for the app when the answer was lost).
async fn create_app(
    context: &ApplyContext<'_>,
    journal: &Journal,
    label: &str,
) -> Result<App, Failure> {
    journal.record(Undo::FindCreatedApp {
        label: label.to_string(),
        look: Duration::ZERO,
    });
    let created = match context
        .okta
        .create_service_app(label, context.public_key)
        .await
    {
        Ok(created) => created,
        Err(e) => {
            if e.answer_lost() {
                journal.amend_last(|undo| undo.looking_for(context.look_window));
            }
            return Err(e.into());
        }
    };
    journal.amend_last(|_| Undo::DeleteApp(AppRef::from(&created)));
    context.ui.done(&format!(
        "created Okta app \"{label}\" ({}, client id {})",
        created.id,
        created.client_id()
    ));
    Ok(created)
}

/// Repair: activates the app and adds Apono's key, as the plan says.
async fn converge_app(
    context: &ApplyContext<'_>,
    app: &App,
    activate: bool,
    add_key: bool,
) -> Result<(), Failure> {
    if activate {
        context.okta.activate_app(&app.id).await?;
        context.ui.done(&format!("activated the app {}", app.id));
    }
    if add_key {
        context.okta.add_key(&app.id, context.public_key).await?;
        context
            .ui
            .done(&format!("added Apono's public key to the app {}", app.id));
    }
    Ok(())
}

/// The grants, the role, and the re-read of Apono that must precede pointing it at
/// the app (DESIGN.md §3, "Concurrent runs"), all in one wave: they depend on nothing
/// but the app. Returns Apono as re-read, when the integration is to be written.
async fn okta_wave(
    context: &ApplyContext<'_>,
    plan: &Plan,
    app: &App,
    app_is_new: bool,
    least_privilege_ids: Option<&(String, String)>,
) -> Result<Option<guard::AponoView>, Failure> {
    let grants = async {
        if plan.grants.is_empty() {
            return Ok(());
        }
        ensure_grants(context.okta, &app.id, &plan.grants, app_is_new).await
    };
    let role = async {
        match &plan.role {
            Some(role) => {
                ensure_role(
                    context.okta,
                    app.client_id(),
                    role,
                    least_privilege_ids,
                    app_is_new,
                )
                .await
            }
            None => Ok(()),
        }
    };
    let apono = async {
        if matches!(plan.integration, IntegrationPlan::Keep) {
            return Ok(None);
        }
        guard::read_apono(context.apono, context.template, context.domain)
            .await
            .map(Some)
            .map_err(Failure::from)
    };
    let ((), (), view) = tokio::try_join!(grants, role, apono)?;
    if !plan.grants.is_empty() {
        context
            .ui
            .done(&format!("granted {}", plan.grants.join(" and ")));
    }
    if let Some(role) = &plan.role {
        context
            .ui
            .done(&format!("assigned it {}", role.with_article()));
    }
    Ok(view)
}

/// Creates the integration unless another run created one for the domain since
/// preflight (exit 7); its undo is recorded before the create is sent.
async fn create_integration(
    context: &ApplyContext<'_>,
    journal: &Journal,
    app: &App,
    name: &str,
    integration_type: &str,
    apono_now: Option<guard::AponoView>,
) -> Result<Integration, Failure> {
    let before = match apono_now {
        Some(view) => view,
        None => guard::read_apono(context.apono, context.template, context.domain).await?,
    };
    if let Some(other) = before.for_domain.first() {
        return Err(concurrent_change(format!(
            "another run created the Apono integration {} for {} while this run was working",
            other.id, context.domain
        )));
    }
    let config = context.template.with_client_id(app.client_id());
    journal.record(Undo::DeleteIntegrationsFor {
        integration_type: integration_type.to_string(),
        client_id_key: context.template.client_id_key.clone(),
        client_id: app.client_id().to_string(),
        look: Duration::ZERO,
    });
    let created = match context
        .apono
        .create_integration(name, integration_type, &config)
        .await
    {
        Ok(created) => created,
        Err(e) if e.answer_lost() => {
            journal.amend_last(|undo| undo.looking_for(context.look_window));
            return Err(e.into());
        }
        Err(e) => return Err(refused_create(context, e).await),
    };
    context.ui.done(&format!(
        "created Apono integration \"{name}\" ({})",
        created.id
    ));
    Ok(created)
}

/// Points the integration at the app, if it still is as this run observed it (the
/// same client id, the only one for the domain), else exit 7. Its undo is recorded
/// before the update is sent.
async fn update_integration(
    context: &ApplyContext<'_>,
    journal: &Journal,
    app: &App,
    previous: &Integration,
    observed_client_id: Option<&str>,
    apono_now: Option<guard::AponoView>,
) -> Result<Integration, Failure> {
    let now = match apono_now {
        Some(view) => view,
        None => guard::read_apono(context.apono, context.template, context.domain).await?,
    };
    let current = now.for_domain.iter().find(|i| i.id == previous.id);
    let current_client_id =
        current.and_then(|i| context.template.client_id_of(&i.integration_config));
    if current.is_none() || now.for_domain.len() > 1 || current_client_id != observed_client_id {
        return Err(concurrent_change(format!(
            "the Apono integration {} for {} changed while this run was working (now: {})",
            previous.id,
            context.domain,
            describe_integrations(&now.for_domain, context.template)
        )));
    }
    // Keep whatever else the config holds; overwrite what this tool manages.
    let mut config = previous.integration_config.clone();
    config.extend(context.template.with_client_id(app.client_id()));
    journal.record(Undo::RestoreIntegration {
        previous: Box::new(previous.clone()),
        client_id: app.client_id().to_string(),
        look: Duration::ZERO,
    });
    let updated = context
        .apono
        .update_integration(previous, &config)
        .await
        .inspect_err(|e| {
            if e.answer_lost() {
                journal.amend_last(|undo| undo.looking_for(context.look_window));
            }
        })?;
    context.ui.done(&format!(
        "pointed Apono integration \"{}\" ({}) at client id {}",
        crate::output::server_text(&previous.name),
        previous.id,
        app.client_id()
    ));
    Ok(updated)
}

/// Waits, within `--wait`, for Apono to report the integration healthy with this run's
/// app; an integration this run created is checked for a twin beside the first read.
async fn wait_for_active(
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

/// After a switch of role kind in place: removes the old assignments; what cannot be
/// removed is returned as debts.
async fn remove_old_roles(
    context: &ApplyContext<'_>,
    app: &App,
    unassign: &Unassign,
) -> Vec<String> {
    let mut debts = Vec::new();
    for (id, what) in &unassign.assignments {
        match context.okta.unassign_client_role(app.client_id(), id).await {
            Err(e) if !e.is_not_found() => {
                context.warnings.warn(
                    context.ui,
                    format!(
                        "could not remove the role {what} from the app {}: {e}",
                        unassign.app_id
                    ),
                );
                debts.push(format!(
                    "the Okta app {} still holds the role {what} ({e}): remove it in the Okta admin console, or run `apono-okta connect --reuse-app` again",
                    unassign.app_id
                ));
            }
            _ => context.ui.done(&format!(
                "removed the role {what} from the app {}",
                unassign.app_id
            )),
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
    let app_id = &retirement.app_id;
    let target = AppRef {
        id: app_id.clone(),
        client_id: app_id.clone(),
    };
    match retire_app(context.okta, context.apono, context.template, &target).await {
        Ok(Retired::Deleted) => {
            context
                .ui
                .done(&format!("deactivated and deleted the {what} app {app_id}"));
            Ok(true)
        }
        Ok(Retired::InUse) => {
            context.warnings.warn(
                context.ui,
                format!("kept the {what} app {app_id}: an Apono integration uses it now"),
            );
            Ok(false)
        }
        Err(e) => {
            context.warnings.warn(
                context.ui,
                format!("could not retire the {what} app {app_id}: {e}"),
            );
            Err(format!(
                "the {what} Okta app {app_id} was not retired ({e}): run `apono-okta connect` again, or deactivate and delete it in the Okta admin console"
            ))
        }
    }
}

/// Revokes the Okta token until Okta confirms it; `Err` is the debt.
async fn revoke(context: &ApplyContext<'_>) -> Result<(), String> {
    match guard::revoke_token(context.okta, context.poll_interval).await {
        Ok(()) => {
            context.ui.done("revoked the Okta API token");
            Ok(())
        }
        Err(e) => {
            context.warnings.warn(
                context.ui,
                format!("could not revoke the Okta API token: {e}"),
            );
            Err(format!(
                "the Okta API token is still valid ({e}): revoke it in the Okta admin console (Security > API > Tokens)"
            ))
        }
    }
}

/// Why Apono refused this run's integration create. Two runs that both found no
/// integration both create; Apono refuses the second (its name is taken): that is
/// another run's work (exit 7), not an unexplained failure, when an integration for
/// the domain exists now.
async fn refused_create(context: &ApplyContext<'_>, refusal: ApiError) -> Failure {
    let client_error = refusal.status().is_some_and(|s| s.is_client_error());
    if !client_error || refusal.is_auth_rejection() {
        return refusal.into();
    }
    match guard::read_apono(context.apono, context.template, context.domain).await {
        Ok(now) if !now.for_domain.is_empty() => concurrent_change(format!(
            "another run created the Apono integration {} for {} at the same time (Apono refused this run's: {refusal})",
            describe_integrations(&now.for_domain, context.template),
            context.domain
        )),
        _ => refusal.into(),
    }
}

/// Right after this run created `created_id`: no other integration for the domain
/// exists, else another run created one at the same time (exit 7; both may yield).
async fn check_sole_integration(
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
fn concurrent_change(message: String) -> Failure {
    Failure::concurrent_change(message).with_hint(
        "another apono-okta run (or a person) is changing this org: wait for it to finish, then run `apono-okta connect` again",
    )
}

/// `id (client id X)` for each integration, for messages.
fn describe_integrations(integrations: &[Integration], template: &ConfigTemplate) -> String {
    if integrations.is_empty() {
        return "none".into();
    }
    integrations
        .iter()
        .map(|i| {
            format!(
                "{} on client id {}",
                i.id,
                template.client_id_of(&i.integration_config).unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn wait_ran_out(context: &ApplyContext<'_>, id: &str) -> Failure {
    Failure::unhealthy(format!(
        "Apono did not report the integration {id} Active within {}s",
        context.wait_timeout.as_secs()
    ))
    .with_hint("raise --wait SECONDS, or check the integration in the Apono web app")
}

/// Adds the missing scopes, concurrently. An app this run just created has none, so
/// its grants are not listed first.
async fn ensure_grants(
    okta: &OktaClient,
    app_id: &str,
    wanted: &[String],
    app_is_new: bool,
) -> Result<(), Failure> {
    let existing = if app_is_new {
        Vec::new()
    } else {
        okta.grants(app_id).await?
    };
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|scope| !existing.iter().any(|g| &g.scope_id == *scope))
        .collect();
    let results = join_all(missing.iter().map(|scope| okta.grant_scope(app_id, scope))).await;
    for result in results {
        result?;
    }
    Ok(())
}

/// Assigns `role` unless the client holds it (an app this run just created holds
/// none, so its roles are not listed first). 409 E0000090 (a duplicate) means it is
/// there. A custom role needs the ids of the custom role and resource set.
async fn ensure_role(
    okta: &OktaClient,
    client_id: &str,
    role: &AdminRole,
    least_privilege_ids: Option<&(String, String)>,
    app_is_new: bool,
) -> Result<(), Failure> {
    let custom_role_id = least_privilege_ids.map(|(role_id, _)| role_id.as_str());
    if !app_is_new && role.is_held(&okta.client_roles(client_id).await?, custom_role_id) {
        return Ok(());
    }
    let assigned = match (role, least_privilege_ids) {
        (AdminRole::Standard(role), _) => okta.assign_client_role(client_id, role).await,
        (AdminRole::LeastPrivilege, Some((role_id, set_id))) => {
            okta.assign_custom_client_role(client_id, role_id, set_id)
                .await
        }
        (AdminRole::LeastPrivilege, None) => {
            return Err(Failure::unexpected(
                "the plan assigns the custom role before making it",
            ));
        }
    };
    match assigned {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("E0000090") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Makes a shared object of least privilege what it must be; returns its id. One this
/// run creates is recorded for the undo before the create is sent.
async fn ensure_shared(
    context: &ApplyContext<'_>,
    journal: &Journal,
    kind: SharedObject,
    plan: &ObjectPlan,
) -> Result<String, Failure> {
    let okta = context.okta;
    match plan {
        ObjectPlan::Keep { id } => Ok(id.clone()),
        ObjectPlan::Converge { id, add, remove } => {
            kind.converge(okta, id, add, remove).await?;
            Ok(id.clone())
        }
        ObjectPlan::Create => {
            let unknown = Undo::DeleteShared { kind, id: None };
            journal.record(unknown.clone());
            let id = kind.create(okta).await?;
            journal.amend(
                |undo| matches!(undo, Undo::DeleteShared { kind: k, id: None } if *k == kind),
                Undo::DeleteShared {
                    kind,
                    id: Some(id.clone()),
                },
            );
            Ok(id)
        }
    }
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
