//! `apono-okta disconnect`: delete the Apono integration, then deactivate and delete
//! the Okta app it used, then the custom role and resource set, then revoke the token
//! (DESIGN.md §4). Apono goes first, so it never points at an app that no longer exists.
//!
//! Observe (the connect preflight: a token that could not delete the app stops it
//! before any write), then [`plan`] in pure code with the org rules of [`crate::org`]
//! (which apps are ours and unused, and the grace for young ones, which a `connect` in
//! flight may own), then confirm (`--yes` in scripts; `--dry-run` only shows), then
//! apply through [`crate::org::guard`] (a re-read before each delete, the revoke with
//! its retry).

use std::time::SystemTime;

use serde::Serialize;

use crate::apono::Integration;
use crate::cli::DisconnectArgs;
use crate::commands::{Context, Summary};
use crate::error::Failure;
use crate::okta::{App, OktaClient};
use crate::org::config::{ConfigInputs, ConfigTemplate};
use crate::org::guard::{self, AppRef};
use crate::org::role::SharedObject;
use crate::org::{Observed, debts, observe, rules};
use crate::settings::{OktaTokenNeed, Purpose, ServiceSettings};
use crate::ui::{Ui, Warnings};

/// What `disconnect` should do besides finding things.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DisconnectOptions {
    pub(crate) dry_run: bool,
    pub(crate) assume_yes: bool,
    pub(crate) keep_api_token: bool,
}

/// A `disconnect`'s `result` in `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DisconnectOutcome {
    Disconnected,
    /// `--dry-run`: nothing was deleted.
    Planned,
    /// Nothing was connected, and nothing was left to remove.
    Unchanged,
}

/// What `disconnect` did.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DisconnectReport {
    /// `disconnected`, `planned` (`--dry-run`) or `unchanged` (nothing was connected).
    pub(crate) result: DisconnectOutcome,
    pub(crate) domain: String,
    pub(crate) integration_id: Option<String>,
    pub(crate) deleted_app_ids: Vec<String>,
    pub(crate) api_token_revoked: bool,
    pub(crate) warnings: Vec<String>,
    /// What is left for a person to clean up, with what to do (exit 6).
    pub(crate) left_behind: Vec<String>,
    /// The ids of the custom role and resource set of least privilege it deleted.
    pub(crate) deleted_least_privilege_ids: Vec<String>,
}

/// What `disconnect` read, for [`plan`].
#[derive(Debug)]
pub(crate) struct DisconnectObservation {
    pub(crate) app_label: String,
    pub(crate) template: ConfigTemplate,
    /// This org's integration, if any.
    pub(crate) integration: Option<Integration>,
    /// The app the integration uses, when it exists.
    pub(crate) app: Option<App>,
    /// Every app with our label.
    pub(crate) labelled_apps: Vec<App>,
    /// The client ids any integration of the type uses.
    pub(crate) referenced_client_ids: Vec<String>,
    /// Okta's clock when the apps were listed.
    pub(crate) okta_now: SystemTime,
    /// The custom role and resource set of least privilege that exist, with their ids.
    pub(crate) shared: Vec<(SharedObject, String)>,
}

/// What `disconnect` will do: data, decided by [`plan`].
#[derive(Debug, Default, PartialEq)]
pub(crate) struct DisconnectPlan {
    /// The integration to delete: (id, name).
    pub(crate) integration: Option<(String, String)>,
    /// Apps to deactivate and delete: the one the integration used, then our apps that
    /// no integration uses (left by an earlier run), each with why.
    pub(crate) apps: Vec<(AppRef, AppRole)>,
    /// Our unused apps younger than the grace: left, each a debt with its time.
    pub(crate) young: Vec<String>,
    /// The custom role and resource set to delete after the apps.
    pub(crate) shared: Vec<(SharedObject, String)>,
    /// Warnings the plan found (an app Apono used that is gone).
    pub(crate) warnings: Vec<String>,
}

/// Why an app is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AppRole {
    /// The app the integration used.
    Used,
    /// Our label, used by no integration: left by an earlier run.
    Leftover,
}

