//! The plan: what `connect` will do, computed from what preflight observed.
//!
//! Pure data in, pure data out: no HTTP, no prompts. That keeps every decision (create
//! or rotate, which app is the previous one, which are orphans) testable on its own,
//! and lets `--dry-run` print exactly what a real run would do.

use std::fmt;

use crate::apono::Integration;
use crate::okta::{App, REQUIRED_SCOPES, RoleAssignment};
use crate::org::privileges::{self, Excess};
use crate::org::role::{self, AdminRole, ObjectPlan};
use crate::org::rules::{self, PickError, pick_org_integration};
use crate::org::{Observed, ReusedApp};

/// What the user asked for.
#[derive(Debug, Clone)]
pub(crate) struct PlanInputs {
    pub(crate) domain: String,
    /// The org's origin, `https://example.okta.com` (what a resource set names).
    pub(crate) org_url: String,
    pub(crate) app_label: String,
    /// The role the app must hold, resolved (a re-run keeps the kind the app has).
    pub(crate) admin_role: AdminRole,
    /// `--apono-integration-name`; defaults to [`default_integration_name`].
    pub(crate) integration_name: Option<String>,
    /// `--apono-integration-id`: which of several integrations is this org's.
    pub(crate) integration_id: Option<String>,
    pub(crate) keep_orphans: bool,
    pub(crate) keep_api_token: bool,
    /// False with `--no-wait`.
    pub(crate) wait: bool,
}

/// The kind of run, as `--json` reports it (`created`, `rotated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlanKind {
    /// Nothing exists: a new app and a new integration.
    Create,
    /// An integration exists: a new app (new client id), the integration moved to it,
    /// the previous app retired.
    Rotate,
    /// `--reuse-app`: the existing app and integration converged in place.
    Repair,
    /// `--reuse-app` found nothing to converge.
    Unchanged,
}

impl PlanKind {
    /// What `--json` reports once the plan is carried out.
    pub(crate) fn outcome(self) -> Outcome {
        match self {
            PlanKind::Create => Outcome::Created,
            PlanKind::Rotate => Outcome::Rotated,
            PlanKind::Repair => Outcome::Repaired,
            PlanKind::Unchanged => Outcome::Unchanged,
        }
    }
}

/// A `connect`'s `result` in `--json` (`"created"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Outcome {
    Created,
    Rotated,
    Repaired,
    Unchanged,
    /// `--dry-run`: nothing was written.
    Planned,
}

/// Why an app is retired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetireReason {
    /// The app Apono used before this rotation.
    Previous,
    /// An app with our label that Apono does not reference.
    Orphan,
}

/// One step of the plan, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    CreateApp {
        label: String,
    },
    ActivateApp {
        app_id: String,
    },
    AddKey {
        app_id: String,
    },
    GrantScopes {
        scopes: Vec<String>,
    },
    /// Least privilege: make the shared custom role and resource set what they must be.
    EnsureLeastPrivilege {
        role: ObjectPlan,
        resource_set: ObjectPlan,
    },
    AssignRole {
        role: AdminRole,
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
    /// After a switch of role kind in place: the old assignments go once Apono works
    /// with the new one.
    RemoveExcess {
        app_id: String,
        assignments: Vec<(String, String)>,
        grants: Vec<(String, String)>,
    },
    RetireApp {
        app_id: String,
        reason: RetireReason,
    },
    RevokeToken,
}

