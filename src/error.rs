//! Failures as the user sees them: what failed, what was undone, what is left behind,
//! what to do next, and the one mapping from kind of failure to exit code.

use std::fmt;

use crate::http::{ApiError, ServiceName};

/// The documented exit codes (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// 1: anything not covered below.
    Unexpected,
    /// 2: bad usage or a missing input.
    Usage,
    /// 3: Okta rejected the API token or its privileges.
    OktaRejected,
    /// 4: Apono rejected its token.
    AponoRejected,
    /// 5: Apono reported the integration unhealthy, or the wait timed out.
    Unhealthy,
    /// 6: something is left for a person to clean up (listed).
    LeftBehind,
    /// 7: another run changed the org at the same time; this run's work was undone.
    ConcurrentChange,
    /// 130: interrupted (Ctrl-C).
    Interrupted,
}

impl ExitKind {
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Unexpected => 1,
            ExitKind::Usage => 2,
            ExitKind::OktaRejected => 3,
            ExitKind::AponoRejected => 4,
            ExitKind::Unhealthy => 5,
            ExitKind::LeftBehind => 6,
            ExitKind::ConcurrentChange => 7,
            ExitKind::Interrupted => 130,
        }
    }
}

/// A failed command: the message, hints, and the undo report.
#[derive(Debug)]
pub struct Failure {
    pub kind: ExitKind,
    pub message: String,
    /// `hint: ...` lines: what to do next.
    pub hints: Vec<String>,
    /// What this run created or changed and then put back.
    pub undone: Vec<String>,
    /// What the undo could not put back.
    pub left_behind: Vec<String>,
}

impl Failure {
    pub fn new(kind: ExitKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            hints: Vec::new(),
            undone: Vec::new(),
            left_behind: Vec::new(),
        }
    }

    /// The user said no at a confirmation: like Ctrl-C, exit 130 ("interrupted").
    pub fn cancelled(what_happened: &str) -> Failure {
        Failure::new(ExitKind::Interrupted, format!("cancelled; {what_happened}"))
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(ExitKind::Usage, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hints.push(hint.into());
        self
    }

    /// The exit code: 6 whenever something is left behind.
    pub fn exit_code(&self) -> u8 {
        if self.left_behind.is_empty() {
            self.kind.code()
        } else {
            ExitKind::LeftBehind.code()
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<ApiError> for Failure {
    /// 401/403 from Okta is exit 3, from Apono exit 4, with what to do about it.
    fn from(error: ApiError) -> Failure {
        let message = error.to_string();
        match (error.service(), error.is_auth_rejection()) {
            (ServiceName::Okta, true) => Failure::new(ExitKind::OktaRejected, message).with_hint(
                "create a new API token as an Okta super admin (Security > API > Tokens) and pass it with OKTA_API_TOKEN or --okta-api-token-file",
            ),
            (ServiceName::Apono, true) => Failure::new(ExitKind::AponoRejected, message).with_hint(
                "check the Apono personal API token: it must belong to an Apono admin (Apono > Settings > API tokens); pass it with APONO_API_TOKEN or --apono-api-token-file",
            ),
            _ => {
                let failure = Failure::new(ExitKind::Unexpected, message);
                match error.transport_hint() {
                    Some(hint) => failure.with_hint(hint),
                    None => failure,
                }
            }
        }
    }
}
