//! The plan: what `connect` will do, computed from what preflight observed.
//!
//! Pure data in, pure data out: no HTTP, no prompts. That keeps every decision (create
//! or rotate, which app is the previous one, which are orphans) testable on its own,
//! and lets `--dry-run` print exactly what a real run would do.

use std::fmt;

use crate::apono::Integration;
use crate::connect::config::ConfigTemplate;
use crate::okta::{App, REQUIRED_SCOPES};

/// What preflight saw on both sides. Read-only.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The login of the Okta token's owner.
    pub okta_login: String,
    /// `clientPrivilegesSetting`: new service apps become super admins.
    pub client_privileges: bool,
    /// Every app, active or not, whose label is ours.
    pub labelled_apps: Vec<App>,
    /// How Apono's Okta integration is configured.
    pub template: ConfigTemplate,
    /// Integrations of that type whose Okta domain is ours.
    pub integrations: Vec<Integration>,
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct PlanInputs {
    pub domain: String,
    pub app_label: String,
    pub admin_role: String,
    /// `--apono-integration-name`; defaults to [`default_integration_name`].
    pub integration_name: Option<String>,
    /// `--apono-integration-id`: which of several integrations is this org's.
    pub integration_id: Option<String>,
    pub keep_orphans: bool,
    pub keep_api_token: bool,
    /// False with `--no-wait`.
    pub wait: bool,
}

/// The kind of run, as `--json` reports it (`created`, `rotated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    /// Nothing exists: a new app and a new integration.
    Create,
    /// An integration exists: a new app (new client id), the integration moved to it,
    /// the previous app retired.
    Rotate,
}

impl PlanKind {
    /// The word `--json` uses once the plan is carried out.
    pub fn result_word(self) -> &'static str {
        match self {
            PlanKind::Create => "created",
            PlanKind::Rotate => "rotated",
        }
    }
}

/// Why an app is retired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetireReason {
    /// The app Apono used before this rotation.
    Previous,
    /// An app with our label that Apono does not reference.
    Orphan,
}

/// One step of the plan, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    CreateApp {
        label: String,
    },
    GrantScopes {
        scopes: Vec<String>,
    },
    AssignRole {
        role: String,
    },
    CreateIntegration {
        name: String,
        integration_type: String,
    },
    UpdateIntegration {
        id: String,
        name: String,
    },
    WaitForActive,
    RetireApp {
        app_id: String,
        reason: RetireReason,
    },
    RevokeToken,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::CreateApp { label } => write!(
                f,
                "create the Okta service app \"{label}\" carrying Apono's public key"
            ),
            Step::GrantScopes { scopes } => write!(f, "grant it {}", scopes.join(" and ")),
            Step::AssignRole { role } => write!(f, "assign it the admin role {role}"),
            Step::CreateIntegration {
                name,
                integration_type,
            } => write!(
                f,
                "create the Apono integration \"{name}\" (type {integration_type})"
            ),
            Step::UpdateIntegration { id, name } => write!(
                f,
                "point the Apono integration \"{name}\" ({id}) at the new app"
            ),
            Step::WaitForActive => f.write_str("wait for Apono to report the integration Active"),
            Step::RetireApp {
                app_id,
                reason: RetireReason::Previous,
            } => write!(f, "deactivate and delete the previous app {app_id}"),
            Step::RetireApp {
                app_id,
                reason: RetireReason::Orphan,
            } => write!(
                f,
                "deactivate and delete the orphaned app {app_id} (same label, not used by Apono)"
            ),
            Step::RevokeToken => f.write_str("revoke the Okta API token used for this run"),
        }
    }
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub kind: PlanKind,
    pub steps: Vec<Step>,
    /// The integration this run updates (rotate).
    pub existing_integration: Option<Integration>,
    /// Orphans left alone because of `--keep-orphans`.
    pub kept_orphans: Vec<String>,
    /// Things the user should know before confirming.
    pub warnings: Vec<String>,
}

impl Plan {
    /// Whether the plan writes anything at all.
    pub fn writes(&self) -> bool {
        !self.steps.is_empty()
    }
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("Apono has {} integrations for {domain}: {}", .found.len(), .found.join(", "))]
    SeveralIntegrations { domain: String, found: Vec<String> },
    #[error("--apono-integration-id {id} is not an Okta integration for {domain} (found: {})", if .found.is_empty() { "none".to_string() } else { .found.join(", ") })]
    UnknownIntegration {
        id: String,
        domain: String,
        found: Vec<String>,
    },
}