impl DisconnectPlan {
    /// Whether there is nothing to delete.
    pub(crate) fn is_empty(&self) -> bool {
        self.integration.is_none() && self.apps.is_empty() && self.shared.is_empty()
    }

    /// The numbered steps, as printed.
    pub(crate) fn steps(&self, label: &str, revoke: bool) -> Vec<String> {
        let integration = self.integration.iter().map(|(id, name)| {
            let name = crate::output::server_text(name);
            format!("delete the Apono integration \"{name}\" ({id})")
        });
        let apps = self.apps.iter().map(|(app, role)| match role {
            AppRole::Used => format!("deactivate and delete the Okta app \"{label}\" ({})", app.id),
            AppRole::Leftover => format!(
                "deactivate and delete the app {} (labelled \"{label}\", not used by Apono: left by an earlier run)",
                app.id
            ),
        });
        let shared = self
            .shared
            .iter()
            .map(|(kind, id)| format!("delete the {} ({id})", kind.describe()));
        let token = revoke.then(|| "revoke the Okta API token used for this run".to_string());
        integration.chain(apps).chain(shared).chain(token).collect()
    }
}

/// The plan, pure: from what was observed and the org rules.
pub(crate) fn plan(seen: &DisconnectObservation) -> DisconnectPlan {
    let mut plan = DisconnectPlan {
        integration: seen
            .integration
            .as_ref()
            .map(|i| (i.id.clone(), i.name.clone())),
        ..DisconnectPlan::default()
    };
    let client_id = seen
        .integration
        .as_ref()
        .and_then(|i| seen.template.client_id_of(&i.integration_config));
    match (&seen.app, client_id) {
        (Some(app), _) => plan.apps.push((AppRef::from(app), AppRole::Used)),
        (None, Some(client_id)) => plan.warnings.push(format!(
            "the Okta app Apono used (client id {client_id}) does not exist; only the integration is deleted"
        )),
        (None, None) if seen.integration.is_some() => plan.warnings.push(format!(
            "the integration's config has no client id (key \"{}\"), so no Okta app is deleted; check apps labelled \"{}\" in the Okta admin console",
            seen.template.client_id_key, seen.app_label
        )),
        (None, None) => {}
    }
    let unreferenced = rules::unreferenced(
        &seen.labelled_apps,
        &seen.app_label,
        &seen.referenced_client_ids,
        seen.app.as_ref().map(|app| app.id.as_str()),
        seen.okta_now,
    );
    plan.apps.extend(
        unreferenced
            .old
            .into_iter()
            .map(|app| (AppRef::from(app), AppRole::Leftover)),
    );
    plan.young = unreferenced
        .young
        .iter()
        .map(|app| debts::young_app_left(&app.id, rules::grace_ends(app).as_deref(), "disconnect"))
        .collect();
    // A young app may be a `connect` in flight, holding our custom role: keep them.
    if plan.young.is_empty() {
        plan.shared = seen.shared.clone();
    }
    plan
}

/// Runs `disconnect`: resolves its settings, then observes, plans, confirms, applies.
pub(crate) fn run(args: &DisconnectArgs, cx: &Context) -> Result<DisconnectReport, Failure> {
    let service = super::resolve_service(
        &args.service,
        OktaTokenNeed::Required,
        Purpose::Disconnect,
        cx,
    )?;
    let options = DisconnectOptions {
        dry_run: args.dry_run,
        assume_yes: args.yes,
        keep_api_token: args.keep_api_token,
    };
    cx.block_on(disconnect(&service, options, &cx.ui))
        .map_err(|f| service.apono_token_source.explain(f))
}

