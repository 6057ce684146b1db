//! `apono-okta status`: read-only health of both sides (DESIGN.md §4).
//!
//! The Apono token alone shows the integration; with an Okta token (file or
//! environment, never prompted) it also checks the app the integration uses: it exists
//! and is active, carries Apono's key, has both grants and an admin role. Every
//! difference is a named drift. With the Okta token it also lists the apps with our
//! label that no integration references (a half-done disconnect or rotation leaves
//! them; they are not a drift). Nothing is written, and the Okta token is not revoked.

use serde::Serialize;

use crate::apono::{self, IntegrationStatus};
use crate::commands::Summary;
use crate::error::{ExitKind, Failure};
use crate::okta::{OktaClient, REQUIRED_SCOPES, SERVICE_APP_NAME};
use crate::org::config::ConfigInputs;
use crate::org::observe::{self, apono_integrations};
use crate::org::role::{self, AdminRole};
use crate::org::rules::{PickError, pick_org_integration};
use crate::settings::ServiceSettings;
use crate::ui::Ui;

/// What `status` found.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub healthy: bool,
    pub okta: OktaStatus,
    pub apono: AponoStatus,
    /// Every way the two sides differ from what `connect` sets up.
    pub drifts: Vec<String>,
    /// Service apps with our label whose id or client id no integration of the type (of
    /// any org) uses. Empty when the Okta side was not checked. Not a drift.
    pub unreferenced_app_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OktaStatus {
    pub domain: String,
    pub app_id: Option<String>,
    pub client_id: Option<String>,
    /// False when no Okta token was given: the Okta side was not looked at.
    pub checked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AponoStatus {
    pub integration_id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub integration_type: String,
    pub status: Option<IntegrationStatus>,
}

impl StatusReport {
    /// 0 when healthy, 5 when not.
    pub fn exit_code(&self) -> u8 {
        if self.healthy {
            0
        } else {
            ExitKind::Unhealthy.code()
        }
    }

    /// The human summary for stdout.
    pub fn to_text(&self) -> String {
        let mut lines = vec![format!(
            "{}: {}",
            self.okta.domain,
            if self.healthy {
                "healthy"
            } else {
                "NOT healthy"
            }
        )];
        lines.push(format!(
            "  Apono integration  {} ({}, type {}): {}",
            self.apono.name.as_deref().unwrap_or("-"),
            self.apono.integration_id.as_deref().unwrap_or("none"),
            self.apono.integration_type,
            self.apono
                .status
                .as_ref()
                .map_or_else(|| "-".to_string(), ToString::to_string)
        ));
        lines.push(if self.okta.checked {
            format!(
                "  Okta app           {} (client id {})",
                self.okta.app_id.as_deref().unwrap_or("-"),
                self.okta.client_id.as_deref().unwrap_or("-")
            )
        } else {
            "  Okta app           not checked (set OKTA_API_TOKEN or pass --okta-api-token-file to check it)".to_string()
        });
        lines.extend(self.drifts.iter().map(|d| format!("  drift: {d}")));
        if !self.unreferenced_app_ids.is_empty() {
            lines.extend(self.unreferenced_app_ids.iter().map(|id| {
                format!("  unreferenced app   {id} (our label, no Apono integration uses it)")
            }));
            lines.push(
                "  `apono-okta connect` retires unreferenced apps, or `apono-okta disconnect` finishes a half-done disconnect".to_string(),
            );
        }
        lines.join("\n")
    }
}

/// Runs `status`.
pub async fn run(service: &ServiceSettings, ui: &Ui) -> Result<StatusReport, Failure> {
    let apono = super::apono_client(service)?;
    // Every integration of the type is listed once: this org's is picked from them, and
    // any org's counts as a reference to an app.
    let config = ConfigInputs {
        domain: service.domain.clone(),
        ..ConfigInputs::default()
    };
    let side = apono_integrations(&apono, service.integration_type.as_deref(), &config).await?;
    // Several integrations for the org are a state to report (exit 5), not a usage error.
    let mut drifts = Vec::new();
    let integration = match pick_org_integration(
        &side.integrations,
        service.integration_id.as_deref(),
        &service.domain,
    ) {
        Err(several @ PickError::SeveralIntegrations { .. }) => {
            drifts.push(format!(
                "{several}; one org should have one (pick one with --apono-integration-id ID, and delete the others in the Apono web app)"
            ));
            None
        }
        other => observe::org_integration_picked(other)?,
    };
    let template = side.template;
    let client_id = integration
        .as_ref()
        .and_then(|i| template.client_id_of(&i.integration_config))
        .map(str::to_string);
    match &integration {
        None => drifts.push(format!(
            "Apono has no Okta integration for {}",
            service.domain
        )),
        Some(i) if i.status == IntegrationStatus::Warning => {
            let details = apono.integration_details(&i.id).await.ok().flatten();
            ui.warn(&format!(
                "Apono reports the integration with status Warning{}",
                details.map(|d| format!(": {d}")).unwrap_or_default()
            ));
        }
        Some(i) if i.status != IntegrationStatus::Active => {
            let details = apono.integration_details(&i.id).await.ok().flatten();
            drifts.push(format!(
                "Apono reports the integration with status {}{}",
                i.status,
                details.map(|d| format!(": {d}")).unwrap_or_default()
            ));
        }
        Some(_) => {}
    }
    if integration.is_some() && client_id.is_none() {
        drifts.push(format!(
            "the integration's config has no client id (key \"{}\")",
            template.client_id_key
        ));
    }

    let mut app_id = None;
    let mut unreferenced_app_ids = Vec::new();
    let checked = service.okta_token.is_some();
    if let Some(okta) = super::okta_client(service)? {
        if let Some(client_id) = &client_id {
            app_id = check_okta_app(&service.app_label, &okta, client_id, &mut drifts).await?;
        }
        unreferenced_app_ids =
            unreferenced_apps(&okta, &service.app_label, &side.referenced_client_ids).await?;
        observe::show_confirmed_org(&okta, ui);
    } else {
        ui.info("Checking Apono only: give an Okta API token (OKTA_API_TOKEN or --okta-api-token-file) to check the Okta app too.");
    }
    Ok(StatusReport {
        healthy: drifts.is_empty(),
        okta: OktaStatus {
            domain: service.domain.clone(),
            app_id,
            client_id,
            checked,
        },
        apono: AponoStatus {
            integration_id: integration.as_ref().map(|i| i.id.clone()),
            name: integration.as_ref().map(|i| i.name.clone()),
            integration_type: template.integration_type.clone(),
            status: integration.as_ref().map(|i| i.status.clone()),
        },
        drifts,
        unreferenced_app_ids,
    })
}

/// The service apps with `label` that no integration references (by client id or app
/// id): the apps `connect` retires as orphans and `disconnect` removes.
async fn unreferenced_apps(
    okta: &OktaClient,
    label: &str,
    referenced_client_ids: &[String],
) -> Result<Vec<String>, Failure> {
    let apps = okta.apps_with_label(label).await?;
    Ok(apps
        .into_iter()
        .filter(|app| app.name == SERVICE_APP_NAME)
        .filter(|app| {
            !referenced_client_ids
                .iter()
                .any(|cid| cid == app.client_id() || cid == &app.id)
        })
        .map(|app| app.id)
        .collect())
}

/// Checks the app Apono uses and adds a drift for each thing that is off. Returns the
/// app id when the app exists.
async fn check_okta_app(
    label: &str,
    okta: &OktaClient,
    client_id: &str,
    drifts: &mut Vec<String>,
) -> Result<Option<String>, Failure> {
    let Some(app) = okta.app_for_client_id(client_id, label).await? else {
        drifts.push(format!(
            "the Okta app Apono uses (client id {client_id}) does not exist"
        ));
        return Ok(None);
    };
    if !app.is_active() {
        drifts.push(format!(
            "the Okta app {} is {}, not ACTIVE",
            app.id, app.status
        ));
    }
    if !app.carries_key(&apono::public_jwk()) {
        drifts.push(format!(
            "the Okta app {} does not carry Apono's public key",
            app.id
        ));
    }
    let (grants, roles) =
        tokio::try_join!(okta.grants(&app.id), okta.client_roles(app.client_id()))
            .map_err(Failure::from)?;
    for scope in REQUIRED_SCOPES {
        if !grants.iter().any(|g| g.scope_id == scope) {
            drifts.push(format!("the Okta app {} is not granted {scope}", app.id));
        }
    }
    if roles.is_empty() {
        drifts.push(format!(
            "the Okta app {} has no admin role (Okta answers its reads with 403 E0000006)",
            app.id
        ));
    }
    // Least privilege: the shared custom role and resource set must be exactly right.
    if AdminRole::held_by(&roles) == AdminRole::LeastPrivilege {
        let objects = role::read_objects(okta).await?;
        drifts.extend(role::drifts(&objects, &okta.issuer()));
    }
    Ok(Some(app.id))
}

impl Summary for StatusReport {
    fn to_text(&self) -> String {
        StatusReport::to_text(self)
    }
    fn exit_code(&self) -> u8 {
        StatusReport::exit_code(self)
    }
}
