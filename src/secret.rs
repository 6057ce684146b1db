//! Secrets: the redacted [`Secret`] type and the OS keyring store for the Apono token.
//!
//! A secret is read once (file, stdin, environment, keyring or hidden prompt), checked by
//! [`Secret::parse`], and from then on only [`Secret::expose`] gives the value back: every
//! call site of `expose` is a place where the value leaves the wrapper (an HTTP header or
//! the keyring). `Debug` and `Display` print `[redacted]`, so a secret cannot end up in a
//! log line, an error message, JSON output or a panic by accident.
//!
//! Text a server sends back is another way out: an error summary may quote the token
//! that was sent. So every secret [`Secret::parse`] accepts is also remembered in a
//! process-wide list, and [`redact`] replaces each remembered value with `[redacted]`.
//! It is applied where server text enters an error (`http::status_error`) and again,
//! as a belt, where failures and reports are printed (the output edge, `src/output.rs`).

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// The longest token accepted, in bytes after trimming. Okta and Apono tokens are far
/// shorter; the bound keeps a wrong file (or `/dev/zero`) from becoming a header.
pub(crate) const MAX_SECRET_LEN: usize = 4 * 1024;

/// What [`redact`] puts in place of a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// Every secret value this process accepted, for [`redact`]. Bounded: a handful of
/// tokens of at most [`MAX_SECRET_LEN`] bytes each, never a value twice.
static KNOWN_SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The most secrets remembered for [`redact`]: the oldest is forgotten past it.
const MAX_REMEMBERED: usize = 32;

/// Values shorter than this are not remembered: no real token is this short, and
/// replacing a few common letters would garble every message.
const MIN_REDACTED_LEN: usize = 8;

/// Remembers a secret value so [`redact`] hides it.
fn remember(value: &str) {
    if value.len() < MIN_REDACTED_LEN {
        return;
    }
    let mut known = KNOWN_SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if !known.iter().any(|v| v == value) {
        // A run accepts a handful of tokens; a bound keeps every later line's redaction
        // cheap whatever happens (the property tests accept hundreds).
        if known.len() >= MAX_REMEMBERED {
            known.remove(0);
        }
        known.push(value.to_string());
    }
}

/// `text` with every secret this process accepted replaced by `[redacted]`.
pub(crate) fn redact(text: &str) -> String {
    let mut known = KNOWN_SECRETS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    // Longest first, so a token that contains another is replaced whole.
    known.sort_by_key(|v| std::cmp::Reverse(v.len()));
    known.iter().fold(text.to_string(), |text, secret| {
        text.replace(secret.as_str(), REDACTED)
    })
}

/// A secret string whose `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

/// Why a secret value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum SecretError {
    #[error("{what} is empty")]
    Empty { what: String },
    #[error(
        "{what} is {len} bytes long; a token is at most 4 KiB ({MAX_SECRET_LEN} bytes); is this the right file?"
    )]
    TooLong { what: String, len: usize },
    #[error("{what} spans several lines; expected a single-line token")]
    MultiLine { what: String },
    #[error(
        "{what} contains a character that cannot be part of a token (a space, a control or non-ASCII character, perhaps from copy and paste)"
    )]
    BadCharacter { what: String },
}

impl Secret {
    /// Trims surrounding whitespace and refuses empty, over-long (more than
    /// [`MAX_SECRET_LEN`] bytes) or multi-line values, and any character that is not
    /// visible ASCII. `what` names the secret in the error ("the Okta API token from
    /// OKTA_API_TOKEN"); the error never holds the value. An accepted value is
    /// remembered for [`redact`].
    pub(crate) fn parse(raw: &str, what: &str) -> Result<Secret, SecretError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(SecretError::Empty {
                what: what.to_string(),
            });
        }
        if trimmed.len() > MAX_SECRET_LEN {
            return Err(SecretError::TooLong {
                what: what.to_string(),
                len: trimmed.len(),
            });
        }
        if trimmed.contains(['\n', '\r']) {
            return Err(SecretError::MultiLine {
                what: what.to_string(),
            });
        }
        if !trimmed.chars().all(|c| c.is_ascii_graphic()) {
            return Err(SecretError::BadCharacter {
                what: what.to_string(),
            });
        }
        remember(trimmed);
        Ok(Secret(trimmed.to_string()))
    }

    /// The value itself. Each call marks a place where the secret leaves the wrapper.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The keyring service name under which the Apono token is stored.