impl Step {
    /// Whether the step deletes or takes away something that exists: an app, a role
    /// assignment, a permission or resource of the shared least-privilege objects.
    /// A plan with such a step asks "[y/N]".
    pub(crate) fn takes_something_away(&self) -> bool {
        let removes = |plan: &ObjectPlan| matches!(plan, ObjectPlan::Converge { remove, .. } if !remove.is_empty());
        match self {
            Step::RetireApp { .. } | Step::RemoveExcess { .. } => true,
            Step::EnsureLeastPrivilege { role, resource_set } => {
                removes(role) || removes(resource_set)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::CreateApp { label } => write!(
                f,
                "create the Okta service app \"{label}\" carrying Apono's public key"
            ),
            Step::ActivateApp { app_id } => write!(f, "activate the app {app_id}"),
            Step::AddKey { app_id } => write!(f, "add Apono's public key to the app {app_id}"),
            Step::GrantScopes { scopes } => write!(f, "grant it {}", scopes.join(" and ")),
            Step::EnsureLeastPrivilege { role, resource_set } => {
                let role = describe_object(
                    role,
                    "custom role",
                    role::CUSTOM_ROLE_LABEL,
                    "okta.users.read and okta.groups.read, nothing else",
                );
                let set = describe_object(
                    resource_set,
                    "resource set",
                    role::RESOURCE_SET_LABEL,
                    "the org's users and groups",
                );
                write!(f, "{role}; {set}")
            }
            Step::AssignRole { role } => write!(f, "assign it {}", role.with_article()),
            Step::RemoveExcess {
                app_id,
                assignments,
                grants,
            } => {
                let roles = assignments
                    .iter()
                    .map(|(_, what)| format!("the role {what}"));
                let grants = grants
                    .iter()
                    .map(|(id, scope)| format!("the grant of {scope} ({id})"));
                let all: Vec<String> = roles.chain(grants).collect();
                write!(
                    f,
                    "then remove from the app {app_id} what Apono does not need: {}",
                    all.join(", ")
                )
            }
            Step::CreateIntegration {
                name,
                integration_type,
            } => write!(
                f,
                "create the Apono integration \"{name}\" (type {integration_type})"
            ),
            Step::UpdateIntegration { id, name } => write!(
                f,
                "point the Apono integration \"{name}\" ({id}) at the app and let it sync"
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

/// One object of least privilege in a step: created (holding `made`), used, or
/// repaired (what is added and removed).
fn describe_object(plan: &ObjectPlan, kind: &str, label: &str, made: &str) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            "nothing".to_string()
        } else {
            items.join(", ")
        }
    };
    match plan {
        ObjectPlan::Create => format!("create the {kind} \"{label}\" ({made})"),
        ObjectPlan::Keep { id } => format!("use the {kind} \"{label}\" ({id})"),
        ObjectPlan::Converge { id, add, remove } => format!(
            "repair the {kind} \"{label}\" ({id}): add {}, remove {}",
            list(add),
            list(remove)
        ),
    }
}

/// The whole plan, as data: what happens to each thing `connect` manages. Apply reads
/// it top to bottom; [`Plan::steps`] derives the numbered list that is printed.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) kind: PlanKind,
    /// Least privilege: what the shared custom role and resource set need.
    pub(crate) least_privilege: Option<LeastPrivilegePlan>,
    /// The app Apono will use.
    pub(crate) app: AppPlan,
    /// Scopes to grant the app (none when it has them).
    pub(crate) grants: Vec<String>,
    /// The role to assign the app (none when it holds it).
    pub(crate) role: Option<AdminRole>,
    /// What happens to the integration.
    pub(crate) integration: IntegrationPlan,
    /// Wait for Apono to report the integration healthy (the retirements, role
    /// removals and the revoke happen only after it did).
    pub(crate) wait_for_active: bool,
    /// After `Active`: the app's role assignments of the other kind (a switch in place).
    pub(crate) remove_excess: Option<RemoveExcess>,
    /// After `Active`: apps to deactivate and delete.
    pub(crate) retire: Vec<Retirement>,
    /// Last: revoke the Okta API token.
    pub(crate) revoke_token: bool,
    /// The integration this run updates or keeps (rotate, repair).
    pub(crate) existing_integration: Option<Integration>,
    /// Orphans left alone because of `--keep-orphans`.
    pub(crate) kept_orphans: Vec<String>,
    /// Unreferenced apps with our label created in the last [`YOUNG_APP_GRACE`]:
    /// another run may be about to use them, so they are left alone.
    pub(crate) young_apps: Vec<String>,
    /// Things the user should know before confirming.
    pub(crate) warnings: Vec<PlanWarning>,
}

/// The custom role and the resource set of least privilege, and what each needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LeastPrivilegePlan {
    pub(crate) role: ObjectPlan,
    pub(crate) resource_set: ObjectPlan,
}

