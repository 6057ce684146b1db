//! `apono-okta logout`: forgets the Apono token stored in the OS keyring.

use crate::cli::LogoutArgs;
use crate::commands::{Context, Summary};
use crate::error::Failure;
use crate::{secret, settings};

/// A `logout`'s `result` in `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogoutOutcome {
    Removed,
    NothingStored,
}

/// What `logout` did.
#[derive(Debug, serde::Serialize)]
pub struct LogoutReport {
    result: LogoutOutcome,
    keyring_service: &'static str,
    /// The Apono API host the token was stored under.
    account: String,
}

impl Summary for LogoutReport {
    fn to_text(&self) -> String {
        match self.result {
            LogoutOutcome::Removed => format!(
                "Removed the Apono API token stored for {} from the OS keyring.",
                self.account
            ),
            LogoutOutcome::NothingStored => format!(
                "No Apono API token was stored for {} in the OS keyring; nothing to remove.",
                self.account
            ),
        }
    }
}

/// `logout`: forgets the Apono token stored for this Apono API host. Exit 0 whether or
/// not one was stored; an unavailable keyring cannot hold one (this tool never falls
/// back to a file), so that is "nothing stored", with the reason on stderr.
pub(crate) fn run(args: &LogoutArgs, cx: &Context) -> Result<LogoutReport, Failure> {
    let ui = &cx.ui;
    let apono_url = settings::parse_base_url(&args.apono_url, "--apono-url")?;
    let account = settings::keyring_account(&apono_url);
    let store = settings::token_store(&settings::process_env);
    let removed = match store.delete(&account) {
        Ok(removed) => removed,
        Err(why) => {
            ui.info(&format!("note: {why}"));
            false
        }
    };
    Ok(LogoutReport {
        result: if removed {
            LogoutOutcome::Removed
        } else {
            LogoutOutcome::NothingStored
        },
        keyring_service: secret::KEYRING_SERVICE,
        account,
    })
}