pub(crate) const KEYRING_SERVICE: &str = "apono-okta";

/// How long any one keyring call may take before it is given up on. A headless Linux
/// box can hang on D-Bus; the tool must carry on without the keyring rather than wait.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(3);

/// Where the Apono token is kept between runs. A trait so tests and CI can swap the
/// OS keyring for nothing at all (`APONO_OKTA_KEYRING=none`).
pub(crate) trait TokenStore: Send + Sync {
    /// The token stored for this Apono API host, if any.
    fn load(&self, account: &str) -> Result<Option<Secret>, KeyringError>;
    /// Stores the token for this Apono API host.
    fn save(&self, account: &str, token: &Secret) -> Result<(), KeyringError>;
    /// Forgets the token of this Apono API host; `false` when none was stored.
    fn delete(&self, account: &str) -> Result<bool, KeyringError>;
}

/// Why a keyring call did not do what it was asked. Each kind is said differently: a
/// keyring turned off is the user's choice (nothing to say, except to `logout`); one
/// that is not there is said once a run; an error of the keyring itself each time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KeyringError {
    /// Turned off (`APONO_OKTA_KEYRING=none`): not tried.
    #[error("{0}")]
    Off(String),
    /// No keyring on this machine answered (headless Linux with no D-Bus session or
    /// Secret Service, a locked-down CI runner), or it did not answer in time. `first`:
    /// the first such answer of the run, the one to say; later calls are not tried.
    #[error("{}", unavailable_text(.reason))]
    Unavailable { reason: String, first: bool },
    /// The keyring answered with an error of its own.
    #[error("{0}")]
    Failed(String),
}

impl KeyringError {
    /// Whether this error is news to the user: not a keyring turned off on purpose, nor
    /// an unavailable keyring already reported this run.
    pub(crate) fn is_news(&self) -> bool {
        match self {
            KeyringError::Off(_) => false,
            KeyringError::Unavailable { first, .. } => *first,
            KeyringError::Failed(_) => true,
        }
    }

    /// Why, without the way out that [`Display`](std::fmt::Display) adds to an
    /// unavailable keyring ("no Secret Service, Keychain or Credential Manager answered").
    pub(crate) fn reason(&self) -> &str {
        match self {
            KeyringError::Off(reason)
            | KeyringError::Unavailable { reason, .. }
            | KeyringError::Failed(reason) => reason,
        }
    }
}

/// The one line said when no keyring answered: the library's own text
/// (`Platform failure: zbus error: ...`) helps nobody, the way to stop trying does.
fn unavailable_text(reason: &str) -> String {
    format!(
        "the OS keyring is not available on this machine ({reason}); set APONO_OKTA_KEYRING=none to stop trying it (connect --no-store skips storing)"
    )
}

/// Why no keyring answered, when the platform has none that works.
const NO_KEYRING_ANSWERED: &str = "no Secret Service, Keychain or Credential Manager answered";

/// The OS keyring (Keychain, Credential Manager, Secret Service), every call bounded in
/// time. Once it could not be reached, it is not tried again in this run (see
/// [`UNREACHABLE`]).
pub(crate) struct OsKeyring;

/// No keyring at all: loads nothing, refuses to store and says why.
pub(crate) struct NoKeyring {
    pub(crate) reason: String,
}

impl TokenStore for NoKeyring {
    fn load(&self, _account: &str) -> Result<Option<Secret>, KeyringError> {
        Ok(None)
    }
    fn save(&self, _account: &str, _token: &Secret) -> Result<(), KeyringError> {
        Err(KeyringError::Off(self.reason.clone()))
    }
    fn delete(&self, _account: &str) -> Result<bool, KeyringError> {
        Err(KeyringError::Off(self.reason.clone()))
    }
}

impl TokenStore for OsKeyring {
    fn load(&self, account: &str) -> Result<Option<Secret>, KeyringError> {
        let account = account.to_string();
        once_unreachable(&UNREACHABLE, move || {
            let entry = keyring_entry(&account)?;
            match entry.get_password() {
                Ok(value) => Ok(Secret::parse(&value, "the Apono token in the keyring").ok()),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(keyring_error(e)),
            }
        })
    }

