//! Failures as the user sees them: why (a typed [`Cause`] that keeps the service's
//! error), what failed, what was undone, what is left behind, what to do next, and the
//! one mapping from cause to exit code and hint.

use std::fmt;

use crate::http::{ApiError, ClientError, ServiceName};

/// The documented exit codes (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitKind {
    /// 0: success.
    Success,
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
    /// 8: Okta or Apono could not be reached (DNS, refused, TLS, proxy, time-out), or the
    /// Okta URL is not an Okta org. A CI job may retry.
    Unreachable,
    /// 130: interrupted (Ctrl-C).
    Interrupted,
}

impl ExitKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            ExitKind::Success => 0,
            ExitKind::Unexpected => 1,
            ExitKind::Usage => 2,
            ExitKind::OktaRejected => 3,
            ExitKind::AponoRejected => 4,
            ExitKind::Unhealthy => 5,
            ExitKind::LeftBehind => 6,
            ExitKind::ConcurrentChange => 7,
            ExitKind::Unreachable => 8,
            ExitKind::Interrupted => 130,
        }
    }
}

/// Why a command failed, typed until the edge: [`Failure::exit_code`] is the one place
/// that turns it into an exit code, and a service's error keeps its [`ApiError`] (so a
/// 401 from Okta is exit 3 and from Apono exit 4 however deep it was raised).
#[derive(Debug)]
pub(crate) enum Cause {
    /// A service answered with an error, or could not be reached.
    Api(Box<ApiError>),
    /// An HTTP client could not be set up (a URL the https rule refuses, a bad
    /// `--ca-bundle`).
    Client(Box<ClientError>),
    /// Bad usage or a missing input.
    Usage,
    /// The Okta token's owner lacks the privileges (not a super admin).
    OktaPrivileges,
    /// Apono reported the integration unhealthy, or the wait ran out.
    Unhealthy,
    /// Another run changed the org at the same time.
    ConcurrentChange,
    /// Ctrl-C.
    Interrupted,
    /// "no" at a confirmation: the user's own choice, said as a plain statement; exits
    /// as an interruption does.
    Cancelled,
    /// Anything else: a bug, or a state the plan says cannot happen.
    Unexpected,
}

impl Cause {
    /// The exit code's kind (DESIGN.md §3, "Exit codes").
    pub(crate) fn exit_kind(&self) -> ExitKind {
        match self {
            Cause::Api(e) if e.is_unreachable() => ExitKind::Unreachable,
            Cause::Api(e) => match (e.service(), e.is_auth_rejection()) {
                (ServiceName::Okta, true) => ExitKind::OktaRejected,
                (ServiceName::Apono, true) => ExitKind::AponoRejected,
                _ => ExitKind::Unexpected,
            },
            Cause::Client(_) | Cause::Usage => ExitKind::Usage,
            Cause::OktaPrivileges => ExitKind::OktaRejected,
            Cause::Unhealthy => ExitKind::Unhealthy,
            Cause::ConcurrentChange => ExitKind::ConcurrentChange,
            Cause::Interrupted | Cause::Cancelled => ExitKind::Interrupted,
            Cause::Unexpected => ExitKind::Unexpected,
        }
    }

    /// What to do about it, for the causes that always call for the same thing.
    fn hint(&self) -> Option<String> {
        match self {
            Cause::Api(e) if matches!(**e, ApiError::NotOktaOrg { .. }) => Some(
                "check --okta-url: it must be your Okta org's URL (https://example.okta.com, as in the admin console's user menu) or one of its custom domains".into(),
            ),
            Cause::Api(e) => match (e.service(), e.is_auth_rejection()) {
                (ServiceName::Okta, true) => Some(
                    "create a new API token as an Okta super admin (Security > API > Tokens) and pass it with OKTA_API_TOKEN or --okta-api-token-file".into(),
                ),
                (ServiceName::Apono, true) => Some(
                    "check the Apono personal API token: it must belong to an Apono admin (Apono > Settings > API tokens); pass it with APONO_API_TOKEN or --apono-api-token-file".into(),
                ),
                _ => e.transport_hint(),
            },
            _ => None,
        }
    }
}

/// A failed command: why, the message, hints, and the undo report.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) cause: Cause,
    pub(crate) message: String,
    /// `hint: ...` lines: what to do next.
    pub(crate) hints: Vec<String>,
    /// What this run created or changed and then put back.
    pub(crate) undone: Vec<String>,
    /// What the undo could not put back.
    pub(crate) left_behind: Vec<String>,
    /// A second Ctrl-C stopped the undo: exit 130 even with something left behind.
    pub(crate) interrupted_undo: bool,
}

impl Failure {
    fn with_cause(cause: Cause, message: impl Into<String>) -> Failure {
        Failure {
            cause,
            message: message.into(),
            hints: Vec::new(),
            undone: Vec::new(),
            left_behind: Vec::new(),
            interrupted_undo: false,
        }
    }

