//! `apono-okta status`: read-only health of both sides (DESIGN.md §4).
//!
//! Observe, then judge: [`observe`] reads what it needs (the Apono token alone shows
//! the integration; with an Okta token, never prompted, also the app the integration
//! uses, its key, grants and role assignments, and our apps that nothing uses), and
//! [`judge`] decides in pure code, with the org rules of [`crate::org`], what is healthy
//! and names every drift: privileges beyond the two grants and the one role included. It
//! also says how much the app can read (least privilege, or a standard role that reads
//! the whole org). Nothing is written, and the Okta token is not revoked.

use serde::Serialize;

use crate::apono::{self, AponoClient, Integration, IntegrationStatus};
use crate::cli::StatusArgs;
use crate::commands::{Context, Summary};
use crate::error::{ExitKind, Failure};
use crate::okta::{App, Grant, OktaClient, RoleAssignment};
use crate::org::config::{ConfigInputs, ConfigTemplate};
use crate::org::observe::{self, apono_integrations};
use crate::org::privileges::{self, Excess};
use crate::org::role::{self, AdminRole, LeastPrivilegeObjects};
use crate::org::rules::{self, PickError, pick_org_integration};
use crate::settings::{OktaTokenNeed, Purpose, ServiceSettings};
use crate::ui::{Ui, Warnings};