/// The app Apono will use.
#[derive(Debug, Clone)]
pub(crate) enum AppPlan {
    /// A new app (create, rotate): it has no grants and no roles yet.
    Create { label: String },
    /// The existing app, converged in place (repair, unchanged).
    Reuse {
        app: App,
        activate: bool,
        add_key: bool,
    },
}

/// What happens to the integration.
#[derive(Debug, Clone)]
pub(crate) enum IntegrationPlan {
    Create {
        name: String,
        integration_type: String,
    },
    /// Point it at the app (and make Apono sync again); `previous` is as observed.
    Update { previous: Box<Integration> },
    /// It is right as it is.
    Keep,
}

/// Role assignments to remove from the app once Apono works with the new one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RemoveExcess {
    pub(crate) app_id: String,
    /// Role assignments beyond the one: (assignment id, what it is, for messages).
    pub(crate) assignments: Vec<(String, String)>,
    /// Grants beyond the two: (grant id, scope).
    pub(crate) grants: Vec<(String, String)>,
}

/// An app to deactivate and delete after `Active`, and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Retirement {
    pub(crate) app_id: String,
    pub(crate) reason: RetireReason,
}

/// What the user should know before confirming.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PlanWarning {
    /// `clientPrivilegesSetting` is on: the new app becomes a super admin.
    ClientPrivileges,
    /// The app Apono uses does not carry our label: it is left alone.
    UnlabelledPrevious { client_id: String, label: String },
    /// The previous app is also another integration's: it is kept.
    SharedPrevious { app_id: String },
    /// `--no-wait`: nothing is retired and the token is kept.
    NoWait,
    /// `--keep-api-token`.
    KeepApiToken,
}

impl fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanWarning::ClientPrivileges => f.write_str(
                "the Okta org setting clientPrivilegesSetting is on: Okta makes every new service app a super admin once it is granted scopes, so this app will be one; turn the setting off (Security > API > Client privileges) unless that is intended",
            ),
            PlanWarning::UnlabelledPrevious { client_id, label } => write!(
                f,
                "the app Apono uses now (client id {client_id}) has no label \"{label}\"; it is left alone, delete it yourself if it is no longer needed"
            ),
            PlanWarning::SharedPrevious { app_id } => write!(
                f,
                "the previous app {app_id} is also used by another Apono integration; it is kept"
            ),
            PlanWarning::NoWait => f.write_str(
                "--no-wait: Apono has not confirmed the integration works, so no app is retired and the Okta API token is not revoked; re-run without --no-wait to finish",
            ),
            PlanWarning::KeepApiToken => f.write_str(
                "--keep-api-token: the Okta API token stays valid; revoke it in the Okta admin console (Security > API > Tokens) when you are done",
            ),
        }
    }
}

impl Plan {
    /// The app this plan converges in place, if it reuses one.
    pub(crate) fn reused_app(&self) -> Option<&App> {
        match &self.app {
            AppPlan::Reuse { app, .. } => Some(app),
            AppPlan::Create { .. } => None,
        }
    }

    /// The numbered list that is printed (and that `--dry-run` shows), in the order
    /// apply carries it out.
    pub(crate) fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        if let Some(lp) = &self.least_privilege {
            steps.push(Step::EnsureLeastPrivilege {
                role: lp.role.clone(),
                resource_set: lp.resource_set.clone(),
            });
        }
        match &self.app {
            AppPlan::Create { label } => steps.push(Step::CreateApp {
                label: label.clone(),
            }),
            AppPlan::Reuse {
                app,
                activate,
                add_key,
            } => {
                if *activate {
                    steps.push(Step::ActivateApp {
                        app_id: app.id.clone(),
                    });
                }
                if *add_key {
                    steps.push(Step::AddKey {
                        app_id: app.id.clone(),
                    });
                }
            }
        }
        if !self.grants.is_empty() {
            steps.push(Step::GrantScopes {
                scopes: self.grants.clone(),
            });
        }
        if let Some(role) = &self.role {
            steps.push(Step::AssignRole { role: role.clone() });
        }
        match &self.integration {
            IntegrationPlan::Create {
                name,
                integration_type,
            } => steps.push(Step::CreateIntegration {
                name: name.clone(),
                integration_type: integration_type.clone(),
            }),
            IntegrationPlan::Update { previous } => steps.push(Step::UpdateIntegration {
                id: previous.id.clone(),
                name: previous.name.clone(),
            }),
            IntegrationPlan::Keep => {}
        }
        if self.wait_for_active {
            steps.push(Step::WaitForActive);
        }
        if let Some(excess) = &self.remove_excess {
            steps.push(Step::RemoveExcess {
                app_id: excess.app_id.clone(),
                assignments: excess.assignments.clone(),
                grants: excess.grants.clone(),
            });
        }
        steps.extend(self.retire.iter().map(|r| Step::RetireApp {
            app_id: r.app_id.clone(),
            reason: r.reason,
        }));
        if self.revoke_token {
            steps.push(Step::RevokeToken);
        }
        steps
    }

    /// Whether the plan deletes or takes away something that exists (it then asks
    /// "[y/N]").
    pub(crate) fn takes_something_away(&self) -> bool {
        self.steps().iter().any(Step::takes_something_away)
    }
}

