//! `apono-okta connect`: plan, confirm, apply, verify, clean up (DESIGN.md §3).
//!
//! [`crate::org`] reads both sides and holds the rules every command shares, [`plan`]
//! decides (pure, structured data), `apply` writes, recording each write in the journal
//! of `undo` first; `wait` waits for Apono to report the integration `Active`, and
//! `cleanup` retires the old apps and revokes the token after that. This module strings
//! them together and builds the [`Report`].

mod apply;
mod cleanup;
mod context;
pub(crate) mod plan;
mod undo;
mod wait;

use serde::Serialize;

use crate::apono::{AponoClient, IntegrationStatus};
use crate::error::Failure;
use crate::okta::OktaClient;
use crate::org::config::ConfigInputs;
use crate::org::observe;
use crate::org::role::AdminRole;
use crate::org::role::{self, LeastPrivilegeObjects};
pub(crate) use crate::settings::ConnectSettings;
use crate::ui::{Ui, Warnings};
use apply::Applied;
use context::ApplyContext;
use plan::{Outcome, Plan, PlanInputs};
use undo::{Journal, UndoContext};

/// The summary: printed as text, or as the one JSON object of `--json`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) result: Outcome,
    pub(crate) okta: OktaReport,
    pub(crate) apono: AponoReport,
    /// The apps deactivated and deleted; with `planned`, those the run would retire.
    pub(crate) retired_app_ids: Vec<String>,
    pub(crate) api_token_revoked: bool,
    pub(crate) warnings: Vec<String>,
    /// What is left for a person to clean up, each with what to do; not empty means
    /// exit 6 ("debts are not success", DESIGN.md §3).
    pub(crate) left_behind: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct OktaReport {
    pub(crate) domain: String,
    pub(crate) app_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) label: String,
    pub(crate) scopes: Vec<String>,
    /// The standard role type, or `{"custom": ..., "resource_set": ...}`.
    pub(crate) admin_role: AdminRole,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AponoReport {
    pub(crate) integration_id: Option<String>,
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) integration_type: String,
    pub(crate) status: Option<IntegrationStatus>,
}

/// Runs `connect`. On failure the returned [`Failure`] says what was undone.
pub(crate) async fn connect(settings: &ConnectSettings, ui: &Ui) -> Result<Report, Failure> {
    let warnings = Warnings::already_shown(settings.warnings.clone());
    let clients = Clients {
        okta: OktaClient::new(
            settings.okta_url.clone(),
            settings.okta_token.clone(),
            &settings.http,
        )?,
        apono: AponoClient::new(
            settings.apono_url.clone(),
            settings.apono_token.clone(),
            &settings.http,
        )?,
    };
    let (observed, plan_inputs) = observe_org(&clients, settings, ui, &warnings).await?;
    let plan = plan::plan(&observed, &plan_inputs).map_err(plan_failure)?;
    show_plan(&plan, settings, ui, &warnings);
    if settings.dry_run {
        ui.info("--dry-run: nothing was written.");
        return Ok(planned_report(
            &plan,
            &observed,
            &plan_inputs,
            settings,
            &warnings,
        ));
    }
    confirm(&plan, settings, ui)?;
    let applied = apply_or_undo(
        &clients,
        &observed,
        &plan,
        &plan_inputs,
        settings,
        ui,
        &warnings,
    )
    .await?;
    Ok(applied_report(&plan, applied, settings, ui, &warnings))
}

/// The two clients of a run.
struct Clients {
    okta: OktaClient,
    apono: AponoClient,
}

