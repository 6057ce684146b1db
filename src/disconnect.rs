//! `apono-okta disconnect`: delete the Apono integration, then deactivate and delete
//! the Okta app it used (DESIGN.md §4). Apono goes first, so it never points at an app
//! that no longer exists. Confirms first (`--yes` in scripts); `--dry-run` only shows.

use serde::Serialize;

use crate::error::{ExitKind, Failure};
use crate::settings::ServiceSettings;
use crate::ui::Ui;

/// What `disconnect` should do besides finding things.
#[derive(Debug, Clone, Copy)]
pub struct DisconnectOptions {
    pub dry_run: bool,
    pub assume_yes: bool,
    pub keep_api_token: bool,
}

/// What `disconnect` did.
#[derive(Debug, Clone, Serialize)]
pub struct DisconnectReport {
    /// `disconnected`, `planned` (`--dry-run`) or `unchanged` (nothing was connected).
    pub result: String,
    pub domain: String,
    pub integration_id: Option<String>,
    pub deleted_app_ids: Vec<String>,
    pub api_token_revoked: bool,
    pub warnings: Vec<String>,
}

impl DisconnectReport {
    /// The human summary for stdout.
    pub fn to_text(&self) -> String {
        let headline = match self.result.as_str() {
            "planned" => format!(
                "Planned (dry run): disconnect {}; nothing was deleted.",
                self.domain
            ),
            "unchanged" => format!("{} is not connected to Apono; nothing to do.", self.domain),
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
        .join("\n")
    }
}

/// Runs `disconnect`.
pub async fn disconnect(
    service: &ServiceSettings,
    options: DisconnectOptions,
    ui: &Ui,
) -> Result<DisconnectReport, Failure> {
    let okta = service.okta_client()?.ok_or_else(|| {
        Failure::usage(
            "no Okta API token given: set OKTA_API_TOKEN or pass --okta-api-token-file PATH",
        )
    })?;
    let apono = service.apono_client()?;
    let (template, integration) = service.org_integration(&apono).await?;
    let mut report = DisconnectReport {
        result: "unchanged".into(),
        domain: service.domain.clone(),
        integration_id: integration.as_ref().map(|i| i.id.clone()),
        deleted_app_ids: Vec::new(),
        api_token_revoked: false,
        warnings: Vec::new(),
    };
    let Some(integration) = integration else {
        ui.info(&format!(
            "Apono has no Okta integration for {}.",
            service.domain
        ));
        return Ok(report);
    };
    let client_id = template
        .client_id_of(&integration.integration_config)
        .map(str::to_string);
    let app = match &client_id {
        Some(client_id) => {
            okta.app_for_client_id(client_id, &service.app_label)
                .await?
        }
        None => None,
    };

    ui.heading(&format!("Plan (disconnect) for {}:", service.domain));
    ui.info(&format!(
        "  1. delete the Apono integration \"{}\" ({})",
        integration.name, integration.id
    ));
    match &app {
        Some(app) => ui.info(&format!("  2. deactivate and delete the Okta app \"{}\" ({})", app.label, app.id)),
        None => ui.warn(&match &client_id {
            Some(client_id) => format!(
                "the Okta app Apono used (client id {client_id}) does not exist; only the integration is deleted"
            ),
            None => format!(
                "the integration's config has no client id (key \"{}\"), so no Okta app is deleted; check apps labelled \"{}\" in the Okta admin console",
                template.client_id_key, service.app_label
            ),
        }),
    }
    if !options.keep_api_token {
        ui.info("  then revoke the Okta API token used for this run");
    }
    if options.dry_run {
        report.result = "planned".into();
        report.warnings = ui.warnings();
        return Ok(report);
    }
    if ui.can_prompt()
        && !options.assume_yes
        && !ui
            .confirm("Delete these?", false)
            .map_err(|e| crate::settings::prompt_failure(e, "the answer"))?
    {
        return Err(Failure::new(
            ExitKind::Unexpected,
            "cancelled; nothing was deleted",
        ));
    }

    apono.delete_integration(&integration.id).await?;
    ui.done(&format!("deleted the Apono integration {}", integration.id));
    if let Some(app) = &app {
        let retired = async {
            if app.is_active() {
                okta.deactivate_app(&app.id).await?;
            }
            okta.delete_app(&app.id).await
        };
        if let Err(e) = retired.await {
            let mut failure = Failure::from(e);
            failure.undone.clear();
            failure.left_behind.push(format!(
                "Okta app {} (no longer used by Apono): delete it in the Okta admin console",
                app.id
            ));
            return Err(failure);
        }
        ui.done(&format!("deactivated and deleted the Okta app {}", app.id));
        report.deleted_app_ids.push(app.id.clone());
    }
    if options.keep_api_token {
        ui.warn("--keep-api-token: the Okta API token stays valid; revoke it in the Okta admin console when you are done");
    } else {
        match okta.revoke_current_token().await {
            Ok(()) => {
                ui.done("revoked the Okta API token");
                report.api_token_revoked = true;
            }
            Err(e) => ui.warn(&format!(
                "could not revoke the Okta API token: {e}; revoke it in the Okta admin console"
            )),
        }
    }
    report.result = "disconnected".into();
    report.warnings = ui.warnings();
    Ok(report)
}
