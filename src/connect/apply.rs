//! Carrying out a [`Plan`]: each step looks before it writes, each write is recorded in
//! an undo [`Journal`], and a failure before Apono reports the integration healthy
//! rolls the journal back in reverse.
//!
//! Known gap: a write whose connection drops before the answer (the app create, say)
//! may or may not have happened; it is not in the journal. The next run finds such an
//! app by its label and retires it as an orphan.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::Value;

use crate::apono::{AponoClient, Integration};
use crate::connect::config::ConfigTemplate;
use crate::connect::plan::{Plan, RetireReason, Step};
use crate::error::{ExitKind, Failure};
use crate::http::ApiError;
use crate::okta::{App, OktaClient, REQUIRED_SCOPES};
use crate::ui::Ui;

/// What apply needs besides the plan.
pub struct ApplyContext<'a> {
    pub okta: &'a OktaClient,
    pub apono: &'a AponoClient,
    pub ui: &'a Ui,
    pub template: &'a ConfigTemplate,
    pub public_key: &'a Value,
    /// The admin role the app should hold (reported as such when already there).
    pub admin_role: &'a str,
    /// The apps with our label that preflight saw: an undo never deletes these.
    pub preexisting_app_ids: &'a [String],
    /// Longest wait for `Active`.
    pub wait_timeout: Duration,
    /// Time between two status reads.
    pub poll_interval: Duration,
}

/// What a successful apply did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub app: App,
    pub scopes: Vec<String>,
    pub admin_role: String,
    pub integration: Integration,
    pub retired_app_ids: Vec<String>,
    pub api_token_revoked: bool,
}

/// One write to put back if the run fails.
#[derive(Debug, Clone)]
enum Undo {
    /// Recorded before the app create is sent: deletes every app with the label that
    /// preflight did not see, so an app whose create answer was lost is undone too.
    DeleteNewApps {
        label: String,
        preexisting: Vec<String>,
    },
    /// Recorded before the create is sent, so an answer lost to a dropped connection or
    /// Ctrl-C is undone too: deletes every integration of the type that points at the
    /// new app's client id.
    DeleteIntegrationsFor {
        integration_type: String,
        client_id_key: String,
        client_id: String,
    },
    /// Recorded before the update is sent, for the same reason.
    RestoreIntegration { previous: Box<Integration> },
}

/// The writes of this run that a failure must undo, in the order they happened.
/// Shared, so that Ctrl-C can roll back what an interrupted apply had done.
#[derive(Debug, Clone, Default)]
pub struct Journal(Arc<Mutex<Vec<Undo>>>);

impl Journal {
    fn record(&self, undo: Undo) {
        if let Ok(mut entries) = self.0.lock() {
            entries.push(undo);
        }
    }

    /// Forgets everything: the run succeeded and nothing is to be undone.
    fn commit(&self) {
        if let Ok(mut entries) = self.0.lock() {
            entries.clear();
        }
    }