    fn save(&self, account: &str, token: &Secret) -> Result<(), KeyringError> {
        let account = account.to_string();
        let token = token.clone();
        once_unreachable(&UNREACHABLE, move || {
            keyring_entry(&account)?
                .set_password(token.expose())
                .map_err(keyring_error)
        })
    }

    fn delete(&self, account: &str) -> Result<bool, KeyringError> {
        let account = account.to_string();
        once_unreachable(&UNREACHABLE, move || {
            match keyring_entry(&account)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring::Error::NoEntry) => Ok(false),
                Err(e) => Err(keyring_error(e)),
            }
        })
    }
}

/// Why the OS keyring could not be reached, once it could not. One process is one run:
/// a keyring that did not answer is not asked again (each try may take
/// [`KEYRING_TIMEOUT`]), and the reason is said once.
static UNREACHABLE: Mutex<Option<String>> = Mutex::new(None);

/// Runs a keyring call on its own thread, bounded by [`KEYRING_TIMEOUT`], unless the
/// keyring is already known to be unreachable (`memo`); an unreachable keyring is
/// remembered there.
fn once_unreachable<T: Send + 'static>(
    memo: &Mutex<Option<String>>,
    call: impl FnOnce() -> Result<T, KeyringError> + Send + 'static,
) -> Result<T, KeyringError> {
    let mut known = memo.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(reason) = known.clone() {
        return Err(KeyringError::Unavailable {
            reason,
            first: false,
        });
    }
    let result = with_timeout(call);
    if let Err(KeyringError::Unavailable { reason, .. }) = &result {
        *known = Some(reason.clone());
    }
    result
}

/// A keyring error: [`KeyringError::Unavailable`] when the platform store cannot be
/// reached at all, else the library's text.
fn keyring_error(error: keyring::Error) -> KeyringError {
    match error {
        keyring::Error::NoDefaultStore
        | keyring::Error::PlatformFailure(_)
        | keyring::Error::NoStorageAccess(_) => KeyringError::Unavailable {
            reason: NO_KEYRING_ANSWERED.to_string(),
            first: true,
        },
        other => KeyringError::Failed(other.to_string()),
    }
}

fn keyring_entry(account: &str) -> Result<keyring::Entry, KeyringError> {
    keyring::Entry::new(KEYRING_SERVICE, account).map_err(keyring_error)
}