/// The default Apono integration name for a domain.
pub fn default_integration_name(domain: &str) -> String {
    format!("Okta {domain}")
}

/// Computes the plan.
pub fn plan(observed: &Observed, inputs: &PlanInputs) -> Result<Plan, PlanError> {
    let existing = pick_integration(observed, inputs)?;
    let mut warnings = Vec::new();
    if observed.client_privileges {
        warnings.push(
            "the Okta org setting clientPrivilegesSetting is on: Okta makes every new service app a super admin once it is granted scopes, so this app will be one; turn the setting off (Security > API > Client privileges) unless that is intended"
                .to_string(),
        );
    }

    let previous_client_id = existing
        .as_ref()
        .and_then(|i| observed.template.client_id_of(&i.integration_config))
        .map(str::to_string);
    let previous_app = previous_client_id.as_deref().and_then(|cid| {
        observed
            .labelled_apps
            .iter()
            .find(|a| a.client_id() == cid || a.id == cid)
    });
    if let (Some(cid), None) = (&previous_client_id, previous_app) {
        warnings.push(format!(
            "the app Apono uses now (client id {cid}) has no label \"{}\"; it is left alone, delete it yourself if it is no longer needed",
            inputs.app_label
        ));
    }
    let orphans: Vec<String> = observed
        .labelled_apps
        .iter()
        .filter(|a| previous_app.is_none_or(|p| p.id != a.id))
        .map(|a| a.id.clone())
        .collect();

    let mut steps = vec![
        Step::CreateApp {
            label: inputs.app_label.clone(),
        },
        Step::GrantScopes {
            scopes: REQUIRED_SCOPES.iter().map(|s| s.to_string()).collect(),
        },
        Step::AssignRole {
            role: inputs.admin_role.clone(),
        },
    ];
    let kind = match &existing {
        Some(integration) => {
            steps.push(Step::UpdateIntegration {
                id: integration.id.clone(),
                name: integration.name.clone(),
            });
            PlanKind::Rotate
        }
        None => {
            steps.push(Step::CreateIntegration {
                name: inputs
                    .integration_name
                    .clone()
                    .unwrap_or_else(|| default_integration_name(&inputs.domain)),
                integration_type: observed.template.integration_type.clone(),
            });
            PlanKind::Create
        }
    };

    let mut kept_orphans = Vec::new();
    if inputs.wait {
        steps.push(Step::WaitForActive);
        if let Some(app) = previous_app {
            steps.push(Step::RetireApp {
                app_id: app.id.clone(),
                reason: RetireReason::Previous,
            });
        }
        if inputs.keep_orphans {
            kept_orphans = orphans;
        } else {
            steps.extend(orphans.into_iter().map(|app_id| Step::RetireApp {
                app_id,
                reason: RetireReason::Orphan,
            }));
        }
        if !inputs.keep_api_token {
            steps.push(Step::RevokeToken);
        }
    } else {
        warnings.push(
            "--no-wait: Apono has not confirmed the integration works, so no app is retired and the Okta API token is not revoked; re-run without --no-wait to finish"
                .to_string(),
        );
        kept_orphans = orphans;
    }
    if inputs.keep_api_token && inputs.wait {
        warnings.push(
            "--keep-api-token: the Okta API token stays valid; revoke it in the Okta admin console (Security > API > Tokens) when you are done"
                .to_string(),
        );
    }
    Ok(Plan {
        kind,
        steps,
        existing_integration: existing,
        kept_orphans,
        warnings,
    })
}