    fn take(&self) -> Vec<Undo> {
        self.0
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    /// Undoes every recorded write, newest first, and reports what was undone and what
    /// could not be. Apono is put back before the app it pointed at is deleted, so Apono
    /// never points at an app that does not exist.
    pub async fn roll_back(
        &self,
        okta: &OktaClient,
        apono: &AponoClient,
        ui: &Ui,
    ) -> (Vec<String>, Vec<String>) {
        let mut undone = Vec::new();
        let mut left_behind = Vec::new();
        let mut apono_undo_failed = false;
        for undo in self.take().into_iter().rev() {
            // `Ok(None)`: there was nothing to undo (a create whose answer never came).
            let (description, result) = match &undo {
                // Deleting an app Apono may still point at would break Apono: keep it.
                Undo::DeleteNewApps { label, .. } if apono_undo_failed => {
                    left_behind.push(format!(
                        "the Okta app(s) labelled \"{label}\" created by this run: kept, because Apono may still use them"
                    ));
                    continue;
                }
                Undo::DeleteNewApps { label, preexisting } => {
                    let description = format!("Okta apps labelled \"{label}\" created by this run");
                    let result = delete_new_apps(okta, label, preexisting)
                        .await
                        .map(|deleted| {
                            (!deleted.is_empty()).then(|| {
                                format!("Okta app {} (created by this run)", deleted.join(", "))
                            })
                        });
                    (description, result)
                }
                Undo::DeleteIntegrationsFor {
                    integration_type,
                    client_id_key,
                    client_id,
                } => {
                    let description = format!("Apono integration for client id {client_id}");
                    let result =
                        delete_integrations_for(apono, integration_type, client_id_key, client_id)
                            .await
                            .map(|deleted| {
                                (!deleted.is_empty()).then(|| {
                                    format!(
                                        "Apono integration {} (created by this run)",
                                        deleted.join(", ")
                                    )
                                })
                            });
                    (description, result)
                }
                Undo::RestoreIntegration { previous } => {
                    let description = format!(
                        "Apono integration {} (pointed back at its previous app)",
                        previous.id
                    );
                    let result = apono
                        .update_integration(previous, &previous.integration_config)
                        .await
                        .map(|_| Some(description.clone()));
                    (description, result)
                }
            };
            match result {
                Ok(Some(done)) => {
                    ui.done(&format!("undone: {done}"));
                    undone.push(done);
                }
                Ok(None) => {}
                Err(e) => {
                    ui.error(&format!("could not undo {description}: {e}"));
                    left_behind.push(format!("{description}: {e}"));
                    apono_undo_failed |= !matches!(undo, Undo::DeleteNewApps { .. });
                }
            }
        }
        (undone, left_behind)
    }
}

/// Retires every app with the label that is not among `preexisting`; returns the ids.
async fn delete_new_apps(
    okta: &OktaClient,
    label: &str,
    preexisting: &[String],
) -> Result<Vec<String>, ApiError> {
    let mut deleted = Vec::new();
    for app in okta.apps_with_label(label).await? {
        if !preexisting.contains(&app.id) {
            retire_app(okta, &app.id).await?;
            deleted.push(app.id);
        }
    }
    Ok(deleted)
}

/// Deletes every integration of a type whose config points at `client_id`; returns
/// the ids it deleted.
async fn delete_integrations_for(
    apono: &AponoClient,
    integration_type: &str,
    client_id_key: &str,
    client_id: &str,
) -> Result<Vec<String>, ApiError> {
    let mut deleted = Vec::new();
    for integration in apono.integrations(integration_type).await? {
        if integration
            .integration_config
            .get(client_id_key)
            .and_then(Value::as_str)
            == Some(client_id)
        {
            apono.delete_integration(&integration.id).await?;
            deleted.push(integration.id);
        }
    }
    Ok(deleted)
}

/// Deactivates (if needed) and deletes an app. A missing app counts as deleted.
async fn retire_app(okta: &OktaClient, app_id: &str) -> Result<(), ApiError> {
    match okta.deactivate_app(app_id).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(e),
    }
    match okta.delete_app(app_id).await {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// Runs the plan. On failure the journal still holds the writes to undo; the caller
/// rolls it back (so Ctrl-C and errors share one path).
pub async fn apply(
    plan: &Plan,
    context: &ApplyContext<'_>,
    journal: &Journal,
) -> Result<Applied, Failure> {
    let ui = context.ui;
    // Repair starts from the existing app and integration; create and rotate make new ones.
    let mut app: Option<App> = plan.reused_app.clone();
    let mut integration: Option<Integration> = plan.existing_integration.clone();
    let mut retired_app_ids = Vec::new();
    let mut api_token_revoked = false;
    let mut created_by_this_run = false;
    let mut rewritten_by_this_run = false;

    let mut steps = plan.steps.iter().peekable();
    while let Some(step) = steps.next() {
        match step {
            Step::CreateApp { label } => {
                journal.record(Undo::DeleteNewApps {
                    label: label.clone(),
                    preexisting: context.preexisting_app_ids.to_vec(),
                });
                let created = context.okta.create_service_app(label, context.public_key).await?;
                ui.done(&format!(
                    "created Okta app \"{label}\" ({}, client id {})",
                    created.id,
                    created.client_id()
                ));
                app = Some(created);
            }
            Step::ActivateApp { app_id } => {
                context.okta.activate_app(app_id).await?;
                ui.done(&format!("activated the app {app_id}"));
            }
            Step::AddKey { app_id } => {
                context.okta.add_key(app_id, context.public_key).await?;
                ui.done(&format!("added Apono's public key to the app {app_id}"));
            }
            Step::GrantScopes { scopes: wanted } => {
                let target = app.as_ref().ok_or_else(no_app)?;
                // Grants and the role are independent: run them together.
                let role = match steps.peek() {
                    Some(Step::AssignRole { role }) => {
                        steps.next();
                        Some(role)
                    }
                    _ => None,
                };
                tokio::try_join!(ensure_grants(context.okta, &target.id, wanted), async {
                    match role {
                        Some(role) => ensure_role(context.okta, target.client_id(), role).await,
                        None => Ok(()),
                    }
                })?;
                ui.done(&format!("granted {}", wanted.join(" and ")));
                if let Some(role) = role {
                    ui.done(&format!("assigned admin role {role}"));
                }
            }
            Step::AssignRole { role } => {
                let target = app.as_ref().ok_or_else(no_app)?;
                ensure_role(context.okta, target.client_id(), role).await?;
                ui.done(&format!("assigned admin role {role}"));
            }
            Step::CreateIntegration {
                name,
                integration_type,
            } => {
                let new_app = app.as_ref().ok_or_else(no_app)?;
                let config = context.template.with_client_id(new_app.client_id());
                journal.record(Undo::DeleteIntegrationsFor {
                    integration_type: integration_type.clone(),
                    client_id_key: context.template.client_id_key.clone(),
                    client_id: new_app.client_id().to_string(),
                });
                let created = context
                    .apono
                    .create_integration(name, integration_type, &config)
                    .await?;
                ui.done(&format!("created Apono integration \"{name}\" ({})", created.id));
                created_by_this_run = true;
                integration = Some(created);
            }
            Step::UpdateIntegration { id, name } => {
                let new_app = app.as_ref().ok_or_else(no_app)?;
                let previous = plan
                    .existing_integration
                    .as_ref()
                    .ok_or_else(|| Failure::new(ExitKind::Unexpected, "the plan updates an integration it did not observe"))?;
                // Keep whatever else the config holds; overwrite what this tool manages.
                let mut config = previous.integration_config.clone();
                config.extend(context.template.with_client_id(new_app.client_id()));
                journal.record(Undo::RestoreIntegration {
                    previous: Box::new(previous.clone()),
                });
                let updated = context.apono.update_integration(previous, &config).await?;
                rewritten_by_this_run = true;
                ui.done(&format!("pointed Apono integration \"{name}\" ({id}) at client id {}", new_app.client_id()));
                integration = Some(updated);
            }
            Step::WaitForActive => {
                let current = integration.as_ref().ok_or_else(|| {
                    Failure::new(ExitKind::Unexpected, "the plan waits for an integration it did not write")
                })?;
                let expected_client_id = app.as_ref().map(|a| a.client_id().to_string());
                let freshness = Freshness {
                    after_update: rewritten_by_this_run,
                    // A status that is not yet settled proves Apono saw our write.
                    saw_sync: created_by_this_run
                        || (rewritten_by_this_run && !is_settled(&current.status)),
                    expected_client_id,
                    settled_reads: 0,
                };
                integration = Some(wait_until_healthy(context, &current.id, freshness).await?);
                // Apono confirmed the new app works: nothing from here on is undone.
                journal.commit();
            }
            Step::RetireApp { app_id, reason } => {
                let what = match reason {
                    RetireReason::Previous => "previous",
                    RetireReason::Orphan => "orphaned",
                };
                match retire_app(context.okta, app_id).await {
                    Ok(()) => {
                        ui.done(&format!("deactivated and deleted the {what} app {app_id}"));
                        retired_app_ids.push(app_id.clone());
                    }
                    Err(e) => ui.warn(&format!(
                        "could not retire the {what} app {app_id}: {e}; deactivate and delete it in the Okta admin console"
                    )),
                }
            }
            Step::RevokeToken => match context.okta.revoke_current_token().await {
                Ok(()) => {
                    ui.done("revoked the Okta API token");
                    api_token_revoked = true;
                }
                Err(e) => ui.warn(&format!(
                    "could not revoke the Okta API token: {e}; revoke it in the Okta admin console (Security > API > Tokens)"
                )),
            },
        }
    }
    journal.commit();
    let app = app.ok_or_else(no_app)?;
    let integration = integration
        .ok_or_else(|| Failure::new(ExitKind::Unexpected, "the plan wrote no Apono integration"))?;
    Ok(Applied {
        app,
        scopes: REQUIRED_SCOPES.iter().map(|s| s.to_string()).collect(),
        admin_role: context.admin_role.to_string(),
        integration,
        retired_app_ids,
        api_token_revoked,
    })
}

fn no_app() -> Failure {
    Failure::new(
        ExitKind::Unexpected,
        "the plan configures an app it did not create",
    )
}

/// Lists the app's grants and adds the missing scopes, concurrently.
async fn ensure_grants(okta: &OktaClient, app_id: &str, wanted: &[String]) -> Result<(), Failure> {
    let existing = okta.grants(app_id).await?;
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

/// Lists the client's roles and assigns `role` unless present. 409 E0000090 (a
/// duplicate) means it is there.
async fn ensure_role(okta: &OktaClient, client_id: &str, role: &str) -> Result<(), Failure> {
    let existing = okta.client_roles(client_id).await?;
    if existing.iter().any(|r| r.role_type == role) {
        return Ok(());
    }
    match okta.assign_client_role(client_id, role).await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("E0000090") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Polls the integration until Apono settles on a status, or the wait runs out.
/// How many `Active` reads in a row count as settled when Apono never showed a sync
/// after an update (a service that applies updates without a visible `Refreshing`).
const SETTLED_READS_AFTER_UPDATE: u32 = 3;

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
    settled_reads: u32,
}

impl Freshness {
    fn about_new_app(&self, integration: &Integration, client_id_key: &str) -> bool {
        let shown = integration
            .integration_config
            .get(client_id_key)
            .and_then(Value::as_str);
        match (&self.expected_client_id, shown) {
            (Some(expected), Some(shown)) => expected == shown,
            (Some(_), None) => !self.after_update,
            (None, _) => true,
        }
    }

    /// Reads one answer; true when a settled status can be trusted.
    fn settled_and_trusted(&mut self, integration: &Integration, client_id_key: &str) -> bool {
        if !self.about_new_app(integration, client_id_key) {
            return false;
        }
        if !is_settled(&integration.status) {
            self.saw_sync = true;
            return false;
        }
        self.settled_reads += 1;
        self.saw_sync || self.settled_reads >= SETTLED_READS_AFTER_UPDATE
    }
}

/// `Active` or `Warning`: Apono is done syncing.
fn is_settled(status: &str) -> bool {
    matches!(status, "Active" | "Warning")
}

async fn wait_until_healthy(
    context: &ApplyContext<'_>,
    id: &str,
    mut freshness: Freshness,
) -> Result<Integration, Failure> {
    let spinner = context.ui.spinner("waiting for Apono to sync with Okta");
    let started = Instant::now();
    loop {
        let integration = context.apono.integration(id).await?;
        let key = &context.template.client_id_key;
        let about_new_app = freshness.about_new_app(&integration, key);
        let trusted = freshness.settled_and_trusted(&integration, key);
        match integration.status.as_str() {
            // A stale answer, about the previous app: keep waiting.
            _ if !about_new_app => spinner.set_message("waiting for Apono to take the new app"),
            "Active" | "Warning" if !trusted => {
                spinner.set_message("waiting for Apono to sync with the new app");
            }
            "Active" => {
                spinner.finish();
                context
                    .ui
                    .done(&format!("Apono reports the integration {id} Active"));
                return Ok(integration);
            }
            "Warning" => {
                spinner.finish();
                let details = details_of(context.apono, id).await;
                context.ui.warn(&format!(
                    "Apono reports the integration {id} with status Warning{details}"
                ));
                return Ok(integration);
            }
            "Error" | "Disabled" => {
                spinner.finish();
                let details = details_of(context.apono, id).await;
                return Err(Failure::new(
                    ExitKind::Unhealthy,
                    format!(
                        "Apono reports the integration {id} with status {}{details}",
                        integration.status
                    ),
                ));
            }
            other => spinner.set_message(&format!(
                "waiting for Apono to sync with Okta (status {other})"
            )),
        }
        if started.elapsed() >= context.wait_timeout {
            spinner.finish();
            return Err(Failure::new(
                ExitKind::Unhealthy,
                format!(
                    "Apono did not report the integration {id} Active within {}s (status {})",
                    context.wait_timeout.as_secs(),
                    integration.status
                ),
            )
            .with_hint("raise --wait SECONDS, or check the integration in the Apono web app"));
        }
        tokio::time::sleep(context.poll_interval).await;
    }
}

/// `: <what Apono says>`, or nothing when Apono says nothing.
async fn details_of(apono: &AponoClient, id: &str) -> String {
    match apono.integration_details(id).await {
        Ok(Some(details)) => format!(": {details}"),
        _ => String::new(),
    }
}