/// The default Apono integration name for a domain.
pub(crate) fn default_integration_name(domain: &str) -> String {
    format!("Okta {domain}")
}

/// With `--reuse-app`, which app to converge in place: the one Apono uses, else the
/// only app with our label, else none (then the plan creates one).
pub(crate) fn reuse_target(
    observed: &Observed,
    inputs: &PlanInputs,
) -> Result<Option<String>, PickError> {
    let existing = pick_integration(observed, inputs)?;
    if let Some(app) = previous_app(observed, existing.as_ref()) {
        return Ok(Some(app.id.clone()));
    }
    match observed.labelled_apps.as_slice() {
        [] => Ok(None),
        [only] => Ok(Some(only.id.clone())),
        several => Err(PickError::AmbiguousReuse {
            label: inputs.app_label.clone(),
            found: several.iter().map(|a| a.id.clone()).collect(),
        }),
    }
}

/// The labelled app the integration points at, if any.
fn previous_app<'a>(observed: &'a Observed, integration: Option<&Integration>) -> Option<&'a App> {
    let client_id = observed
        .template
        .client_id_of(&integration?.integration_config)?;
    observed
        .labelled_apps
        .iter()
        .find(|a| a.client_id() == client_id || a.id == client_id)
}

/// Computes the plan.
pub(crate) fn plan(observed: &Observed, inputs: &PlanInputs) -> Result<Plan, PickError> {
    let existing = pick_integration(observed, inputs)?;
    let mut warnings = Vec::new();
    if observed.client_privileges == Some(true) {
        warnings.push(PlanWarning::ClientPrivileges);
    }
    let previous = previous_app(observed, existing.as_ref());
    let previous_client_id = existing
        .as_ref()
        .and_then(|i| observed.template.client_id_of(&i.integration_config));
    if let (Some(cid), None) = (previous_client_id, previous) {
        warnings.push(PlanWarning::UnlabelledPrevious {
            client_id: cid.to_string(),
            label: inputs.app_label.clone(),
        });
    }
    let kept_app = observed.reused_app.as_ref().map(|r| &r.app).or(previous);
    // An orphan is an app this tool (or the Terraform module) made, that nothing uses:
    // our label, the service app's name, and no integration's client id.
    let unreferenced = rules::unreferenced(
        &observed.labelled_apps,
        &inputs.app_label,
        &observed.referenced_client_ids,
        kept_app.map(|app| app.id.as_str()),
        observed.okta_now,
    );
    let ids = |apps: Vec<&App>| apps.into_iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    let orphans = ids(unreferenced.old);
    let mut plan = match &observed.reused_app {
        Some(reused) => repair_plan(reused, existing.as_ref(), observed, inputs),
        None => new_app_plan(observed, inputs, existing.as_ref(), previous, &mut warnings),
    };
    after_the_commit_point(&mut plan, inputs, existing.as_ref(), orphans, &mut warnings);
    plan.existing_integration = existing;
    plan.young_apps = ids(unreferenced.young);
    plan.warnings = warnings;
    Ok(plan)
}