/// What `status` found.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusReport {
    pub(crate) healthy: bool,
    /// Whether Apono has an integration for this org's domain.
    pub(crate) connected: bool,
    pub(crate) okta: OktaStatus,
    pub(crate) apono: AponoStatus,
    /// Every way the two sides differ from what `connect` sets up, one sentence each.
    pub(crate) drifts: Vec<String>,
    /// The privileges Apono's app holds beyond the two grants and the one role (each is
    /// also a drift).
    pub(crate) excess_privileges: Vec<Excess>,
    /// Service apps with our label whose id or client id no integration of the type (of
    /// any org) uses. Empty when the Okta side was not checked. Not a drift.
    pub(crate) unreferenced_app_ids: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct OktaStatus {
    pub(crate) domain: String,
    pub(crate) app_id: Option<String>,
    pub(crate) client_id: Option<String>,
    /// The role the app's client holds: the standard type, or
    /// `{"custom": ..., "resource_set": ...}`; `null` when not checked or none.
    pub(crate) admin_role: Option<AdminRole>,
    /// False when no Okta token was given: the Okta side was not looked at.
    pub(crate) checked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AponoStatus {
    pub(crate) integration_id: Option<String>,
    pub(crate) name: Option<String>,
    #[serde(rename = "type")]
    pub(crate) integration_type: String,
    pub(crate) status: Option<IntegrationStatus>,
}

/// Everything `status` read, for [`judge`].
#[derive(Debug)]
pub(crate) struct StatusObservation {
    /// The org URL, `https://example.okta.com` (what the resource set names).
    pub(crate) org_url: String,
    pub(crate) template: ConfigTemplate,
    /// This org's integration, or why none could be picked.
    pub(crate) integration: Result<Option<Integration>, PickError>,
    /// What Apono says about an integration that is not Active.
    pub(crate) integration_details: Option<String>,
    /// The Okta side, when an Okta token was given.
    pub(crate) okta: Option<OktaObservation>,
}

/// The Okta side as `status` read it.
#[derive(Debug, Default)]
pub(crate) struct OktaObservation {
    /// The app the integration uses (`None`: no client id, or no such app).
    pub(crate) app: Option<AppObservation>,
    /// Our apps that no integration uses.
    pub(crate) unreferenced_app_ids: Vec<String>,
}

/// The app Apono uses, with what it holds.
#[derive(Debug)]
pub(crate) struct AppObservation {
    pub(crate) app: App,
    pub(crate) carries_key: bool,
    pub(crate) grants: Vec<Grant>,
    pub(crate) roles: Vec<RoleAssignment>,
    /// The custom role and resource set, when the app holds our custom role.
    pub(crate) least_privilege: Option<LeastPrivilegeObjects>,
}

impl Summary for StatusReport {
    fn to_text(&self) -> String {
        if !self.connected && self.drifts.len() == 1 {
            return format!(
                "{}: not connected to Apono (no Okta integration for this domain)\n  connect it with `apono-okta connect --okta-url https://{}`",
                self.okta.domain, self.okta.domain
            );
        }
        let health = if self.healthy {
            "healthy"
        } else {
            "NOT healthy"
        };
        let mut lines = vec![format!("{}: {health}", self.okta.domain)];
        lines.push(format!(
            "  Apono integration  {} ({}, type {}): {}",
            self.apono
                .name
                .as_deref()
                .map_or_else(|| "-".to_string(), crate::output::server_text),
            self.apono.integration_id.as_deref().unwrap_or("none"),
            self.apono.integration_type,
            self.apono
                .status
                .as_ref()
                .map_or_else(|| "-".to_string(), ToString::to_string)
        ));
        lines.extend(self.okta_lines());
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

    /// 0 when healthy, 5 when not.
    fn exit_code(&self) -> u8 {
        if self.healthy {
            0
        } else {
            ExitKind::Unhealthy.code()
        }
    }
}

impl StatusReport {
    /// The app line, and how much it can read.
    fn okta_lines(&self) -> Vec<String> {
        if !self.okta.checked {
            return vec!["  Okta app           not checked (set OKTA_API_TOKEN or pass --okta-api-token-file to check it)".to_string()];
        }
        let mut lines = vec![format!(
            "  Okta app           {} (client id {})",
            self.okta.app_id.as_deref().unwrap_or("-"),
            self.okta.client_id.as_deref().unwrap_or("-")
        )];
        match &self.okta.admin_role {
            Some(AdminRole::LeastPrivilege) => lines.push(
                "  admin role         least privilege: reads users and groups, nothing else"
                    .to_string(),
            ),
            Some(AdminRole::Standard(role)) => {
                lines.push(format!(
                    "  admin role         {role}, a standard role that reads the whole org (apps, policies, logs)"
                ));
                lines.push("  `apono-okta connect --least-privilege` moves it to a role that reads users and groups only".to_string());
            }
            None => {}
        }
        lines
    }
}

/// Runs `status`: resolves its settings, observes, judges.
pub(crate) fn run(args: &StatusArgs, cx: &Context) -> Result<StatusReport, Failure> {
    let service =
        super::resolve_service(&args.service, OktaTokenNeed::IfGiven, Purpose::Status, cx)?;
    cx.block_on(status(&service, &cx.ui))
        .map_err(|f| service.apono_token_source.explain(f))
}

/// Observe, then judge.
async fn status(service: &ServiceSettings, ui: &Ui) -> Result<StatusReport, Failure> {
    let warnings = Warnings::already_shown(service.warnings.clone());
    let apono = super::apono_client(service)?;
    let okta = super::okta_client(service)?;
    if okta.is_none() {
        ui.info("Checking Apono only: give an Okta API token (OKTA_API_TOKEN or --okta-api-token-file) to check the Okta app too.");
    }
    let observation = observe(service, &apono, okta.as_ref(), ui).await?;
    let mut report = judge(&observation, &service.domain);
    for warning in &report.warnings {
        warnings.warn(ui, warning.as_str());
    }
    report.warnings = warnings.list();
    Ok(report)
}

/// Reads what [`judge`] needs. Several integrations for the org are a state to judge,
/// not an error; a service that answers with an error stops the command.
pub(crate) async fn observe(
    service: &ServiceSettings,
    apono: &AponoClient,
    okta: Option<&OktaClient>,
    ui: &Ui,
) -> Result<StatusObservation, Failure> {
    // Every integration of the type is listed once: this org's is picked from them, and
    // any org's counts as a reference to an app.
    let config = ConfigInputs {
        domain: service.domain.clone(),
        ..ConfigInputs::default()
    };
    let side = apono_integrations(apono, service.integration_type.as_deref(), &config).await?;
    let integration = match pick_org_integration(
        &side.integrations,
        service.integration_id.as_deref(),
        &service.domain,
    ) {
        several @ Err(PickError::SeveralIntegrations { .. }) => several,
        other => Ok(observe::org_integration_picked(other)?),
    };
    let picked = integration.as_ref().ok().and_then(Option::as_ref);
    let integration_details = match picked {
        Some(i) if i.status != IntegrationStatus::Active => {
            apono.integration_details(&i.id).await.ok().flatten()
        }
        _ => None,
    };
    let client_id = picked.and_then(|i| side.template.client_id_of(&i.integration_config));
    let okta_side = match okta {
        Some(okta) => {
            let app = match client_id {
                Some(client_id) => observe_app(okta, &service.app_label, client_id).await?,
                None => None,
            };
            let apps = okta.apps_with_label(&service.app_label).await?;
            // Said once the check has run (with the first Okta read).
            observe::show_confirmed_org(okta, ui);
            let unreferenced = rules::unreferenced(
                &apps,
                &service.app_label,
                &side.referenced_client_ids,
                None,
                okta.server_now(),
            );
            let ids = unreferenced.old.iter().chain(&unreferenced.young);
            Some(OktaObservation {
                app,
                unreferenced_app_ids: ids.map(|app| app.id.clone()).collect(),
            })
        }
        None => None,
    };
    Ok(StatusObservation {
        org_url: okta.map(OktaClient::issuer).unwrap_or_default(),
        template: side.template,
        integration,
        integration_details,
        okta: okta_side,
    })
}

/// The app Apono uses, with its grants and role assignments (and the custom role and
/// resource set when it holds ours); `None` when there is no such app.
async fn observe_app(
    okta: &OktaClient,
    label: &str,
    client_id: &str,
) -> Result<Option<AppObservation>, Failure> {
    let Some(app) = okta.app_for_client_id(client_id, label).await? else {
        return Ok(None);
    };
    let (grants, roles) =
        tokio::try_join!(okta.grants(&app.id), okta.client_roles(app.client_id()))?;
    let least_privilege = match AdminRole::held_by(&roles) {
        AdminRole::LeastPrivilege => Some(role::read_objects(okta).await?),
        AdminRole::Standard(_) => None,
    };
    Ok(Some(AppObservation {
        carries_key: app.carries_key(&apono::public_jwk()),
        app,
        grants,
        roles,
        least_privilege,
    }))
}

/// The judgement, pure: healthy or not, and every drift, from what was observed.
pub(crate) fn judge(seen: &StatusObservation, domain: &str) -> StatusReport {
    let mut drifts = Vec::new();
    let mut warnings = Vec::new();
    let integration = match &seen.integration {
        Ok(picked) => picked.as_ref(),
        Err(several) => {
            drifts.push(format!(
                "{several}; one org should have one (pick one with --apono-integration-id ID, and delete the others in the Apono web app)"
            ));
            None
        }
    };
    let details = seen
        .integration_details
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    match integration {
        None if seen.integration.is_ok() => drifts.push(format!(
            "Apono has no Okta integration for {domain}; connect it with `apono-okta connect`"
        )),
        Some(i) if i.status == IntegrationStatus::Warning => warnings.push(format!(
            "Apono reports the integration with status Warning{details}"
        )),
        Some(i) if i.status != IntegrationStatus::Active => drifts.push(format!(
            "Apono reports the integration with status {}{details}",
            i.status
        )),
        _ => {}
    }
    let client_id = integration.and_then(|i| seen.template.client_id_of(&i.integration_config));
    if integration.is_some() && client_id.is_none() {
        drifts.push(format!(
            "the integration's config has no client id (key \"{}\")",
            seen.template.client_id_key
        ));
    }
    let app = seen.okta.as_ref().and_then(|okta| okta.app.as_ref());
    let mut excess = Vec::new();
    if let (Some(okta), Some(client_id)) = (&seen.okta, client_id) {
        match &okta.app {
            None => drifts.push(format!(
                "the Okta app Apono uses (client id {client_id}) does not exist"
            )),
            Some(app) => excess = judge_app(app, &seen.org_url, &mut drifts),
        }
    }
    StatusReport {
        healthy: drifts.is_empty(),
        connected: integration.is_some() || seen.integration.is_err(),
        okta: OktaStatus {
            domain: domain.to_string(),
            app_id: app.map(|a| a.app.id.clone()),
            client_id: client_id.map(str::to_string),
            admin_role: app
                .filter(|a| !a.roles.is_empty())
                .map(|a| AdminRole::held_by(&a.roles)),
            checked: seen.okta.is_some(),
        },
        apono: AponoStatus {
            integration_id: integration.map(|i| i.id.clone()),
            name: integration.map(|i| i.name.clone()),
            integration_type: seen.template.integration_type.clone(),
            status: integration.map(|i| i.status.clone()),
        },
        drifts,
        excess_privileges: excess,
        unreferenced_app_ids: seen
            .okta
            .as_ref()
            .map(|okta| okta.unreferenced_app_ids.clone())
            .unwrap_or_default(),
        warnings,
    }
}

/// The drifts of the app Apono uses: state, key, the two grants, the one role (and the
/// custom role and resource set behind it), and every privilege beyond them.
fn judge_app(seen: &AppObservation, org_url: &str, drifts: &mut Vec<String>) -> Vec<Excess> {
    let id = &seen.app.id;
    if !seen.app.is_active() {
        drifts.push(format!(
            "the Okta app {id} is {}, not ACTIVE",
            seen.app.status
        ));
    }
    if !seen.carries_key {
        drifts.push(format!(
            "the Okta app {id} does not carry Apono's public key"
        ));
    }
    for scope in privileges::missing_scopes(&seen.grants) {
        drifts.push(format!("the Okta app {id} is not granted {scope}"));
    }
    let wanted = AdminRole::held_by(&seen.roles);
    let ours = privileges::Ours::of(seen.least_privilege.as_ref());
    if seen.roles.is_empty() {
        drifts.push(format!(
            "the Okta app {id} has no admin role (Okta answers its reads with 403 E0000006)"
        ));
    } else if privileges::the_one(&seen.roles, &wanted, ours).is_none() {
        drifts.push(format!("the Okta app {id} does not hold {wanted}"));
    }
    if let Some(objects) = &seen.least_privilege {
        drifts.extend(role::drifts(objects, org_url));
    }
    let excess = privileges::excess(&seen.grants, &seen.roles, &wanted, ours);
    drifts.extend(excess.iter().map(|e| {
        format!(
            "the Okta app {id} holds {e}, beyond the two grants and the one role Apono needs; `apono-okta connect --reuse-app` removes it"
        )
    }));
    excess
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::config::fallback_template;
    use serde_json::json;

    fn integration(client_id: &str, status: &str) -> Integration {
        serde_json::from_value(json!({
            "id": "int1", "name": "Okta example.okta.com", "type": "okta", "status": status,
            "integration_config": {"domain": "example.okta.com", "client_id": client_id},
        }))
        .unwrap()
    }

    fn app_seen(grants: &[&str], roles: &[&str]) -> AppObservation {
        let app: App = serde_json::from_value(json!({
            "id": "0oa1", "name": "oidc_client", "label": "Apono Integration", "status": "ACTIVE",
            "credentials": {"oauthClient": {"client_id": "0oa1"}},
        }))
        .unwrap();
        let grant = |(n, scope): (usize, &&str)| {
            serde_json::from_value(json!({"id": format!("oag{n}"), "scopeId": scope})).unwrap()
        };
        let role = |(n, role): (usize, &&str)| {
            serde_json::from_value(json!({"id": format!("irb{n}"), "type": role})).unwrap()
        };
        AppObservation {
            app,
            carries_key: true,
            grants: grants.iter().enumerate().map(grant).collect(),
            roles: roles.iter().enumerate().map(role).collect(),
            least_privilege: None,
        }
    }

    fn seen(integration: Option<Integration>, app: Option<AppObservation>) -> StatusObservation {
        StatusObservation {
            org_url: "https://example.okta.com".into(),
            template: fallback_template(&ConfigInputs {
                domain: "example.okta.com".into(),
                ..ConfigInputs::default()
            }),
            integration: Ok(integration),
            integration_details: None,
            okta: Some(OktaObservation {
                app,
                unreferenced_app_ids: Vec::new(),
            }),
        }
    }

    const SCOPES: [&str; 2] = ["okta.users.read", "okta.groups.read"];

    #[test]
    fn exactly_right_is_healthy_and_says_the_role_reads_the_whole_org() {
        let app = app_seen(&SCOPES, &["READ_ONLY_ADMIN"]);
        let report = judge(
            &seen(Some(integration("0oa1", "Active")), Some(app)),
            "example.okta.com",
        );
        assert!(report.healthy, "{:?}", report.drifts);
        assert_eq!(report.exit_code(), 0);
        let text = report.to_text();
        assert!(text.contains("reads the whole org"), "{text}");
        assert!(text.contains("connect --least-privilege"), "{text}");
    }

    #[test]
    fn a_widened_app_names_each_added_privilege() {
        let app = app_seen(
            &["okta.users.read", "okta.groups.read", "okta.apps.read"],
            &["READ_ONLY_ADMIN", "SUPER_ADMIN"],
        );
        let report = judge(
            &seen(Some(integration("0oa1", "Active")), Some(app)),
            "example.okta.com",
        );
        assert!(!report.healthy);
        assert_eq!(report.exit_code(), 5);
        assert_eq!(report.excess_privileges.len(), 2);
        let drifts = report.drifts.join("\n");
        assert!(
            drifts.contains("holds the grant of okta.apps.read (oag2)"),
            "{drifts}"
        );
        assert!(
            drifts.contains("holds the role SUPER_ADMIN (irb1)"),
            "{drifts}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["excess_privileges"][1]["kind"], "role");
        assert_eq!(json["excess_privileges"][1]["role"], "SUPER_ADMIN");
    }

    #[test]
    fn a_missing_grant_and_no_role_are_drifts() {
        let app = app_seen(&["okta.users.read"], &[]);
        let report = judge(
            &seen(Some(integration("0oa1", "Active")), Some(app)),
            "example.okta.com",
        );
        let drifts = report.drifts.join("\n");
        assert!(
            drifts.contains("is not granted okta.groups.read"),
            "{drifts}"
        );
        assert!(drifts.contains("has no admin role"), "{drifts}");
    }

    #[test]
    fn no_integration_is_not_connected() {
        let report = judge(&seen(None, None), "example.okta.com");
        assert!(!report.connected && !report.healthy);
        let text = report.to_text();
        assert!(
            text.starts_with("example.okta.com: not connected to Apono"),
            "{text}"
        );
        assert!(text.contains("apono-okta connect"), "{text}");
    }

    #[test]
    fn an_app_that_is_gone_and_an_unhealthy_integration_are_drifts() {
        let mut observation = seen(Some(integration("0oa9", "Error")), None);
        observation.integration_details = Some("cannot read users".into());
        let report = judge(&observation, "example.okta.com");
        let drifts = report.drifts.join("\n");
        assert!(
            drifts.contains("status Error: cannot read users"),
            "{drifts}"
        );
        assert!(
            drifts.contains("(client id 0oa9) does not exist"),
            "{drifts}"
        );
    }

    #[test]
    fn warning_is_healthy_with_a_warning() {
        let app = app_seen(&SCOPES, &["READ_ONLY_ADMIN"]);
        let report = judge(
            &seen(Some(integration("0oa1", "Warning")), Some(app)),
            "example.okta.com",
        );
        assert!(report.healthy);
        assert_eq!(report.warnings.len(), 1);
    }
}
