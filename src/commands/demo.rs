//! `apono-okta demo`: the whole connect flow against an in-process sandbox, the README's
//! first command; `--rotate` shows a re-run too.

use std::time::Duration;

use crate::cli::DemoArgs;
use crate::commands::Context;
use crate::connect::{self, ConnectSettings, Report};
use crate::error::Failure;
use crate::secret::Secret;
use crate::ui::{self, Ui};
use crate::{http, settings};
use apono_okta_sandbox::{Sandbox, SandboxOptions};

/// `demo`: the whole connect flow against an in-process sandbox; with `--rotate`, a
/// second run with a freshly minted token rotates to a new app.
pub(crate) fn run(args: &DemoArgs, cx: &Context) -> Result<Report, Failure> {
    cx.block_on(demo(args.rotate, &cx.ui))
}

async fn demo(rotate: bool, ui: &Ui) -> Result<Report, Failure> {
    let sandbox = Sandbox::start(SandboxOptions::default())
        .map_err(|e| Failure::unexpected(format!("cannot start the sandbox: {e}")))?;
    ui::flow_owns_interrupts();
    ui.heading("apono-okta demo: connecting a sandbox Okta org to a sandbox Apono (nothing leaves this machine)");
    ui.info(&format!("  sandbox Okta:  {}", sandbox.okta_url()));
    ui.info(&format!("  sandbox Apono: {}", sandbox.apono_url()));
    let mut report =
        connect::connect(&demo_settings(&sandbox, sandbox.super_admin_token())?, ui).await?;
    if rotate {
        let first_app = report.okta.app_id.clone().unwrap_or_default();
        ui.heading(&format!(
            "\nRotation: that token is revoked, so the demo mints another super admin token (as `{}` does) and connects again",
            sandbox.mint_token_command()
        ));
        report = connect::connect(
            &demo_settings(&sandbox, sandbox.mint_super_admin_token())?,
            ui,
        )
        .await?;
        ui.info(&format!(
            "Rotated: Apono now uses app {}; the previous app {first_app} was {}.",
            report.okta.app_id.as_deref().unwrap_or("?"),
            if report.retired_app_ids.contains(&first_app) {
                "deleted"
            } else {
                "not deleted"
            }
        ));
    }
    let snapshot = sandbox.snapshot();
    ui.info(&format!(
        "The sandbox now holds {} Okta app(s) and {} Apono integration(s); the demo's Okta token is {}.",
        snapshot.okta.apps.len(),
        snapshot.apono.integrations.len(),
        if report.api_token_revoked { "revoked" } else { "still valid" }
    ));
    if !rotate {
        ui.info(
            "To see a rotation (a re-run: new app, previous one deleted): apono-okta demo --rotate",
        );
    }
    Ok(report)
}

fn demo_settings(sandbox: &Sandbox, okta_token: String) -> Result<ConnectSettings, Failure> {
    let secret = |value: String, what: &str| {
        Secret::parse(&value, what).map_err(|e| Failure::unexpected(e.to_string()))
    };
    let okta = settings::parse_okta_target(&sandbox.okta_url()).map_err(Failure::usage)?;
    let apono_url = settings::parse_base_url(&sandbox.apono_url(), "the sandbox Apono URL")?;
    let env = settings::process_env;
    let http = settings::http_settings(&env, None, http::DEFAULT_TIMEOUT);
    let fast_polls = !http.no_retry_delay;
    let mut demo = ConnectSettings::new(
        okta,
        secret(okta_token, "the sandbox Okta token")?,
        (
            apono_url,
            secret(sandbox.apono_token(), "the sandbox Apono token")?,
        ),
        http,
    );
    // Nobody to ask, a sandbox that answers at once, and a short bound on the wait.
    demo.assume_yes = true;
    demo.wait = Some(Duration::from_secs(60));
    if fast_polls {
        demo.poll_interval = Duration::from_millis(400);
    }
    Ok(demo)
}
