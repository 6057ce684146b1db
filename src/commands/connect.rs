//! `apono-okta connect`: resolves the inputs (flags, environment, keyring, prompts),
//! runs the flow of [`crate::connect`], and stores the Apono token in the OS keyring.

use crate::cli::ConnectArgs;
use crate::commands::{Context, Summary};
use crate::connect::{self, Report};
use crate::error::{ExitKind, Failure};
use crate::secret::{KeyringError, TokenStore};
use crate::settings;
use crate::ui::{self, Ui};

/// Runs `connect`. The inputs, prompts included, are resolved before the async runtime
/// runs anything (a prompt blocks; it must not block a runtime thread); a token typed at
/// a prompt is checked on it at once.
pub(crate) fn run(args: Box<ConnectArgs>, cx: &Context) -> Result<Report, Failure> {
    let env = settings::process_env;
    let store = settings::token_store(&env);
    let (settings, apono_token_source) =
        settings::resolve_connect(&args, &env, store.as_ref(), &cx.ui, cx.runtime())?;
    cx.block_on(run_resolved(
        &args,
        &settings,
        apono_token_source,
        store.as_ref(),
        &cx.ui,
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
    if !settings.dry_run && !args.no_store {
        store_apono_token(settings, store, ui, &mut report.warnings);
    }
    Ok(report)
}

/// Stores the Apono token for the next run. A keyring turned off says nothing; one
/// that is not there is a warning, shown unless this run said so already (when the
/// token was looked for), and kept once in the report's warnings.
fn store_apono_token(
    settings: &connect::ConnectSettings,
    store: &dyn TokenStore,
    ui: &Ui,
    warnings: &mut Vec<String>,
) {
    let account = settings::keyring_account(&settings.apono_url);
    match store.save(&account, &settings.apono_token) {
        Ok(()) => ui.info(&format!(
            "Stored the Apono token in the OS keyring (service apono-okta, account {account})."
        )),
        Err(KeyringError::Off(_)) => {}
        Err(e) => {
            let warning = format!(
                "could not store the Apono token in the OS keyring: {e}; pass it again next time (nothing was written to disk)"
            );
            if e.is_news() {
                ui.warn(&warning);
            }
            warnings.push(warning);
        }
    }
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