/// Preflight (with least privilege's objects read beside it), the app to reuse with
/// `--reuse-app`, and the role the run gives the app: what the plan is made from.
async fn observe_org(
    clients: &Clients,
    settings: &ConnectSettings,
    ui: &Ui,
    warnings: &Warnings,
) -> Result<(crate::org::Observed, PlanInputs), Failure> {
    let okta = &clients.okta;
    ui.info(&format!(
        "Checking Okta ({}) and Apono ({})...",
        settings.okta_url.origin().ascii_serialization(),
        settings.apono_url.origin().ascii_serialization()
    ));
    let config_inputs = ConfigInputs {
        domain: settings.domain.clone(),
        manager_attribute: settings.manager_attribute.clone(),
        overrides: settings.apono_config.clone(),
    };
    let preflight = observe::preflight(
        okta,
        &clients.apono,
        observe::PreflightInputs {
            app_label: &settings.app_label,
            integration_type: settings.integration_type.as_deref(),
            config: &config_inputs,
        },
    );
    // The custom role and resource set are read beside the preflight whenever least
    // privilege may be the role (the default for a new connection): no extra round trip.
    let may_be_least_privilege = settings
        .admin_role
        .as_ref()
        .is_none_or(|role| *role == AdminRole::LeastPrivilege);
    let objects = async {
        if may_be_least_privilege {
            Some(role::read_objects(okta).await)
        } else {
            None
        }
    };
    let (observed, objects) =
        until_interrupted(async { Ok(tokio::join!(preflight, objects)) }).await?;
    let mut observed = observed?;
    show_preflight(okta, &observed, ui, warnings);

    let mut plan_inputs = plan_inputs(settings, okta.issuer());
    if settings.reuse_app {
        let target = plan::reuse_target(&observed, &plan_inputs).map_err(plan_failure)?;
        observed.reused_app =
            observe::observe_reused_app(okta, &observed, target.as_deref(), &settings.public_key)
                .await?;
    }
    let wanted = match &settings.admin_role {
        Some(role) => role.clone(),
        None => {
            let id = settings.integration_id.as_deref();
            observe::role_in_use(okta, &observed, id, &settings.domain).await?
        }
    };
    let explicit = settings.admin_role.is_some();
    let (admin_role, least_privilege) = settle_role(wanted, explicit, objects, ui, warnings)?;
    plan_inputs.admin_role = admin_role;
    observed.least_privilege = least_privilege;
    Ok((observed, plan_inputs))
}

/// What the plan needs of the settings; the admin role is settled once the app in use
/// is known.
fn plan_inputs(settings: &ConnectSettings, org_url: String) -> PlanInputs {
    PlanInputs {
        domain: settings.domain.clone(),
        org_url,
        app_label: settings.app_label.clone(),
        admin_role: AdminRole::default_standard(),
        integration_name: settings.integration_name.clone(),
        integration_id: settings.integration_id.clone(),
        keep_orphans: settings.keep_orphans,
        keep_api_token: settings.keep_api_token,
        wait: settings.wait.is_some(),
    }
}

/// Asks before writing on a terminal (unless `--yes`); a plan that deletes an app
/// defaults to No: Enter must never destroy.
fn confirm(plan: &Plan, settings: &ConnectSettings, ui: &Ui) -> Result<(), Failure> {
    if !ui.can_prompt() || settings.assume_yes {
        return Ok(());
    }
    ui.confirm_or_cancel(
        "Apply this plan?",
        !plan.takes_something_away(),
        "nothing was changed",
    )
}

/// Applies the plan; on a failure or Ctrl-C, rolls back what this run did (one
/// deadline, a second Ctrl-C stops it) and says what was undone and what is left.
async fn apply_or_undo(
    clients: &Clients,
    observed: &crate::org::Observed,
    plan: &Plan,
    plan_inputs: &PlanInputs,
    settings: &ConnectSettings,
    ui: &Ui,
    warnings: &Warnings,
) -> Result<Applied, Failure> {
    let context = ApplyContext {
        okta: &clients.okta,
        apono: &clients.apono,
        ui,
        warnings,
        template: &observed.template,
        public_key: &settings.public_key,
        domain: &settings.domain,
        admin_role: &plan_inputs.admin_role,
        wait_timeout: settings.wait.unwrap_or_default(),
        poll_interval: settings.poll_interval,
        // A write answered too late lands soon after the client gave up. Half the undo's
        // one deadline (`--timeout`), so the rest of the undo has time after a look.
        look_window: settings.http.timeout / 2,
    };
    let journal = Journal::default();
    let outcome = tokio::select! {
        outcome = apply::apply(plan, &context, &journal) => outcome,
        _ = tokio::signal::ctrl_c() => {
            ui.restore_terminal();
            Err(Failure::interrupted("interrupted"))
        }
    };
    let mut failure = match outcome {
        Ok(applied) => return Ok(applied),
        Err(failure) => failure,
    };
    ui.info("Undoing what this run changed...");
    let preexisting_app_ids: Vec<String> = observed
        .labelled_apps
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let undo = UndoContext {
        okta: &clients.okta,
        apono: &clients.apono,
        template: &observed.template,
        preexisting_app_ids: &preexisting_app_ids,
        okta_since: observed.okta_now,
        ui,
    };
    let rolled = journal.roll_back(&undo, settings.http.timeout).await;
    failure.undone = rolled.undone;
    failure.left_behind = rolled.left_behind;
    failure.interrupted_undo = rolled.interrupted;
    failure.hints.push(if failure.left_behind.is_empty() {
        "the Okta API token was kept so you can retry: fix the cause above and run `apono-okta connect` again".to_string()
    } else {
        "the Okta API token was kept: run `apono-okta connect` again, it finds what was left behind by its label and domain and cleans it up".to_string()
    });
    Err(failure)
}