/// Create or rotate: a new app with the two grants and the role, the integration
/// created or pointed at it, and the previous app retired unless another integration
/// uses it too.
fn new_app_plan(
    observed: &Observed,
    inputs: &PlanInputs,
    existing: Option<&Integration>,
    previous: Option<&App>,
    warnings: &mut Vec<PlanWarning>,
) -> Plan {
    // Another integration (another org's, or a second one for this org) may use the
    // same app: then it stays.
    let shared = previous.filter(|p| references(observed, p, 2));
    if let Some(app) = shared {
        warnings.push(PlanWarning::SharedPrevious {
            app_id: app.id.clone(),
        });
    }
    let retire_previous = previous.filter(|_| shared.is_none());
    let (kind, integration) = match existing {
        Some(i) => (
            PlanKind::Rotate,
            IntegrationPlan::Update {
                previous: Box::new(i.clone()),
            },
        ),
        None => (PlanKind::Create, new_integration(observed, inputs)),
    };
    Plan {
        kind,
        least_privilege: least_privilege_plan(observed, inputs, true),
        app: AppPlan::Create {
            label: inputs.app_label.clone(),
        },
        grants: REQUIRED_SCOPES.iter().map(|s| s.to_string()).collect(),
        role: Some(inputs.admin_role.clone()),
        integration,
        wait_for_active: false,
        remove_excess: None,
        retire: retire_previous
            .map(|app| Retirement {
                app_id: app.id.clone(),
                reason: RetireReason::Previous,
            })
            .into_iter()
            .collect(),
        revoke_token: false,
        existing_integration: None,
        kept_orphans: Vec::new(),
        young_apps: Vec::new(),
        warnings: Vec::new(),
    }
}

/// What happens once Apono reports the integration healthy: the wait, the orphans
/// retired (or kept), the token revoked. Without a wait nothing is retired or removed.
fn after_the_commit_point(
    plan: &mut Plan,
    inputs: &PlanInputs,
    existing: Option<&Integration>,
    orphans: Vec<String>,
    warnings: &mut Vec<PlanWarning>,
) {
    let healthy = existing.is_some_and(is_healthy);
    if !inputs.wait {
        // Nothing is retired or removed before Apono confirmed the new state.
        warnings.push(PlanWarning::NoWait);
        plan.retire.clear();
        plan.remove_excess = None;
        plan.kept_orphans = orphans;
        return;
    }
    plan.wait_for_active = plan.kind != PlanKind::Unchanged || !healthy;
    if inputs.keep_orphans {
        plan.kept_orphans = orphans;
    } else {
        plan.retire
            .extend(orphans.into_iter().map(|app_id| Retirement {
                app_id,
                reason: RetireReason::Orphan,
            }));
    }
    plan.revoke_token = !inputs.keep_api_token;
    if inputs.keep_api_token {
        warnings.push(PlanWarning::KeepApiToken);
    }
}

/// Whether at least `at_least` integrations (of any org) use the app.
fn references(observed: &Observed, app: &App, at_least: usize) -> bool {
    rules::references(&observed.referenced_client_ids, app) >= at_least
}

/// A new integration, named by `--apono-integration-name` or after the domain.
fn new_integration(observed: &Observed, inputs: &PlanInputs) -> IntegrationPlan {
    IntegrationPlan::Create {
        name: inputs
            .integration_name
            .clone()
            .unwrap_or_else(|| default_integration_name(&inputs.domain)),
        integration_type: observed.template.integration_type.clone(),
    }
}

/// With least privilege: what the custom role and resource set need, when they need
/// work or an assignment will need their ids (`assigning`).
fn least_privilege_plan(
    observed: &Observed,
    inputs: &PlanInputs,
    assigning: bool,
) -> Option<LeastPrivilegePlan> {
    if inputs.admin_role != AdminRole::LeastPrivilege {
        return None;
    }
    let objects = observed.least_privilege.clone().unwrap_or_default();
    let role = role::role_plan(&objects);
    let resource_set = role::resource_set_plan(&objects, &inputs.org_url);
    let needs_work = !matches!(role, ObjectPlan::Keep { .. })
        || !matches!(resource_set, ObjectPlan::Keep { .. });
    (needs_work || assigning).then_some(LeastPrivilegePlan { role, resource_set })
}

/// `READ_ONLY_ADMIN (irb...)`, or the custom role's label, for the plan.
fn describe_assignment(assignment: &RoleAssignment) -> String {
    format!("{} ({})", privileges::role_name(assignment), assignment.id)
}

