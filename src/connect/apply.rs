//! Carrying out a [`Plan`], top to bottom: the least-privilege objects, the app, its
//! grants and role, then the integration, the wait for `Active` ([`super::wait`]), and
//! the clean-up after the commit point ([`super::cleanup`]). Each step looks before it
//! writes, and each write is recorded in the undo [`Journal`] before it is sent
//! ([`super::undo`]); a failure leaves the journal for the caller to roll back.
//!
//! Concurrent runs (DESIGN.md §3): the integration is re-read before Apono is pointed at
//! a new app, and again after one is created; another run's work there is exit 7.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::Value;

use super::cleanup::clean_up;
use super::undo::{Journal, Undo};
use super::wait::{Written, wait_for_active};
use crate::apono::{AponoClient, Integration};
use crate::connect::config::ConfigTemplate;
use crate::connect::guard;
use crate::connect::guard::AppRef;
use crate::connect::plan::{AppPlan, IntegrationPlan, LeastPrivilegePlan, Plan};
use crate::connect::role::{self, AdminRole, ObjectPlan, SharedObject};
use crate::error::Failure;
use crate::http::ApiError;
use crate::okta::{App, OktaClient, REQUIRED_SCOPES};
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

/// What a successful apply did.
#[derive(Debug, Clone)]
pub(super) struct Applied {
    pub(super) app: App,
    pub(super) scopes: Vec<String>,
    pub(super) admin_role: AdminRole,
    pub(super) integration: Integration,
    pub(super) retired_app_ids: Vec<String>,
    pub(super) api_token_revoked: bool,
    /// What is left for a person to clean up (exit 6): an app that could not be
    /// retired, a token that could not be revoked.
    pub(super) left_behind: Vec<String>,
}

/// Runs the plan, top to bottom. On failure the journal still holds the writes to
/// undo; the caller rolls it back (so Ctrl-C and errors share one path).
pub(super) async fn apply(
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
    let integration = point_apono(context, journal, plan, &app, apono_now).await?;
    // Apono confirmed the new app works (or nothing is waited for): nothing from here
    // on is undone. What cannot be finished is a debt (exit 6), listed.
    journal.commit();

    let cleaned = clean_up(context, plan, &app).await;
    Ok(Applied {
        app,
        scopes: REQUIRED_SCOPES.iter().map(|s| s.to_string()).collect(),
        admin_role: context.admin_role.clone(),
        integration,
        retired_app_ids: cleaned.retired_app_ids,
        api_token_revoked: cleaned.api_token_revoked,
        left_behind: cleaned.left_behind,
    })
}

/// Writes the integration as the plan says (create, update, or keep) and, when the
/// plan waits, waits for Apono to report it healthy with this run's app.
async fn point_apono(
    context: &ApplyContext<'_>,
    journal: &Journal,
    plan: &Plan,
    app: &App,
    apono_now: Option<guard::AponoView>,
) -> Result<Integration, Failure> {
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
                create_integration(context, journal, app, name, integration_type, apono_now)
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
                app,
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
    if plan.wait_for_active {
        wait_for_active(context, app, integration, written, observed_client_id).await
    } else {
        Ok(integration)
    }
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
        context.ui.done(&format!("assigned admin role {role}"));
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
        previous.name,
        previous.id,
        app.client_id()
    ));
    Ok(updated)
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
