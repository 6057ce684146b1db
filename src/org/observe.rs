//! Preflight: read-only calls to both services, run concurrently, turned into
//! [`Observed`]. Any failure stops everything before any write. The Okta client checks
//! that its host is an Okta org before its first call sends the token
//! ([`show_confirmed_org`] says which org it found).

use serde_json::Value;

use crate::apono::{AponoClient, Integration};
use crate::error::Failure;
use crate::okta::OktaClient;
use crate::org::config::{self, ConfigInputs, ConfigTemplate};
use crate::org::guard;
use crate::org::role::AdminRole;
use crate::org::rules::PickError;
use crate::org::{Observed, ReusedApp};
use crate::ui::Ui;

/// What preflight needs besides the two clients.
pub(crate) struct PreflightInputs<'a> {
    pub(crate) app_label: &'a str,
    pub(crate) integration_type: Option<&'a str>,
    pub(crate) config: &'a ConfigInputs,
}

/// Runs every read of DESIGN.md §3.2 and checks the Okta token is a super admin's.
///
/// The reads run concurrently, but errors are reported in a fixed order (the Okta
/// token, then the super admin check, then the rest of Okta, then Apono), so the same
/// broken input always gives the same message and exit code.
pub(crate) async fn preflight(
    okta: &OktaClient,
    apono: &AponoClient,
    inputs: PreflightInputs<'_>,
) -> Result<Observed, Failure> {
    let apono_side = apono_integrations(apono, inputs.integration_type, inputs.config);
    let (login, client_privileges, apps, apono_result) = tokio::join!(
        super_admin_login(okta),
        okta.client_privileges_setting(),
        okta.apps_with_label(inputs.app_label),
        apono_side,
    );
    let okta_login = login?;
    let client_privileges = match client_privileges {
        Ok(setting) => Some(setting),
        Err(e) if e.is_auth_rejection() => return Err(e.into()),
        // Only a warning depends on it: an org that cannot answer is not a reason to stop.
        Err(_) => None,
    };
    let labelled_apps = apps?;
    let okta_now = okta.server_now();
    let AponoSide {
        template,
        integrations,
        referenced_client_ids,
    } = apono_result?;
    Ok(Observed {
        okta_login,
        client_privileges,
        labelled_apps,
        template,
        integrations,
        referenced_client_ids,
        reused_app: None,
        okta_now,
        least_privilege: None,
    })
}

/// Says which Okta org the host was confirmed as (DESIGN.md §3.2: a custom domain's
/// metadata names its Okta domain), when the check ran; under Okta's own domains it
/// does not, and nothing is said.
pub(crate) fn show_confirmed_org(okta: &OktaClient, ui: &Ui) {
    if let Some(line) = okta.org_confirmation() {
        ui.done(&line);
    }
}

/// Apono's view of this org: how its Okta integration is configured, the integrations
/// for this org's domain, and the client ids any integration of the type uses.
pub(crate) struct AponoSide {
    pub(crate) template: ConfigTemplate,
    pub(crate) integrations: Vec<Integration>,
    pub(crate) referenced_client_ids: Vec<String>,
}

/// Discovers the integration type and keys, and lists the integrations of that type.
pub(crate) async fn apono_integrations(
    apono: &AponoClient,
    integration_type: Option<&str>,
    config: &ConfigInputs,
) -> Result<AponoSide, Failure> {
    let template = discover_template(apono, integration_type, config).await?;
    let view = guard::read_apono(apono, &template, &config.domain).await?;
    // Apps any integration uses (this org's or another's) are never orphans.
    Ok(AponoSide {
        template,
        integrations: view.for_domain,
        referenced_client_ids: view.referenced,
    })
}

/// This org's integration among those preflight found for its domain: the one
/// `--apono-integration-id` names, the only one, or none (`connect`'s plan, `status` and
/// `disconnect` all pick it this way).
pub(crate) fn org_integration(
    integrations: &[Integration],
    integration_id: Option<&str>,
    domain: &str,
) -> Result<Option<Integration>, Failure> {
    org_integration_picked(crate::org::rules::pick_org_integration(
        integrations,
        integration_id,
        domain,
    ))
}

/// A pick's error as the usage error it is, with what to do.
pub(crate) fn org_integration_picked(
    picked: Result<Option<Integration>, PickError>,
) -> Result<Option<Integration>, Failure> {
    picked.map_err(|e| {
        Failure::usage(e.to_string()).with_hint("pick one with --apono-integration-id ID")
    })
}