/// Runs a keyring call on its own thread and gives up after [`KEYRING_TIMEOUT`].
/// The thread is left to finish (or hang) on its own; it holds no lock of ours.
fn with_timeout<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, KeyringError> + Send + 'static,
) -> Result<T, KeyringError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(call());
    });
    receiver.recv_timeout(KEYRING_TIMEOUT).unwrap_or_else(|_| {
        Err(KeyringError::Unavailable {
            reason: format!("it did not answer within {}s", KEYRING_TIMEOUT.as_secs()),
            first: true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::is_unsafe;
    use proptest::prelude::*;

    #[test]
    fn an_unavailable_keyring_is_one_line_naming_the_way_out() {
        let error = keyring_error(keyring::Error::NoDefaultStore);
        let message = error.to_string();
        assert!(
            message
                .starts_with("the OS keyring is not available on this machine (no Secret Service"),
            "{message}"
        );
        assert!(!message.contains('\n'));
        assert!(message.contains("--no-store") && message.contains("APONO_OKTA_KEYRING=none"));
        assert!(error.is_news());
        assert_eq!(
            keyring_error(keyring::Error::NoEntry),
            KeyringError::Failed(keyring::Error::NoEntry.to_string())
        );
        assert!(!KeyringError::Off("turned off".into()).is_news());
    }

    #[test]
    fn an_unreachable_keyring_is_tried_and_said_once() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let memo = Mutex::new(None);
        let tries = Arc::new(AtomicUsize::new(0));
        let call = || {
            let tries = tries.clone();
            move || -> Result<(), KeyringError> {
                tries.fetch_add(1, Ordering::SeqCst);
                Err(keyring_error(keyring::Error::NoDefaultStore))
            }
        };
        let first = once_unreachable(&memo, call()).unwrap_err();
        assert!(first.is_news());
        let second = once_unreachable(&memo, call()).unwrap_err();
        assert!(!second.is_news());
        assert_eq!(second.to_string(), first.to_string());
        assert_eq!(tries.load(Ordering::SeqCst), 1, "tried again");
        // An error of the keyring itself is not remembered: the next call tries again.
        let memo = Mutex::new(None);
        let failed = || Err::<(), _>(KeyringError::Failed("locked".into()));
        assert!(once_unreachable(&memo, failed).unwrap_err().is_news());
        assert_eq!(*memo.lock().unwrap(), None);
    }

    #[test]
    fn redacts_in_debug_and_display() {
        let secret = Secret::parse("  00abc\n", "token").unwrap();
        assert_eq!(secret.expose(), "00abc");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
    }

    #[test]
    fn refuses_empty_and_multi_line() {
        assert_eq!(
            Secret::parse(" \n", "the token").unwrap_err().to_string(),
            "the token is empty"
        );
        assert!(matches!(
            Secret::parse("a\nb", "t"),
            Err(SecretError::MultiLine { .. })
        ));
        assert!(matches!(
            Secret::parse("00ab\u{200b}cd", "t"),
            Err(SecretError::BadCharacter { .. })
        ));
        assert!(matches!(
            Secret::parse("a b", "t"),
            Err(SecretError::BadCharacter { .. })
        ));
        assert!(matches!(
            Secret::parse("t\u{e9}st", "t"),
            Err(SecretError::BadCharacter { .. })
        ));
    }

    #[test]
    fn bounds_the_length() {
        let longest = "a".repeat(MAX_SECRET_LEN);
        assert!(Secret::parse(&format!(" {longest}\n"), "t").is_ok());
        let error = Secret::parse(&format!("{longest}b"), "the token").unwrap_err();
        assert!(matches!(error, SecretError::TooLong { len: 4097, .. }));
        assert!(!error.to_string().contains("aaaa"));
    }

    #[test]
    fn redacts_accepted_secrets_in_text() {
        let short = Secret::parse("unit-redact-token", "t").unwrap();
        let long = Secret::parse("unit-redact-token-longer", "t").unwrap();
        assert_eq!(
            redact("got unit-redact-token-longer, then unit-redact-token."),
            "got [redacted], then [redacted]."
        );
        assert_eq!(redact("nothing secret"), "nothing secret");
        // A refused value is not remembered: it never reached a request.
        let _ = Secret::parse("unit refused token", "t");
        assert_eq!(redact("unit refused token"), "unit refused token");
        drop((short, long));
    }

    proptest! {
        /// Any input: an accepted token is the input trimmed, at most 4 KiB of visible
        /// ASCII, and prints as `[redacted]`; a refusal is short, inert, and about the
        /// value's name only.
        #[test]
        fn any_input_is_a_bounded_token_or_an_inert_refusal(
            raw in prop_oneof![
                any::<String>(),
                "[ -~\t\n\r]{0,80}",
                "[!-~]{4090,4100}",
                "\\s{0,3}00[A-Za-z0-9_-]{20,60}\\s{0,3}",
            ],
        ) {
            match Secret::parse(&raw, "the token") {
                Ok(secret) => {
                    prop_assert_eq!(secret.expose(), raw.trim());
                    prop_assert!(secret.expose().len() <= MAX_SECRET_LEN);
                    prop_assert!(secret.expose().chars().all(|c| c.is_ascii_graphic()));
                    prop_assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
                }
                Err(error) => {
                    let message = error.to_string();
                    prop_assert!(message.starts_with("the token "), "{message}");
                    prop_assert!(message.len() <= 200, "{message}");
                    prop_assert!(!message.chars().any(is_unsafe), "{message:?}");
                }
            }
        }

        /// A refused token is never in its error: a pasted token with a stray space,
        /// control or bidirectional character, a second line, or one byte too many.
        #[test]
        fn a_refused_token_is_never_in_its_error(
            head in "00[A-Za-z0-9]{20,40}",
            flaw in prop_oneof![
                Just(" ".to_string()),
                Just("\n00".to_string()),
                Just("\u{1b}[2J".to_string()),
                Just("\u{202e}".to_string()),
                Just("\u{e9}".to_string()),
                Just("a".repeat(MAX_SECRET_LEN)),
            ],
            tail in "[A-Za-z0-9]{1,10}",
        ) {
            let raw = format!("{head}{flaw}{tail}");
            let message = Secret::parse(&raw, "the token").unwrap_err().to_string();
            // No run of 22 letters and digits is in any message of ours but the value's.
            prop_assert!(!message.contains(&head), "{message}");
        }
    }
}