/// What preflight found, said: which org, whose token, which integration type, and
/// what only warrants a warning.
fn show_preflight(
    okta: &OktaClient,
    observed: &crate::org::Observed,
    ui: &Ui,
    warnings: &Warnings,
) {
    observe::show_confirmed_org(okta, ui);
    ui.done(&format!(
        "Okta token belongs to {}, a super admin",
        observed.okta_login
    ));
    ui.done(&format!(
        "Apono token accepted; integration type \"{}\"",
        observed.template.integration_type
    ));
    if let Some(note) = &observed.template.fallback_note {
        warnings.warn(ui, note.as_str());
    }
    if observed.client_privileges.is_none() {
        warnings.warn(ui, "could not read the Okta org setting clientPrivilegesSetting; if it is on, Okta makes the new service app a super admin");
    }
}

/// The role the run gives the app, and the custom role and resource set when that is
/// least privilege. An org that cannot use custom admin roles gets
/// [`AdminRole::default_standard`] with a warning, unless least privilege was asked for
/// explicitly (`--least-privilege`): then the run stops before any write (exit 3).
fn settle_role(
    wanted: AdminRole,
    explicit: bool,
    objects: Option<Result<LeastPrivilegeObjects, crate::http::ApiError>>,
    ui: &Ui,
    warnings: &Warnings,
) -> Result<(AdminRole, Option<LeastPrivilegeObjects>), Failure> {
    if wanted != AdminRole::LeastPrivilege {
        return Ok((wanted, None));
    }
    match objects {
        Some(Ok(objects)) => Ok((wanted, Some(objects))),
        Some(Err(e)) if role::custom_roles_unavailable(&e) && explicit => {
            Err(Failure::okta_privileges(format!(
                "this Okta org cannot use custom admin roles ({e}), which --least-privilege needs"
            ))
            .with_hint("leave out --least-privilege to connect with READ_ONLY_ADMIN (it reads the whole org), or enable custom admin roles for the org"))
        }
        Some(Err(e)) if role::custom_roles_unavailable(&e) => {
            warnings.warn(ui, role::NO_CUSTOM_ROLES_WARNING);
            Ok((AdminRole::default_standard(), None))
        }
        Some(Err(e)) => Err(e.into()),
        None => Err(Failure::unexpected(
            "least privilege was chosen but its objects were not read",
        )),
    }
}

/// Runs a read-only phase, or stops with exit 130 on Ctrl-C (nothing to undo yet).
async fn until_interrupted<T>(
    phase: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::select! {
        result = phase => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::interrupted("interrupted; nothing was written")),
    }
}

fn plan_failure(error: crate::org::rules::PickError) -> Failure {
    let hint = match error {
        crate::org::rules::PickError::AmbiguousReuse { .. } => {
            "leave out --reuse-app: connect then creates a new app and retires the others"
        }
        _ => "pick one with --apono-integration-id ID",
    };
    Failure::usage(error.to_string()).with_hint(hint)
}

fn show_plan(plan: &Plan, settings: &ConnectSettings, ui: &Ui, warnings: &Warnings) {
    let verb = match plan.kind {
        plan::PlanKind::Create => "create",
        plan::PlanKind::Rotate => "rotate",
        plan::PlanKind::Repair => "repair",
        plan::PlanKind::Unchanged => "unchanged: nothing to converge",
    };
    ui.heading(&format!("Plan ({verb}) for {}:", settings.domain));
    for (n, step) in plan.steps().iter().enumerate() {
        ui.info(&format!("  {}. {step}", n + 1));
    }
    for orphan in &plan.kept_orphans {
        ui.info(&format!(
            "  - keep the orphaned app {orphan} (same label, not used by Apono)"
        ));
    }
    for young in &plan.young_apps {
        warnings.warn(ui, format!(
            "keeping the app {young} (same label, not used by Apono, created in the last 15 minutes: another run may be about to use it; a later run retires it)"
        ));
    }
    for warning in &plan.warnings {
        warnings.warn(ui, warning.to_string());
    }
}