    /// A usage error or a missing input (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure::with_cause(Cause::Usage, message)
    }

    /// The Okta token's owner lacks the privileges (exit 3).
    pub(crate) fn okta_privileges(message: impl Into<String>) -> Failure {
        Failure::with_cause(Cause::OktaPrivileges, message)
    }

    /// Apono reported the integration unhealthy, or the wait ran out (exit 5).
    pub(crate) fn unhealthy(message: impl Into<String>) -> Failure {
        Failure::with_cause(Cause::Unhealthy, message)
    }

    /// Another run changed the org (exit 7).
    pub(crate) fn concurrent_change(message: impl Into<String>) -> Failure {
        Failure::with_cause(Cause::ConcurrentChange, message)
    }

    /// Ctrl-C (exit 130).
    pub(crate) fn interrupted(message: impl Into<String>) -> Failure {
        Failure::with_cause(Cause::Interrupted, message)
    }

    /// The user said no at a confirmation: like Ctrl-C, exit 130. The message is a
    /// sentence of its own ("Cancelled: nothing was changed."), not an error.
    pub(crate) fn cancelled(what_happened: &str) -> Failure {
        Failure::with_cause(Cause::Cancelled, format!("Cancelled: {what_happened}."))
    }

    /// The user said no at a confirmation ([`Failure::cancelled`]).
    pub(crate) fn is_cancelled(&self) -> bool {
        matches!(self.cause, Cause::Cancelled)
    }

    /// Anything else (exit 1).
    pub(crate) fn unexpected(message: impl Into<String>) -> Failure {
        Failure::with_cause(Cause::Unexpected, message)
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hints.push(hint.into());
        self
    }

    /// The one JSON object of a failed command (`--json`).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "result": "failed",
            "exit_code": self.exit_code(),
            "error": self.message,
            "undone": self.undone,
            "left_behind": self.left_behind,
        })
    }

    /// The exit code: 130 when a Ctrl-C stopped the undo, else 6 whenever something is
    /// left behind, else the cause's.
    pub(crate) fn exit_code(&self) -> u8 {
        if self.interrupted_undo {
            ExitKind::Interrupted.code()
        } else if self.left_behind.is_empty() {
            self.cause.exit_kind().code()
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

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Cause::Api(e) => Some(e.as_ref()),
            Cause::Client(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<ApiError> for Failure {
    /// Keeps the error; its exit code and hint follow from it (see [`Cause`]).
    fn from(error: ApiError) -> Failure {
        let message = error.to_string();
        let cause = Cause::Api(Box::new(error));
        let hints = cause.hint().into_iter().collect();
        Failure {
            hints,
            ..Failure::with_cause(cause, message)
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Failure {
        let message = error.to_string();
        Failure::with_cause(Cause::Client(Box::new(error)), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::StatusError;
    use reqwest::{Method, StatusCode};

    fn answered(service: ServiceName, status: u16) -> Failure {
        Failure::from(ApiError::Status(Box::new(StatusError {
            service,
            method: Method::GET,
            path: "/x".into(),
            status: StatusCode::from_u16(status).unwrap(),
            code: None,
            summary: String::new(),
            request_id: None,
        })))
    }

    #[test]
    fn one_mapping_from_cause_to_exit_code() {
        assert_eq!(answered(ServiceName::Okta, 401).exit_code(), 3);
        assert_eq!(answered(ServiceName::Okta, 403).exit_code(), 3);
        assert_eq!(answered(ServiceName::Apono, 401).exit_code(), 4);
        assert_eq!(answered(ServiceName::Apono, 500).exit_code(), 1);
        let insecure = Failure::from(ClientError::Insecure("http://example.com".into()));
        assert_eq!(insecure.exit_code(), 2);
        assert_eq!(Failure::usage("x").exit_code(), 2);
        assert_eq!(Failure::okta_privileges("x").exit_code(), 3);
        assert_eq!(Failure::unhealthy("x").exit_code(), 5);
        assert_eq!(Failure::concurrent_change("x").exit_code(), 7);
        let cancelled = Failure::cancelled("nothing was changed");
        assert_eq!(cancelled.exit_code(), 130);
        assert_eq!(cancelled.message, "Cancelled: nothing was changed.");
        assert!(cancelled.is_cancelled() && !Failure::interrupted("x").is_cancelled());
        let not_okta = Failure::from(ApiError::NotOktaOrg {
            service: ServiceName::Okta,
            url: "https://login.acme.com".into(),
            answered: "GET /.well-known/okta-organization answered 404".into(),
        });
        assert_eq!(not_okta.exit_code(), 8);
        assert_eq!(
            not_okta.message,
            "https://login.acme.com is not an Okta org: GET /.well-known/okta-organization answered 404"
        );
        assert!(not_okta.hints[0].starts_with("check --okta-url"));
        let mut debt = Failure::unhealthy("x");
        debt.left_behind.push("an app".into());
        assert_eq!(debt.exit_code(), 6, "anything left behind wins");
        // The hint follows from the kept error.
        assert!(answered(ServiceName::Okta, 401).hints[0].contains("super admin"));
    }
}