/// Observe, plan, confirm, apply.
async fn disconnect(
    service: &ServiceSettings,
    options: DisconnectOptions,
    ui: &Ui,
) -> Result<DisconnectReport, Failure> {
    let warnings = Warnings::already_shown(service.warnings.clone());
    let okta = super::okta_client(service)?.ok_or_else(|| {
        Failure::usage(
            "no Okta API token given: set OKTA_API_TOKEN or pass --okta-api-token-file PATH",
        )
    })?;
    let apono = super::apono_client(service)?;
    let seen = observe_org(service, &okta, &apono, ui).await?;
    let plan = plan(&seen);
    for warning in &plan.warnings {
        warnings.warn(ui, warning.as_str());
    }
    let mut report = DisconnectReport {
        result: DisconnectOutcome::Unchanged,
        domain: service.domain.clone(),
        integration_id: plan.integration.as_ref().map(|(id, _)| id.clone()),
        deleted_app_ids: Vec::new(),
        api_token_revoked: false,
        warnings: Vec::new(),
        left_behind: plan.young.clone(),
        deleted_least_privilege_ids: Vec::new(),
    };
    if plan.is_empty() {
        ui.info(&format!(
            "Apono has no Okta integration for {}, and no app labelled \"{}\" is left to remove.",
            service.domain, service.app_label
        ));
    } else {
        show_plan(&plan, service, options, ui);
        if options.dry_run {
            report.result = DisconnectOutcome::Planned;
            report.warnings = warnings.list();
            return Ok(report);
        }
        confirm(options, ui)?;
        apply(
            &plan,
            &okta,
            &apono,
            &seen.template,
            &mut report,
            ui,
            &warnings,
        )
        .await?;
        report.result = DisconnectOutcome::Disconnected;
    }
    // The token this run was given must not stay valid, even with nothing to delete.
    if !options.dry_run {
        revoke_unless_kept(&okta, service, options, &mut report, ui, &warnings).await;
    }
    report.warnings = warnings.list();
    Ok(report)
}

/// The connect preflight, the app the integration uses, and the shared objects.
async fn observe_org(
    service: &ServiceSettings,
    okta: &OktaClient,
    apono: &crate::apono::AponoClient,
    ui: &Ui,
) -> Result<DisconnectObservation, Failure> {
    let config = ConfigInputs {
        domain: service.domain.clone(),
        ..ConfigInputs::default()
    };
    let inputs = observe::PreflightInputs {
        app_label: &service.app_label,
        integration_type: service.integration_type.as_deref(),
        config: &config,
    };
    let observed: Observed = observe::preflight(okta, apono, inputs).await?;
    observe::show_confirmed_org(okta, ui);
    let integration = observe::org_integration(
        &observed.integrations,
        service.integration_id.as_deref(),
        &service.domain,
    )?;
    let client_id = integration
        .as_ref()
        .and_then(|i| observed.template.client_id_of(&i.integration_config));
    let app = match client_id {
        Some(client_id) => match observed
            .labelled_apps
            .iter()
            .find(|a| a.client_id() == client_id || a.id == client_id)
        {
            Some(app) => Some(app.clone()),
            None => {
                okta.app_for_client_id(client_id, &service.app_label)
                    .await?
            }
        },
        None => None,
    };
    let (custom_role, resource_set) = tokio::try_join!(
        SharedObject::CustomRole.find(okta),
        SharedObject::ResourceSet.find(okta),
    )?;
    let shared = SharedObject::BOTH
        .into_iter()
        .zip([custom_role, resource_set])
        .filter_map(|(kind, id)| Some((kind, id?)))
        .collect();
    Ok(DisconnectObservation {
        app_label: service.app_label.clone(),
        template: observed.template,
        integration,
        app,
        labelled_apps: observed.labelled_apps,
        referenced_client_ids: observed.referenced_client_ids,
        okta_now: observed.okta_now,
        shared,
    })
}

fn show_plan(
    plan: &DisconnectPlan,
    service: &ServiceSettings,
    options: DisconnectOptions,
    ui: &Ui,
) {
    ui.heading(&format!("Plan (disconnect) for {}:", service.domain));
    let steps = plan.steps(&service.app_label, !options.keep_api_token);
    for (n, step) in steps.iter().enumerate() {
        ui.info(&format!("  {}. {step}", n + 1));
    }
    for young in &plan.young {
        ui.info(&format!("  - leave {young}"));
    }
}

