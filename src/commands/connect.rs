//! `apono-okta connect`: resolves the inputs (flags, environment, keyring, prompts),
//! runs the flow of [`crate::connect`], and stores the Apono token in the OS keyring.

use crate::cli::ConnectArgs;
use crate::commands::Summary;
use crate::connect::{self, Report};
use crate::error::{ExitKind, Failure};
use crate::secret::TokenStore;
use crate::settings;
use crate::ui::{self, Ui};

/// Runs `connect`. The inputs, prompts included, are resolved before the async runtime
/// runs anything (a prompt blocks; it must not block a runtime thread); a token typed at
/// a prompt is checked on it at once.
pub fn run(
    args: Box<ConnectArgs>,
    runtime: &tokio::runtime::Runtime,
    ui: &Ui,
) -> Result<Report, Failure> {
    let env = settings::process_env;
    let store = settings::token_store(&env);
    let (settings, apono_token_source) =
        settings::resolve_connect(&args, &env, store.as_ref(), ui, runtime)?;
    runtime.block_on(run_resolved(
        &args,
        &settings,
        apono_token_source,
        store.as_ref(),
        ui,
    ))
}

async fn run_resolved(
    args: &ConnectArgs,
    settings: &connect::ConnectSettings,
    apono_token_source: settings::AponoTokenSource,
    store: &dyn TokenStore,
    ui: &Ui,
) -> Result<Report, Failure> {
    // From here on the flow undoes its own work on Ctrl-C.
    ui::flow_owns_interrupts();
    let mut report = connect::connect(settings, ui)
        .await
        .map_err(|f| apono_token_source.explain(f))?;
    if !settings.dry_run {
        if args.no_store {
            ui.info("The Apono token was not stored (--no-store).");
        } else {
            let account = settings::keyring_account(&settings.apono_url);
            match store.save(&account, &settings.apono_token) {
                Ok(()) => ui.info(&format!("Stored the Apono token in the OS keyring (service apono-okta, account {account}).")),
                Err(e) => {
                    let warning = format!(
                        "could not store the Apono token in the OS keyring: {e}; pass it again next time (nothing was written to disk)"
                    );
                    ui.warn(&warning);
                    report.warnings.push(warning);
                }
            }
        }
    }
    Ok(report)
}

impl Summary for Report {
    fn to_text(&self) -> String {
        Report::to_text(self)
    }
    /// 6 when the run connected but left something for a person (DESIGN.md §3).
    fn exit_code(&self) -> u8 {
        if self.left_behind.is_empty() {
            0
        } else {
            ExitKind::LeftBehind.code()
        }
    }
}