/// With `--reuse-app`: what the app to converge in place looks like (its grants and
/// roles), or `None` when there is no app to reuse.
pub(crate) async fn observe_reused_app(
    okta: &OktaClient,
    observed: &Observed,
    app_id: Option<&str>,
    public_key: &Value,
) -> Result<Option<ReusedApp>, Failure> {
    let Some(app) = app_id.and_then(|id| observed.labelled_apps.iter().find(|a| a.id == id)) else {
        return Ok(None);
    };
    let (grants, roles) =
        tokio::try_join!(okta.grants(&app.id), okta.client_roles(app.client_id()))?;
    Ok(Some(ReusedApp {
        carries_key: app.carries_key(public_key),
        app: app.clone(),
        grants,
        roles,
    }))
}

/// The kind of admin role the app Apono uses holds (the reused app with
/// `--reuse-app`), so a re-run without `--admin-role`/`--least-privilege` keeps it;
/// the default standard role when there is no such app.
pub(crate) async fn role_in_use(
    okta: &OktaClient,
    observed: &Observed,
    integration_id: Option<&str>,
    domain: &str,
) -> Result<AdminRole, Failure> {
    if let Some(reused) = &observed.reused_app {
        return Ok(AdminRole::held_by(&reused.roles));
    }
    // Several integrations are the plan's error to report, not this lookup's.
    let integration =
        crate::org::rules::pick_org_integration(&observed.integrations, integration_id, domain);
    let integration = match integration {
        // A new connection: least privilege (DESIGN.md §1).
        Ok(None) => return Ok(AdminRole::LeastPrivilege),
        Ok(Some(integration)) => integration,
        Err(_) => return Ok(AdminRole::default_standard()),
    };
    let Some(client_id) = observed
        .template
        .client_id_of(&integration.integration_config)
    else {
        return Ok(AdminRole::default_standard());
    };
    match okta.client_roles(client_id).await {
        Ok(roles) => Ok(AdminRole::held_by(&roles)),
        Err(e) if e.is_not_found() => Ok(AdminRole::default_standard()),
        Err(e) => Err(e.into()),
    }
}

/// The token's owner must hold `SUPER_ADMIN`: only a super admin can grant scopes and
/// assign roles. Returns the owner's login.
pub(crate) async fn super_admin_login(okta: &OktaClient) -> Result<String, Failure> {
    let me = okta.current_user().await?;
    let roles = okta.user_roles(&me.id).await?;
    let login = crate::output::server_text(me.profile.login.as_deref().unwrap_or(&me.id));
    if roles.iter().any(|r| r.role_type == "SUPER_ADMIN") {
        return Ok(login);
    }
    let held = if roles.is_empty() {
        "no admin role".to_string()
    } else {
        roles
            .iter()
            .map(|r| r.role_type.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(Failure::okta_privileges(format!("the Okta API token belongs to {login}, who is not a super admin (holds {held})"),
    )
    .with_hint("creating an OAuth app and granting it scopes requires super admin privileges: be one, or ask your organization's Okta admin to create the API token until the integration is complete"))
}

/// The integration type and config keys, from the catalog (DESIGN.md §2).
async fn discover_template(
    apono: &AponoClient,
    integration_type: Option<&str>,
    inputs: &ConfigInputs,
) -> Result<ConfigTemplate, Failure> {
    let entry = match integration_type {
        Some(t) => apono.catalog_entry(t).await.map_err(|e| {
            if e.is_not_found() {
                Failure::usage(format!("Apono's catalog has no integration type \"{t}\""))
                    .with_hint("leave out --apono-integration-type to find the \"Okta Directory\" entry by name")
            } else {
                Failure::from(e)
            }
        })?,
        None => match apono.catalog().await {
            Ok(catalog) => config::find_okta_directory(&catalog)
                .map_err(|e| {
                    Failure::usage(e.to_string()).with_hint("pass --apono-integration-type TYPE to name the integration type")
                })?
                .clone(),
            Err(e) if e.is_not_found() => return Ok(config::fallback_template(inputs)),
            Err(e) => return Err(e.into()),
        },
    };
    config::template_from_entry(&entry, inputs).map_err(|e| {
        Failure::usage(e.to_string()).with_hint("fill any parameter with --apono-config KEY=VALUE")
    })
}