/// Default No: with nobody to ask, deleting needs an explicit `--yes`.
fn confirm(options: DisconnectOptions, ui: &Ui) -> Result<(), Failure> {
    if options.assume_yes {
        return Ok(());
    }
    if !ui.can_prompt() {
        return Err(Failure::usage(
            "disconnect deletes the integration and the app: pass --yes to confirm without a prompt (--dry-run shows what would go)",
        ));
    }
    ui.confirm_or_cancel("Delete these?", false, "nothing was deleted")
}

/// Deletes what the plan says, Apono first; an app or object that could not go is a
/// debt in the report.
async fn apply(
    plan: &DisconnectPlan,
    okta: &OktaClient,
    apono: &crate::apono::AponoClient,
    template: &ConfigTemplate,
    report: &mut DisconnectReport,
    ui: &Ui,
    warnings: &Warnings,
) -> Result<(), Failure> {
    if let Some((id, _)) = &plan.integration {
        match apono.delete_integration(id).await {
            Err(e) if !e.is_not_found() => return Err(e.into()),
            _ => ui.done(&format!("deleted the Apono integration {id}")),
        }
    }
    for (app, _) in &plan.apps {
        let words = ("", "disconnect");
        match guard::retire_and_report((okta, apono), template, app, words, ui, warnings).await {
            Ok(true) => report.deleted_app_ids.push(app.id.clone()),
            Ok(false) => {}
            Err(debt) => report.left_behind.push(debt),
        }
    }
    // Shared by every app this tool made: Okta refuses while a client still holds them.
    for (kind, id) in &plan.shared {
        match kind.delete(okta, id).await {
            Err(e) if !e.is_not_found() => {
                warnings.warn(ui, format!("kept the {} ({id}): {e}", kind.describe()));
                report.left_behind.push(format!(
                    "the Okta {} ({id}) was not deleted ({e}): delete it in the Okta admin console once no app uses it",
                    kind.describe()
                ));
            }
            _ => {
                ui.done(&format!("deleted the {} ({id})", kind.describe()));
                report.deleted_least_privilege_ids.push(id.clone());
            }
        }
    }
    Ok(())
}

/// Revokes the Okta token at the end (a failure is a debt in `left_behind`), unless
/// `--keep-api-token`.
async fn revoke_unless_kept(
    okta: &OktaClient,
    service: &ServiceSettings,
    options: DisconnectOptions,
    report: &mut DisconnectReport,
    ui: &Ui,
    warnings: &Warnings,
) {
    if options.keep_api_token {
        warnings.warn(ui, "--keep-api-token: the Okta API token stays valid; revoke it in the Okta admin console when you are done");
        return;
    }
    let pause = crate::settings::poll_interval(&service.http);
    match guard::revoke_and_report(okta, pause, ui, warnings).await {
        Ok(()) => report.api_token_revoked = true,
        Err(left) => report.left_behind.push(left),
    }
}

impl Summary for DisconnectReport {
    fn to_text(&self) -> String {
        let headline = match self.result {
            DisconnectOutcome::Planned => format!(
                "Planned (dry run): disconnect {}; nothing was deleted.",
                self.domain
            ),
            DisconnectOutcome::Unchanged => {
                format!("{} is not connected to Apono; nothing to do.", self.domain)
            }
            _ if self.integration_id.is_none() => format!(
                "Finished disconnecting {}: removed what an earlier run left.",
                self.domain
            ),
            _ => format!("Disconnected {} from Apono.", self.domain),
        };
        let apps = if self.deleted_app_ids.is_empty() {
            "none".to_string()
        } else {
            self.deleted_app_ids.join(", ")
        };
        let token = if self.api_token_revoked {
            "revoked"
        } else {
            "not revoked"
        };
        let mut lines = vec![
            headline,
            format!(
                "  Apono integration  {}",
                self.integration_id.as_deref().unwrap_or("none")
            ),
            format!("  deleted apps       {apps}"),
            format!("  Okta API token     {token}"),
        ];
        if !self.left_behind.is_empty() {
            lines.push("Left behind (needs a person):".to_string());
            lines.extend(self.left_behind.iter().map(|item| format!("  - {item}")));
        }
        lines.join("\n")
    }

