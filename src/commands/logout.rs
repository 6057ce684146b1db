//! `apono-okta logout`: forgets the Apono token stored in the OS keyring.

use crate::cli::LogoutArgs;
use crate::commands::{Context, Summary};
use crate::error::{ExitKind, Failure};
use crate::{secret, settings};

/// A `logout`'s `result` in `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogoutOutcome {
    Removed,
    NothingStored,
    /// The keyring could not be asked (not there, not answering, or turned off): whether
    /// a token is stored is not known, and nothing was removed.
    KeyringUnavailable,
}

/// What `logout` did.
#[derive(Debug, serde::Serialize)]
pub(crate) struct LogoutReport {
    result: LogoutOutcome,
    keyring_service: &'static str,
    /// The Apono API host the token was stored under.
    account: String,
    /// "the OS keyring could not be reached: ..." (`keyring_unavailable` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
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
            LogoutOutcome::KeyringUnavailable => format!(
                "{}; nothing was removed for {}.",
                capitalized(self.error.as_deref().unwrap_or_default()),
                self.account
            ),
        }
    }

    /// 1 when the keyring could not be asked: not a success (a token may still be
    /// stored), not a usage error, not a service that a retry may reach.
    fn exit_code(&self) -> u8 {
        match self.result {
            LogoutOutcome::KeyringUnavailable => ExitKind::Unexpected.code(),
            LogoutOutcome::Removed | LogoutOutcome::NothingStored => ExitKind::Success.code(),
        }
    }
}

/// `logout`: forgets the Apono token stored for this Apono API host. Exit 0 whether or
/// not one was stored; 1 when the keyring could not be asked (this tool never falls
/// back to a file, but a token stored by an earlier run, with a keyring, may be there).
pub(crate) fn run(args: &LogoutArgs, _cx: &Context) -> Result<LogoutReport, Failure> {
    let apono_url = settings::parse_base_url(&args.apono_url, "--apono-url")?;
    let account = settings::keyring_account(&apono_url);
    let store = settings::token_store(&settings::process_env);
    let (result, error) = match store.delete(&account) {
        Ok(true) => (LogoutOutcome::Removed, None),
        Ok(false) => (LogoutOutcome::NothingStored, None),
        Err(why) => (
            LogoutOutcome::KeyringUnavailable,
            Some(format!(
                "the OS keyring could not be reached: {}",
                why.reason()
            )),
        ),
    };
    Ok(LogoutReport {
        result,
        keyring_service: secret::KEYRING_SERVICE,
        account,
        error,
    })
}

/// `text` with its first letter upper case, to open a sentence.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
