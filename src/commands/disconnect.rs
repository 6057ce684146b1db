//! `apono-okta disconnect`: delete the Apono integration, then deactivate and delete
//! the Okta app it used (DESIGN.md §4). Apono goes first, so it never points at an app
//! that no longer exists. Confirms first (`--yes` in scripts); `--dry-run` only shows.

use serde::Serialize;

use crate::commands::Summary;
use crate::error::{ExitKind, Failure};
use crate::okta::{OktaClient, SERVICE_APP_NAME};
use crate::org::config::ConfigInputs;
use crate::org::guard::{self, AppRef, Retired};
use crate::org::observe;
use crate::org::role::SharedObject;
use crate::settings::ServiceSettings;
use crate::ui::{Ui, Warnings};

/// What `disconnect` should do besides finding things.
#[derive(Debug, Clone, Copy)]
pub struct DisconnectOptions {
    pub dry_run: bool,
    pub assume_yes: bool,
    pub keep_api_token: bool,
}

/// A `disconnect`'s `result` in `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DisconnectOutcome {
    Disconnected,
    /// `--dry-run`: nothing was deleted.
    Planned,
    /// Nothing was connected, and nothing was left to remove.
    Unchanged,
}

/// What `disconnect` did.
#[derive(Debug, Clone, Serialize)]
pub struct DisconnectReport {
    /// `disconnected`, `planned` (`--dry-run`) or `unchanged` (nothing was connected).
    pub result: DisconnectOutcome,
    pub domain: String,
    pub integration_id: Option<String>,
    pub deleted_app_ids: Vec<String>,
    pub api_token_revoked: bool,
    pub warnings: Vec<String>,
    /// What is left for a person to clean up, with what to do (exit 6).
    pub left_behind: Vec<String>,
    /// The ids of the custom role and resource set of least privilege it deleted.
    pub deleted_least_privilege_ids: Vec<String>,
}

impl DisconnectReport {
    /// The human summary for stdout.
    pub fn to_text(&self) -> String {
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
        [
            headline,
            format!(
                "  Apono integration  {}",
                self.integration_id.as_deref().unwrap_or("none")
            ),
            format!("  deleted apps       {apps}"),
            format!(
                "  Okta API token     {}",
                if self.api_token_revoked {
                    "revoked"
                } else {
                    "not revoked"
                }
            ),
        ]
        .into_iter()
        .chain((!self.left_behind.is_empty()).then(|| "Left behind (needs a person):".to_string()))
        .chain(self.left_behind.iter().map(|item| format!("  - {item}")))
        .collect::<Vec<_>>()
        .join("\n")
    }
}