    /// 6 when something is left for a person (an app not deleted, a live token).
    fn exit_code(&self) -> u8 {
        debts::exit_code(&self.left_behind, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::config::fallback_template;
    use serde_json::json;

    fn app(id: &str, created: &str) -> App {
        serde_json::from_value(json!({
            "id": id, "name": "oidc_client", "label": "Apono Integration", "status": "ACTIVE",
            "created": created, "credentials": {"oauthClient": {"client_id": id}},
        }))
        .unwrap()
    }

    fn seen(apps: Vec<App>, used: Option<&str>) -> DisconnectObservation {
        let integration: Option<Integration> = used.map(|client_id| {
            serde_json::from_value(json!({
                "id": "int1", "name": "Okta example.okta.com", "type": "okta", "status": "Active",
                "integration_config": {"domain": "example.okta.com", "client_id": client_id},
            }))
            .unwrap()
        });
        DisconnectObservation {
            app_label: "Apono Integration".into(),
            template: fallback_template(&ConfigInputs {
                domain: "example.okta.com".into(),
                ..ConfigInputs::default()
            }),
            app: used.and_then(|id| apps.iter().find(|a| a.id == id).cloned()),
            integration,
            labelled_apps: apps,
            referenced_client_ids: used.map(str::to_string).into_iter().collect(),
            okta_now: humantime::parse_rfc3339("2026-01-01T12:00:00Z").unwrap(),
            shared: vec![(SharedObject::CustomRole, "cr1".into())],
        }
    }

    const OLD: &str = "2026-01-01T00:00:00Z";
    const YOUNG: &str = "2026-01-01T11:55:00Z";

    #[test]
    fn integration_then_its_app_then_leftovers_then_shared_objects() {
        let apps = vec![app("0oaUsed", OLD), app("0oaLeft", OLD)];
        let plan = plan(&seen(apps, Some("0oaUsed")));
        let ids: Vec<(&str, AppRole)> =
            plan.apps.iter().map(|(a, r)| (a.id.as_str(), *r)).collect();
        assert_eq!(
            ids,
            [("0oaUsed", AppRole::Used), ("0oaLeft", AppRole::Leftover)]
        );
        assert_eq!(
            plan.integration,
            Some(("int1".into(), "Okta example.okta.com".into()))
        );
        assert_eq!(plan.shared.len(), 1);
        assert!(plan.young.is_empty());
        let steps = plan.steps("Apono Integration", true);
        assert_eq!(steps.len(), 5);
        assert!(steps[0].starts_with("delete the Apono integration"));
        assert_eq!(steps[4], "revoke the Okta API token used for this run");
    }

    #[test]
    fn a_young_unused_app_is_left_with_its_time_and_keeps_the_shared_objects() {
        let apps = vec![app("0oaUsed", OLD), app("0oaInFlight", YOUNG)];
        let plan = plan(&seen(apps, Some("0oaUsed")));
        assert_eq!(plan.apps.len(), 1, "only the used app goes");
        assert_eq!(plan.young.len(), 1);
        assert!(plan.young[0].contains("0oaInFlight"));
        assert!(
            plan.young[0].contains("after 2026-01-01T12:10:00Z"),
            "{}",
            plan.young[0]
        );
        assert!(
            plan.shared.is_empty(),
            "a connect in flight may hold the custom role"
        );
    }

    #[test]
    fn the_app_apono_uses_goes_however_young() {
        let plan = plan(&seen(vec![app("0oaNew", YOUNG)], Some("0oaNew")));
        assert_eq!(plan.apps.len(), 1);
        assert!(plan.young.is_empty());
    }

    #[test]
    fn nothing_connected_and_nothing_left_is_empty() {
        let mut observation = seen(Vec::new(), None);
        observation.shared.clear();
        let plan = plan(&observation);
        assert!(plan.is_empty());
        assert!(plan.warnings.is_empty());
    }

    #[test]
    fn an_app_apono_used_that_is_gone_is_a_warning() {
        let plan = plan(&seen(Vec::new(), Some("0oaGone")));
        assert!(plan.apps.is_empty());
        assert!(
            plan.warnings[0].contains("client id 0oaGone"),
            "{:?}",
            plan.warnings
        );
    }
}