fn pick_integration(
    observed: &Observed,
    inputs: &PlanInputs,
) -> Result<Option<Integration>, PlanError> {
    let describe = |i: &Integration| format!("{} (\"{}\", {})", i.id, i.name, i.status);
    let found: Vec<String> = observed.integrations.iter().map(describe).collect();
    if let Some(id) = &inputs.integration_id {
        return match observed.integrations.iter().find(|i| &i.id == id) {
            Some(integration) => Ok(Some(integration.clone())),
            None => Err(PlanError::UnknownIntegration {
                id: id.clone(),
                domain: inputs.domain.clone(),
                found,
            }),
        };
    }
    match observed.integrations.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(PlanError::SeveralIntegrations {
            domain: inputs.domain.clone(),
            found,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::config::{ConfigInputs, fallback_template};

    fn app(id: &str) -> App {
        serde_json::from_value(
            serde_json::json!({"id": id, "label": "Apono Integration", "status": "ACTIVE"}),
        )
        .unwrap()
    }

    fn observed(apps: Vec<App>, integrations: Vec<Integration>) -> Observed {
        Observed {
            okta_login: "admin@example.com".into(),
            client_privileges: false,
            labelled_apps: apps,
            template: fallback_template(&ConfigInputs {
                domain: "example.okta.com".into(),
                ..ConfigInputs::default()
            }),
            integrations,
        }
    }

    fn integration(id: &str, client_id: &str) -> Integration {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": "Okta", "type": "okta", "status": "Active",
            "integration_config": {"domain": "example.okta.com", "client_id": client_id}
        }))
        .unwrap()
    }

    fn inputs() -> PlanInputs {
        PlanInputs {
            domain: "example.okta.com".into(),
            app_label: "Apono Integration".into(),
            admin_role: "READ_ONLY_ADMIN".into(),
            integration_name: None,
            integration_id: None,
            keep_orphans: false,
            keep_api_token: false,
            wait: true,
        }
    }

    #[test]
    fn fresh_org_is_a_create() {
        let plan = plan(&observed(vec![], vec![]), &inputs()).unwrap();
        assert_eq!(plan.kind, PlanKind::Create);
        assert_eq!(
            plan.steps,
            vec![
                Step::CreateApp {
                    label: "Apono Integration".into()
                },
                Step::GrantScopes {
                    scopes: vec!["okta.groups.read".into(), "okta.users.read".into()]
                },
                Step::AssignRole {
                    role: "READ_ONLY_ADMIN".into()
                },
                Step::CreateIntegration {
                    name: "Okta example.okta.com".into(),
                    integration_type: "okta".into()
                },
                Step::WaitForActive,
                Step::RevokeToken,
            ]
        );
    }

    #[test]
    fn existing_integration_is_a_rotation_that_retires_previous_and_orphans() {
        let seen = observed(
            vec![app("0oaOLD"), app("0oaORPHAN")],
            vec![integration("i1", "0oaOLD")],
        );
        let plan = plan(&seen, &inputs()).unwrap();
        assert_eq!(plan.kind, PlanKind::Rotate);
        assert!(plan.steps.contains(&Step::UpdateIntegration {
            id: "i1".into(),
            name: "Okta".into()
        }));
        let retired: Vec<_> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::RetireApp { app_id, reason } => Some((app_id.as_str(), *reason)),
                _ => None,
            })
            .collect();
        assert_eq!(
            retired,
            vec![
                ("0oaOLD", RetireReason::Previous),
                ("0oaORPHAN", RetireReason::Orphan)
            ]
        );
    }

    #[test]
    fn keep_orphans_and_no_wait_retire_nothing() {
        let seen = observed(vec![app("0oaORPHAN")], vec![]);
        let mut keep = inputs();
        keep.keep_orphans = true;
        let plan_keep = plan(&seen, &keep).unwrap();
        assert_eq!(plan_keep.kept_orphans, vec!["0oaORPHAN".to_string()]);
        assert!(
            !plan_keep
                .steps
                .iter()
                .any(|s| matches!(s, Step::RetireApp { .. }))
        );

        let mut no_wait = inputs();
        no_wait.wait = false;
        let plan_no_wait = plan(&seen, &no_wait).unwrap();
        assert!(!plan_no_wait.steps.contains(&Step::RevokeToken));
        assert!(
            !plan_no_wait
                .steps
                .iter()
                .any(|s| matches!(s, Step::RetireApp { .. }))
        );
    }

    #[test]
    fn several_integrations_need_an_id() {
        let seen = observed(vec![], vec![integration("i1", "a"), integration("i2", "b")]);
        assert!(matches!(
            plan(&seen, &inputs()),
            Err(PlanError::SeveralIntegrations { .. })
        ));
        let mut pick = inputs();
        pick.integration_id = Some("i2".into());
        assert_eq!(
            plan(&seen, &pick).unwrap().existing_integration.unwrap().id,
            "i2"
        );
        pick.integration_id = Some("nope".into());
        assert!(matches!(
            plan(&seen, &pick),
            Err(PlanError::UnknownIntegration { .. })
        ));
    }
}