/// Runs `disconnect`.
pub async fn run(
    service: &ServiceSettings,
    options: DisconnectOptions,
    ui: &Ui,
) -> Result<DisconnectReport, Failure> {
    let warnings = Warnings::default();
    let okta = super::okta_client(service)?.ok_or_else(|| {
        Failure::usage(
            "no Okta API token given: set OKTA_API_TOKEN or pass --okta-api-token-file PATH",
        )
    })?;
    let apono = super::apono_client(service)?;
    // The connect preflight: a token that could not delete the app stops here, before
    // anything is written.
    let config = ConfigInputs {
        domain: service.domain.clone(),
        ..ConfigInputs::default()
    };
    let observed = observe::preflight(
        &okta,
        &apono,
        observe::PreflightInputs {
            app_label: &service.app_label,
            integration_type: service.integration_type.as_deref(),
            config: &config,
        },
    )
    .await?;
    observe::show_confirmed_org(&okta, ui);
    let template = &observed.template;
    let integration = observe::org_integration(
        &observed.integrations,
        service.integration_id.as_deref(),
        &service.domain,
    )?;
    let client_id = integration
        .as_ref()
        .and_then(|i| template.client_id_of(&i.integration_config))
        .map(str::to_string);
    let app = match &client_id {
        Some(client_id) => match observed
            .labelled_apps
            .iter()
            .find(|a| a.client_id() == client_id || a.id == *client_id)
        {
            Some(app) => Some(app.clone()),
            None => {
                okta.app_for_client_id(client_id, &service.app_label)
                    .await?
            }
        },
        None => None,
    };
    // Apps a half-done disconnect (or an interrupted connect) left: our label, the
    // service app kind, and no integration of any org uses them.
    let leftovers: Vec<AppRef> = observed
        .labelled_apps
        .iter()
        .filter(|a| a.name == SERVICE_APP_NAME)
        .filter(|a| app.as_ref().is_none_or(|used| used.id != a.id))
        .filter(|a| {
            !observed
                .referenced_client_ids
                .iter()
                .any(|cid| cid == a.client_id() || cid == &a.id)
        })
        .map(AppRef::from)
        .collect();

    // The custom role and resource set of least privilege go after the apps.
    let (custom_role, resource_set) = tokio::try_join!(
        SharedObject::CustomRole.find(&okta),
        SharedObject::ResourceSet.find(&okta),
    )?;
    let shared: Vec<(SharedObject, String)> = SharedObject::BOTH
        .into_iter()
        .zip([custom_role, resource_set])
        .filter_map(|(kind, id)| Some((kind, id?)))
        .collect();

    let mut report = DisconnectReport {
        result: DisconnectOutcome::Unchanged,
        domain: service.domain.clone(),
        integration_id: integration.as_ref().map(|i| i.id.clone()),
        deleted_app_ids: Vec::new(),
        api_token_revoked: false,
        warnings: Vec::new(),
        left_behind: Vec::new(),
        deleted_least_privilege_ids: Vec::new(),
    };
    if integration.is_none() && leftovers.is_empty() && shared.is_empty() {
        ui.info(&format!(
            "Apono has no Okta integration for {}, and no app labelled \"{}\" is left.",
            service.domain, service.app_label
        ));
        // Nothing to delete, but the token this run was given must not stay valid.
        if !options.dry_run {
            revoke_unless_kept(&okta, service, options, &mut report, ui, &warnings).await;
        }
        report.warnings = warnings.list();
        return Ok(report);
    }

    ui.heading(&format!("Plan (disconnect) for {}:", service.domain));
    let mut steps = Vec::new();
    if let Some(integration) = &integration {
        steps.push(format!(
            "delete the Apono integration \"{}\" ({})",
            integration.name, integration.id
        ));
        match (&app, &client_id) {
            (Some(app), _) => steps.push(format!(
                "deactivate and delete the Okta app \"{}\" ({})",
                app.label, app.id
            )),
            (None, Some(client_id)) => warnings.warn(ui, format!(
                "the Okta app Apono used (client id {client_id}) does not exist; only the integration is deleted"
            )),
            (None, None) => warnings.warn(ui, format!(
                "the integration's config has no client id (key \"{}\"), so no Okta app is deleted; check apps labelled \"{}\" in the Okta admin console",
                template.client_id_key, service.app_label
            )),
        }
    }
    steps.extend(leftovers.iter().map(|a| {
        format!(
            "deactivate and delete the app {} (labelled \"{}\", not used by Apono: left by an earlier run)",
            a.id, service.app_label
        )
    }));
    steps.extend(
        shared
            .iter()
            .map(|(kind, id)| format!("delete the {} ({id})", kind.describe())),
    );
    if !options.keep_api_token {
        steps.push("revoke the Okta API token used for this run".into());
    }
    for (n, step) in steps.iter().enumerate() {
        ui.info(&format!("  {}. {step}", n + 1));
    }
    if options.dry_run {
        report.result = DisconnectOutcome::Planned;
        report.warnings = warnings.list();
        return Ok(report);
    }
    if !options.assume_yes {
        // Default No: with nobody to ask, deleting needs an explicit --yes.
        if !ui.can_prompt() {
            return Err(Failure::usage(
                "disconnect deletes the integration and the app: pass --yes to confirm without a prompt (--dry-run shows what would go)",
            ));
        }
        if !ui
            .confirm("Delete these?", false)
            .map_err(|e| crate::settings::prompt_failure(e, "the answer"))?
        {
            return Err(Failure::cancelled("nothing was deleted"));
        }
    }

    // Apono first, so it never points at an app that no longer exists.
    if let Some(integration) = &integration {
        match apono.delete_integration(&integration.id).await {
            Err(e) if !e.is_not_found() => return Err(e.into()),
            _ => ui.done(&format!("deleted the Apono integration {}", integration.id)),
        }
    }
    let apps = app.iter().map(AppRef::from).chain(leftovers);
    for app in apps {
        match guard::retire_unreferenced_app(&okta, &apono, template, &app).await {
            Ok(Retired::Deleted) => {
                ui.done(&format!("deactivated and deleted the Okta app {}", app.id));
                report.deleted_app_ids.push(app.id.clone());
            }
            Ok(Retired::InUse) => warnings.warn(
                ui,
                format!(
                    "kept the Okta app {}: an Apono integration uses it now",
                    app.id
                ),
            ),
            Err(e) => {
                warnings.warn(ui, format!("could not delete the Okta app {}: {e}", app.id));
                report.left_behind.push(format!(
                    "the Okta app {} (no longer used by Apono) was not deleted ({e}): run `apono-okta disconnect` again, or delete it in the Okta admin console",
                    app.id
                ));
            }
        }
    }
    // Shared by every app this tool made: Okta refuses while a client still holds them.
    for (kind, id) in &shared {
        match kind.delete(&okta, id).await {
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
    revoke_unless_kept(&okta, service, options, &mut report, ui, &warnings).await;
    report.result = DisconnectOutcome::Disconnected;
    report.warnings = warnings.list();
    Ok(report)
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
    } else {
        match guard::revoke_token(okta, crate::settings::poll_interval(&service.http)).await {
            Ok(()) => {
                ui.done("revoked the Okta API token");
                report.api_token_revoked = true;
            }
            Err(e) => {
                warnings.warn(ui, format!("could not revoke the Okta API token: {e}"));
                report.left_behind.push(format!(
                    "the Okta API token is still valid ({e}): revoke it in the Okta admin console (Security > API > Tokens)"
                ));
            }
        }
    }
}

impl Summary for DisconnectReport {
    fn to_text(&self) -> String {
        DisconnectReport::to_text(self)
    }
    /// 6 when something is left for a person (an app not deleted, a live token).
    fn exit_code(&self) -> u8 {
        if self.left_behind.is_empty() {
            0
        } else {
            ExitKind::LeftBehind.code()
        }
    }
}
