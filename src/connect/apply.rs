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
use serde_json::{Map, Value};

use super::cleanup::clean_up;
use super::context::{ApplyContext, check_sole_integration, concurrent_change};
use super::undo::{Journal, Undo};
use super::wait::{Written, wait_for_active};
use crate::apono::Integration;
use crate::connect::plan::{AppPlan, IntegrationPlan, LeastPrivilegePlan, Plan};
use crate::error::Failure;
use crate::http::ApiError;
use crate::okta::{App, Grant, OktaClient, REQUIRED_SCOPES};
use crate::org::config::ConfigTemplate;
use crate::org::guard::{self, AppRef};
use crate::org::role::{self, AdminRole, ObjectPlan, SharedObject};

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
    // The custom role and resource set, and the app, side by side: only the role
    // assignment needs both.
    let least_privilege = async {
        match &plan.least_privilege {
            Some(lp) => ensure_least_privilege(context, journal, lp).await.map(Some),
            None => Ok(None),
        }
    };
    let app = async {
        match &plan.app {
            AppPlan::Create { label } => create_app(context, journal, label).await,
            AppPlan::Reuse {
                app,
                activate,
                add_key,
            } => {
                converge_app(context, app, *activate, *add_key).await?;
                Ok(app.clone())
            }
        }
    };
    let (least_privilege_ids, app) = tokio::try_join!(least_privilege, app)?;
    // Said once both are done, so the lines come in one order.
    if let Some((role_id, set_id)) = &least_privilege_ids {
        context.ui.done(&format!(
            "custom role \"{}\" ({role_id}) and resource set \"{}\" ({set_id}) read users and groups, nothing else",
            role::CUSTOM_ROLE_LABEL,
            role::RESOURCE_SET_LABEL
        ));
    }
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
                let looking = Undo::FindCreatedApp {
                    label: label.to_string(),
                    look: Duration::ZERO,
                }
                .looking_for(context.look_window);
                journal.amend(is_app_create, looking);
            }
            return Err(e.into());
        }
    };
    // By kind, not "the last": the custom role and resource set are created beside it.
    journal.amend(is_app_create, Undo::DeleteApp(AppRef::from(&created)));
    context.ui.done(&format!(
        "created Okta app \"{label}\" ({}, client id {})",
        created.id,
        created.client_id()
    ));
    Ok(created)
}