/// Apono is done syncing and found the integration working.
fn is_healthy(integration: &Integration) -> bool {
    integration.status.is_healthy()
}

/// What it takes to converge an existing app and the integration in place; `Unchanged`
/// when nothing.
fn repair_plan(
    reused: &ReusedApp,
    existing: Option<&Integration>,
    observed: &Observed,
    inputs: &PlanInputs,
) -> Plan {
    let app = &reused.app;
    let grants: Vec<String> = privileges::missing_scopes(&reused.grants)
        .into_iter()
        .map(str::to_string)
        .collect();
    let assign = !inputs.admin_role.is_held(&reused.roles, None);
    let least_privilege = least_privilege_plan(observed, inputs, assign);
    let activate = !app.is_active();
    let add_key = !reused.carries_key;
    // Exactly these privileges: every grant and role beyond the two and the one goes,
    // once Apono works with the app (the old kind's role too, on a switch in place).
    let ours = privileges::Ours::of(observed.least_privilege.as_ref());
    let excess = privileges::excess(&reused.grants, &reused.roles, &inputs.admin_role, ours);
    let remove_excess = remove_excess(app, &reused.roles, &excess);
    let okta_changes = activate
        || add_key
        || !grants.is_empty()
        || assign
        || least_privilege.is_some()
        || remove_excess.is_some();
    let integration = match existing {
        None => new_integration(observed, inputs),
        // A new client id, a fixed Okta side, or an unhealthy integration: write the
        // integration, which makes Apono sync again (Apono keeps an Error until then).
        Some(i)
            if observed.template.client_id_of(&i.integration_config) != Some(app.client_id())
                || okta_changes
                || !is_healthy(i) =>
        {
            IntegrationPlan::Update {
                previous: Box::new(i.clone()),
            }
        }
        Some(_) => IntegrationPlan::Keep,
    };
    let changes = okta_changes || !matches!(integration, IntegrationPlan::Keep);
    Plan {
        kind: if changes {
            PlanKind::Repair
        } else {
            PlanKind::Unchanged
        },
        least_privilege,
        app: AppPlan::Reuse {
            app: app.clone(),
            activate,
            add_key,
        },
        grants,
        role: assign.then(|| inputs.admin_role.clone()),
        integration,
        wait_for_active: false,
        remove_excess,
        retire: Vec::new(),
        revoke_token: false,
        existing_integration: None,
        kept_orphans: Vec::new(),
        young_apps: Vec::new(),
        warnings: Vec::new(),
    }
}

/// What to remove from a reused app: the privileges beyond the two grants and the one
/// role (`None` when there are none).
fn remove_excess(app: &App, roles: &[RoleAssignment], excess: &[Excess]) -> Option<RemoveExcess> {
    let mut remove = RemoveExcess {
        app_id: app.id.clone(),
        assignments: Vec::new(),
        grants: Vec::new(),
    };
    for item in excess {
        match item {
            Excess::Grant { grant_id, scope } => {
                remove.grants.push((grant_id.clone(), scope.clone()))
            }
            Excess::Role { assignment_id, .. } => {
                let described = roles
                    .iter()
                    .find(|a| &a.id == assignment_id)
                    .map(describe_assignment)
                    .unwrap_or_else(|| assignment_id.clone());
                remove.assignments.push((assignment_id.clone(), described));
            }
        }
    }
    (!remove.assignments.is_empty() || !remove.grants.is_empty()).then_some(remove)
}