fn planned_report(
    plan: &Plan,
    observed: &crate::org::Observed,
    inputs: &PlanInputs,
    settings: &ConnectSettings,
    warnings: &Warnings,
) -> Report {
    let existing = plan.existing_integration.as_ref();
    let name = match &plan.integration {
        plan::IntegrationPlan::Create { name, .. } => name.clone(),
        plan::IntegrationPlan::Update { previous } => previous.name.clone(),
        plan::IntegrationPlan::Keep => existing.map(|i| i.name.clone()).unwrap_or_default(),
    };
    Report {
        result: Outcome::Planned,
        okta: OktaReport {
            domain: settings.domain.clone(),
            app_id: plan.reused_app().map(|a| a.id.clone()),
            client_id: plan.reused_app().map(|a| a.client_id().to_string()),
            label: settings.app_label.clone(),
            scopes: sorted_scopes(),
            admin_role: inputs.admin_role.clone(),
        },
        apono: AponoReport {
            integration_id: existing.map(|i| i.id.clone()),
            name,
            integration_type: observed.template.integration_type.clone(),
            status: existing.map(|i| i.status.clone()),
        },
        // What the run would retire: `result` "planned" says none of it happened.
        retired_app_ids: plan.retire.iter().map(|r| r.app_id.clone()).collect(),
        api_token_revoked: false,
        warnings: warnings.list(),
        left_behind: Vec::new(),
    }
}

fn applied_report(
    plan: &Plan,
    applied: Applied,
    settings: &ConnectSettings,
    ui: &Ui,
    warnings: &Warnings,
) -> Report {
    if applied.api_token_revoked {
        ui.info("The Okta API token is revoked. Okta cannot mint tokens through its API, so the next run (to rotate) needs a fresh token from an Okta super admin.");
    }
    Report {
        result: plan.kind.outcome(),
        okta: OktaReport {
            domain: settings.domain.clone(),
            app_id: Some(applied.app.id.clone()),
            client_id: Some(applied.app.client_id().to_string()),
            label: applied.app.label.clone(),
            scopes: applied.scopes,
            admin_role: applied.admin_role,
        },
        apono: AponoReport {
            integration_id: Some(applied.integration.id.clone()),
            name: applied.integration.name.clone(),
            integration_type: applied.integration.integration_type.clone(),
            status: Some(applied.integration.status.clone()),
        },
        retired_app_ids: applied.retired_app_ids,
        api_token_revoked: applied.api_token_revoked,
        warnings: warnings.list(),
        left_behind: applied.left_behind,
    }
}

fn sorted_scopes() -> Vec<String> {
    let mut scopes: Vec<String> = crate::okta::REQUIRED_SCOPES
        .iter()
        .map(|s| s.to_string())
        .collect();
    scopes.sort();
    scopes
}

impl Report {
    /// The human summary for stdout.
    pub(crate) fn to_text(&self) -> String {
        let none = || "-".to_string();
        let headline = match self.result {
            Outcome::Planned => format!(
                "Planned (dry run): connect {} to Apono; nothing was written.",
                self.okta.domain
            ),
            Outcome::Repaired => format!(
                "Repaired the Apono integration of {} in place.",
                self.okta.domain
            ),
            Outcome::Unchanged => format!(
                "Nothing to change: {} is connected to Apono.",
                self.okta.domain
            ),
            Outcome::Rotated => format!(
                "Rotated the Apono integration of {} to a new Okta app.",
                self.okta.domain
            ),
            Outcome::Created => format!("Connected {} to Apono.", self.okta.domain),
        };
        let retired = match (self.retired_app_ids.is_empty(), self.result) {
            (true, _) => "none".to_string(),
            (false, Outcome::Planned) => {
                format!("would retire {}", self.retired_app_ids.join(", "))
            }
            (false, _) => self.retired_app_ids.join(", "),
        };
        let token = if self.api_token_revoked {
            "revoked (the next run needs a fresh token from an Okta super admin)"
        } else {
            "NOT revoked: revoke it in the Okta admin console (Security > API > Tokens)"
        };
        let mut lines = vec![
            headline,
            format!("  Okta domain        {}", self.okta.domain),
            format!(
                "  Okta app           {} ({})",
                self.okta.label,
                self.okta.app_id.clone().unwrap_or_else(none)
            ),
            format!(
                "  client id          {}",
                self.okta.client_id.clone().unwrap_or_else(none)
            ),
            format!("  scopes             {}", self.okta.scopes.join(", ")),
            format!("  admin role         {}", self.okta.admin_role),
            format!(
                "  Apono integration  {} ({}, type {})",
                crate::output::server_text(&self.apono.name),
                self.apono.integration_id.clone().unwrap_or_else(none),
                self.apono.integration_type
            ),
            format!(
                "  Apono status       {}",
                self.apono
                    .status
                    .as_ref()
                    .map_or_else(none, ToString::to_string)
            ),
            format!("  retired apps       {retired}"),
        ];
        if self.result != Outcome::Planned {
            lines.push(format!("  Okta API token     {token}"));
        }
        lines.extend(self.warnings.iter().map(|w| format!("  warning: {w}")));
        if !self.left_behind.is_empty() {
            lines.push("Left behind (needs a person):".into());
            lines.extend(self.left_behind.iter().map(|item| format!("  - {item}")));
        }
        lines.join("\n")
    }
}