/// The journal's entry for the app create whose answer has not come yet.
fn is_app_create(undo: &Undo) -> bool {
    matches!(undo, Undo::FindCreatedApp { .. })
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
    if !still_as_observed(&now, &previous.id, observed_client_id, context.template) {
        return Err(concurrent_change(format!(
            "the Apono integration {} for {} changed while this run was working (now: {})",
            previous.id,
            context.domain,
            describe_integrations(&now.for_domain, context.template)
        )));
    }
    let config = updated_config(previous, context.template, app.client_id());
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

/// Whether Apono, as read `now`, still is as this run observed it: the integration
/// `previous_id` is the only one for the domain and still on `observed_client_id`.
fn still_as_observed(
    now: &guard::AponoView,
    previous_id: &str,
    observed_client_id: Option<&str>,
    template: &ConfigTemplate,
) -> bool {
    let current = now.for_domain.iter().find(|i| i.id == previous_id);
    let current_client_id = current.and_then(|i| template.client_id_of(&i.integration_config));
    current.is_some() && now.for_domain.len() == 1 && current_client_id == observed_client_id
}

/// The config that points `previous` at `client_id`: whatever else it holds is kept,
/// what this tool manages is overwritten.
fn updated_config(
    previous: &Integration,
    template: &ConfigTemplate,
    client_id: &str,
) -> Map<String, Value> {
    let mut config = previous.integration_config.clone();
    config.extend(template.with_client_id(client_id));
    config
}

/// Why Apono refused this run's integration create. Two runs that both found no
/// integration both create; Apono refuses the second (its name is taken): that is
/// another run's work (exit 7), not an unexplained failure, when an integration for
/// the domain exists now.
async fn refused_create(context: &ApplyContext<'_>, refusal: ApiError) -> Failure {
    if !may_be_another_runs(&refusal) {
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

/// Whether a refused create may be Apono refusing a second integration for the domain:
/// a client error (409, 400: the name is taken) other than a token rejection.
fn may_be_another_runs(refusal: &ApiError) -> bool {
    let client_error = refusal.status().is_some_and(|s| s.is_client_error());
    client_error && !refusal.is_auth_rejection()
}

/// `id on client id X` for each integration (`none` for none), for messages.
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
    let missing = missing_scopes(wanted, &existing);
    let results = join_all(missing.iter().map(|scope| okta.grant_scope(app_id, scope))).await;
    for result in results {
        result?;
    }
    Ok(())
}

/// The scopes of `wanted` that no grant in `existing` gives, in `wanted`'s order.
fn missing_scopes<'a>(wanted: &'a [String], existing: &[Grant]) -> Vec<&'a String> {
    wanted
        .iter()
        .filter(|scope| !existing.iter().any(|g| &g.scope_id == *scope))
        .collect()
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
            let ours = |undo: &Undo| matches!(undo, Undo::DeleteShared { kind: k, id: None } if *k == kind);
            journal.record(unknown.clone());
            let id = match kind.create(okta).await {
                Ok(id) => id,
                // Another run made it a moment ago: use theirs, and never undo it.
                Err(e) if role::is_label_taken(&e) => {
                    journal.forget(ours);
                    return kind.find(okta).await?.ok_or_else(|| e.into());
                }
                Err(e) => return Err(e.into()),
            };
            journal.amend(
                ours,
                Undo::DeleteShared {
                    kind,
                    id: Some(id.clone()),
                },
            );
            Ok(id)
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::{Method, StatusCode};
    use serde_json::json;

    use super::*;
    use crate::http::{ServiceName, StatusError};

    const DOMAIN: &str = "example.okta.com";

    fn template() -> ConfigTemplate {
        ConfigTemplate {
            integration_type: "okta-directory".into(),
            fixed: json!({"domain": DOMAIN, "manager_attribute": "managerId"})
                .as_object()
                .unwrap()
                .clone(),
            client_id_key: "client_id".into(),
            domain_key: "domain".into(),
            fallback_note: None,
        }
    }

    fn integration(id: &str, domain: &str, client_id: Option<&str>) -> Integration {
        let mut config = json!({"domain": domain, "secret_store": "kept"});
        if let Some(client_id) = client_id {
            config["client_id"] = client_id.into();
        }
        serde_json::from_value(json!({"id": id, "integration_config": config})).unwrap()
    }

    fn view(integrations: Vec<Integration>) -> guard::AponoView {
        guard::view_of(integrations, &template(), DOMAIN)
    }

    #[test]
    fn an_update_goes_ahead_only_while_apono_is_as_observed() {
        let ours = || integration("int-1", DOMAIN, Some("0oaOld"));
        let as_observed = |now: Vec<Integration>| {
            still_as_observed(&view(now), "int-1", Some("0oaOld"), &template())
        };
        assert!(as_observed(vec![ours()]));
        // Another org's integration is no concern of this one.
        assert!(as_observed(vec![
            ours(),
            integration("int-9", "other.okta.com", Some("0oaX"))
        ]));
        // Deleted, moved to another app, or joined by a second one for the domain.
        assert!(!as_observed(vec![]));
        assert!(!as_observed(vec![integration(
            "int-1",
            DOMAIN,
            Some("0oaOther")
        )]));
        assert!(!as_observed(vec![integration("int-1", DOMAIN, None)]));
        assert!(!as_observed(vec![
            ours(),
            integration("int-2", DOMAIN, Some("0oaOld"))
        ]));
        // Observed without a client id: still without one.
        let bare = view(vec![integration("int-1", DOMAIN, None)]);
        assert!(still_as_observed(&bare, "int-1", None, &template()));
    }

    #[test]
    fn an_update_keeps_the_rest_of_the_config_and_overwrites_what_this_tool_manages() {
        let mut previous = integration("int-1", "EXAMPLE.okta.com", Some("0oaOld"));
        previous
            .integration_config
            .insert("manager_attribute".into(), "custom".into());
        let config = updated_config(&previous, &template(), "0oaNew");
        assert_eq!(
            Value::Object(config),
            json!({
                "client_id": "0oaNew",
                "domain": DOMAIN,
                "manager_attribute": "managerId",
                "secret_store": "kept",
            })
        );
    }

    #[test]
    fn integrations_are_described_with_their_client_ids() {
        assert_eq!(describe_integrations(&[], &template()), "none");
        let two = [
            integration("int-1", DOMAIN, Some("0oa1")),
            integration("int-2", DOMAIN, None),
        ];
        assert_eq!(
            describe_integrations(&two, &template()),
            "int-1 on client id 0oa1, int-2 on client id -"
        );
    }

    #[test]
    fn only_the_missing_scopes_are_granted() {
        let wanted: Vec<String> = vec!["okta.users.read".into(), "okta.groups.read".into()];
        let grant = |scope: &str| -> Grant {
            serde_json::from_value(json!({"id": "g", "scopeId": scope})).unwrap()
        };
        assert_eq!(missing_scopes(&wanted, &[]), [&wanted[0], &wanted[1]]);
        assert_eq!(
            missing_scopes(
                &wanted,
                &[grant("okta.groups.read"), grant("okta.apps.read")]
            ),
            [&wanted[0]]
        );
        assert!(
            missing_scopes(
                &wanted,
                &[grant("okta.groups.read"), grant("okta.users.read")]
            )
            .is_empty()
        );
    }

    fn refused(status: StatusCode) -> ApiError {
        ApiError::Status(Box::new(StatusError {
            service: ServiceName::Apono,
            method: Method::POST,
            path: "/api/admin/v4/integrations".into(),
            status,
            code: None,
            summary: "refused".into(),
            request_id: None,
        }))
    }

    #[test]
    fn a_create_refused_as_a_client_error_may_be_another_runs_but_not_a_token_rejection() {
        assert!(may_be_another_runs(&refused(StatusCode::CONFLICT)));
        assert!(may_be_another_runs(&refused(StatusCode::BAD_REQUEST)));
        assert!(!may_be_another_runs(&refused(StatusCode::UNAUTHORIZED)));
        assert!(!may_be_another_runs(&refused(StatusCode::FORBIDDEN)));
        assert!(!may_be_another_runs(&refused(
            StatusCode::INTERNAL_SERVER_ERROR
        )));
        let lost = ApiError::Transport {
            service: ServiceName::Apono,
            method: Method::POST,
            path: "/api/admin/v4/integrations".into(),
            detail: "timed out".into(),
            maybe_delivered: true,
        };
        assert!(!may_be_another_runs(&lost));
    }

    #[test]
    fn another_runs_change_is_exit_7_with_what_to_do() {
        let failure = concurrent_change("another run did it".into());
        assert_eq!(failure.exit_code(), 7);
        assert_eq!(failure.message, "another run did it");
        assert!(
            failure.hints[0].contains("wait for it to finish"),
            "{:?}",
            failure.hints
        );
    }
}