fn pick_integration(
    observed: &Observed,
    inputs: &PlanInputs,
) -> Result<Option<Integration>, PickError> {
    pick_org_integration(
        &observed.integrations,
        inputs.integration_id.as_deref(),
        &inputs.domain,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::config::{ConfigInputs, fallback_template};
    use std::time::SystemTime;

    fn app(id: &str) -> App {
        serde_json::from_value(
            serde_json::json!({"id": id, "name": "oidc_client", "label": "Apono Integration", "status": "ACTIVE", "created": "2020-01-01T00:00:00.000Z"}),
        )
        .unwrap()
    }

    fn observed(apps: Vec<App>, integrations: Vec<Integration>) -> Observed {
        Observed {
            okta_login: "admin@example.com".into(),
            client_privileges: Some(false),
            labelled_apps: apps,
            template: fallback_template(&ConfigInputs {
                domain: "example.okta.com".into(),
                ..ConfigInputs::default()
            }),
            integrations,
            referenced_client_ids: Vec::new(),
            reused_app: None,
            okta_now: SystemTime::now(),
            least_privilege: None,
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
            org_url: "https://example.okta.com".into(),
            app_label: "Apono Integration".into(),
            admin_role: AdminRole::default_standard(),
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
            plan.steps(),
            vec![
                Step::CreateApp {
                    label: "Apono Integration".into()
                },
                Step::GrantScopes {
                    scopes: vec!["okta.groups.read".into(), "okta.users.read".into()]
                },
                Step::AssignRole {
                    role: AdminRole::default_standard()
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
        assert!(plan.steps().contains(&Step::UpdateIntegration {
            id: "i1".into(),
            name: "Okta".into()
        }));
        let retired: Vec<_> = plan
            .retire
            .iter()
            .map(|r| (r.app_id.as_str(), r.reason))
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
                .steps()
                .iter()
                .any(|s| matches!(s, Step::RetireApp { .. }))
        );

        let mut no_wait = inputs();
        no_wait.wait = false;
        let plan_no_wait = plan(&seen, &no_wait).unwrap();
        assert!(!plan_no_wait.steps().contains(&Step::RevokeToken));
        assert!(
            !plan_no_wait
                .steps()
                .iter()
                .any(|s| matches!(s, Step::RetireApp { .. }))
        );
    }

    #[test]
    fn several_integrations_need_an_id() {
        let seen = observed(vec![], vec![integration("i1", "a"), integration("i2", "b")]);
        assert!(matches!(
            plan(&seen, &inputs()),
            Err(PickError::SeveralIntegrations { .. })
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
            Err(PickError::UnknownIntegration { .. })
        ));
    }

    fn reused(app: App, carries_key: bool, scopes: &[&str], roles: &[&str]) -> ReusedApp {
        ReusedApp {
            app,
            carries_key,
            grants: scopes
                .iter()
                .enumerate()
                .map(|(n, scope)| {
                    let grant = serde_json::json!({"id": format!("oag{n}"), "scopeId": scope});
                    serde_json::from_value(grant).unwrap()
                })
                .collect(),
            roles: roles
                .iter()
                .enumerate()
                .map(|(n, r)| {
                    let role = serde_json::json!({"id": format!("irb{n}"), "type": r});
                    serde_json::from_value(role).unwrap()
                })
                .collect(),
        }
    }

    #[test]
    fn reuse_of_a_converged_app_is_unchanged_and_only_revokes() {
        let mut seen = observed(vec![app("0oaOK")], vec![integration("i1", "0oaOK")]);
        assert_eq!(
            reuse_target(&seen, &inputs()).unwrap().as_deref(),
            Some("0oaOK")
        );
        seen.reused_app = Some(reused(
            app("0oaOK"),
            true,
            &["okta.groups.read", "okta.users.read"],
            &["READ_ONLY_ADMIN"],
        ));
        let plan = plan(&seen, &inputs()).unwrap();
        assert_eq!(plan.kind, PlanKind::Unchanged);
        assert_eq!(plan.steps(), vec![Step::RevokeToken]);
    }

    #[test]
    fn reuse_of_a_widened_app_removes_each_extra_privilege_after_active() {
        let mut seen = observed(vec![app("0oaOK")], vec![integration("i1", "0oaOK")]);
        seen.reused_app = Some(reused(
            app("0oaOK"),
            true,
            &["okta.groups.read", "okta.users.read", "okta.apps.read"],
            &["READ_ONLY_ADMIN", "SUPER_ADMIN"],
        ));
        let plan = plan(&seen, &inputs()).unwrap();
        assert_eq!(plan.kind, PlanKind::Repair);
        let steps = plan.steps();
        let remove = Step::RemoveExcess {
            app_id: "0oaOK".into(),
            assignments: vec![("irb1".into(), "SUPER_ADMIN (irb1)".into())],
            grants: vec![("oag2".into(), "okta.apps.read".into())],
        };
        let wait = steps
            .iter()
            .position(|s| *s == Step::WaitForActive)
            .unwrap();
        let removal = steps.iter().position(|s| *s == remove).unwrap();
        assert!(wait < removal, "removed only after Active: {steps:?}");
        assert_eq!(
            remove.to_string(),
            "then remove from the app 0oaOK what Apono does not need: the role SUPER_ADMIN (irb1), the grant of okta.apps.read (oag2)"
        );
        assert!(plan.takes_something_away());
        // Without a wait nothing is removed.
        let mut no_wait = inputs();
        no_wait.wait = false;
        assert!(
            super::plan(&seen, &no_wait)
                .unwrap()
                .remove_excess
                .is_none()
        );
    }

    #[test]
    fn reuse_of_a_drifted_app_repairs_only_what_is_missing() {
        let mut inactive = app("0oaOLD");
        inactive.status = "INACTIVE".into();
        let mut seen = observed(
            vec![inactive.clone(), app("0oaORPHAN")],
            vec![integration("i1", "0oaOLD")],
        );
        seen.reused_app = Some(reused(inactive, false, &["okta.users.read"], &[]));
        let plan = plan(&seen, &inputs()).unwrap();
        assert_eq!(plan.kind, PlanKind::Repair);
        assert_eq!(
            plan.steps(),
            vec![
                Step::ActivateApp {
                    app_id: "0oaOLD".into()
                },
                Step::AddKey {
                    app_id: "0oaOLD".into()
                },
                Step::GrantScopes {
                    scopes: vec!["okta.groups.read".into()]
                },
                Step::AssignRole {
                    role: AdminRole::default_standard()
                },
                Step::UpdateIntegration {
                    id: "i1".into(),
                    name: "Okta".into()
                },
                Step::WaitForActive,
                Step::RetireApp {
                    app_id: "0oaORPHAN".into(),
                    reason: RetireReason::Orphan
                },
                Step::RevokeToken,
            ]
        );
    }

    #[test]
    fn reuse_with_several_unreferenced_apps_is_ambiguous() {
        let seen = observed(vec![app("0oa1"), app("0oa2")], vec![]);
        assert!(matches!(
            reuse_target(&seen, &inputs()),
            Err(PickError::AmbiguousReuse { .. })
        ));
        let none = observed(vec![], vec![]);
        assert_eq!(reuse_target(&none, &inputs()).unwrap(), None);
    }

    #[test]
    fn young_unreferenced_apps_are_left_for_a_later_run() {
        let mut young = app("0oaYOUNG");
        young.created = Some("2026-01-01T00:10:00.000Z".into());
        let mut seen = observed(vec![young, app("0oaOLD")], vec![]);
        seen.okta_now = humantime::parse_rfc3339("2026-01-01T00:20:00Z").unwrap();
        let plan = plan(&seen, &inputs()).unwrap();
        assert_eq!(plan.young_apps, vec!["0oaYOUNG".to_string()]);
        assert!(plan.steps().contains(&Step::RetireApp {
            app_id: "0oaOLD".into(),
            reason: RetireReason::Orphan
        }));
        assert!(
            !plan
                .steps()
                .iter()
                .any(|s| matches!(s, Step::RetireApp { app_id, .. } if app_id == "0oaYOUNG"))
        );
        seen.okta_now = humantime::parse_rfc3339("2026-01-01T00:25:01Z").unwrap();
        assert!(plan_of(&seen).young_apps.is_empty());
    }

    fn plan_of(seen: &Observed) -> Plan {
        plan(seen, &inputs()).unwrap()
    }

    #[test]
    fn apps_in_use_or_of_another_kind_are_never_orphans() {
        let mut other_kind = app("0oaSAML");
        other_kind.name = "template_saml_2_0".into();
        let mut seen = observed(
            vec![app("0oaOTHERORG"), other_kind, app("0oaORPHAN")],
            vec![],
        );
        seen.referenced_client_ids = vec!["0oaOTHERORG".into()];
        let plan = plan(&seen, &inputs()).unwrap();
        let retired: Vec<&str> = plan.retire.iter().map(|r| r.app_id.as_str()).collect();
        assert_eq!(retired, vec!["0oaORPHAN"]);
    }
}
