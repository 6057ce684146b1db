//! What an API call returns when it fails ([`ApiError`], with [`StatusError`] for a
//! non-success answer), what setting up a client can fail with ([`ClientError`]), and the
//! reading of an error's body: Okta's and Apono's error shapes, redacted and cut before
//! anything of them is kept ([`status_error`]).

use std::fmt;
use std::time::SystemTime;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::limits::MAX_BODY;
use super::{ServiceName, header_str};
use crate::output::{server_causes, server_text};

/// Why an HTTP client could not be set up (before any request).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    /// The base URL breaks the https rule (see `check_secure_url`).
    #[error("{0}")]
    Insecure(String),
    #[error("cannot read --ca-bundle {}: {source}", path.display())]
    CaBundleRead {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("--ca-bundle {} is not a PEM certificate bundle: {source}", path.display())]
    CaBundleParse {
        path: std::path::PathBuf,
        source: reqwest::Error,
    },
    #[error("--ca-bundle {} holds no certificate", path.display())]
    CaBundleEmpty { path: std::path::PathBuf },
    #[error("cannot set up the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// An error answered by a service, or the failure to reach it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// The service answered with a non-success status.
    #[error("{0}")]
    Status(Box<StatusError>),
    /// The request never got an answer (connection refused or dropped, timeout, TLS).
    #[error("{service} could not be reached ({method} {path}): {detail}")]
    Transport {
        service: ServiceName,
        method: Method,
        path: String,
        detail: String,
        /// The request may have reached the service (the connection was up): a write
        /// may have happened, or may still happen.
        maybe_delivered: bool,
    },
    /// The answer was not what the reference document says it is.
    #[error("{service} answered {method} {path} with a body this tool cannot read: {detail}")]
    Decode {
        service: ServiceName,
        method: Method,
        path: String,
        detail: String,
    },
    /// A paginated list could not be read whole: its pages loop, or there are more than
    /// [`MAX_PAGES`](super::MAX_PAGES). An error rather than a short list, which would hide apps or
    /// integrations from a plan.
    #[error("{service}'s list {list} could not be read whole: {detail}")]
    UnfinishedList {
        service: ServiceName,
        /// The list's path, without query (`/api/v1/apps`).
        list: String,
        detail: String,
    },
    /// A 429 whose reset lies beyond what `--timeout` leaves.
    #[error(
        "{service} is rate-limiting {method} {path} until {}, beyond what --timeout and the retries allow: retry after it{}",
        describe_reset(*reset),
        request_id.as_ref().map(|id| format!(" (request id {id})")).unwrap_or_default()
    )]
    RateLimited {
        service: ServiceName,
        method: Method,
        path: String,
        /// `X-Rate-Limit-Reset`, the service's own time.
        reset: Option<SystemTime>,
        request_id: Option<String>,
    },
    /// The answer was longer than `MAX_BODY` (16 MiB), or the answers being read at once
    /// together longer than this tool holds.
    #[error(
        "{service} answered {method} {path} with more than {} MiB; refusing to read it",
        MAX_BODY / (1024 * 1024)
    )]
    TooLarge {
        service: ServiceName,
        method: Method,
        path: String,
    },
    /// A `Link` header pointed to another origin; the token is not sent there.
    #[error(
        "{service} sent a pagination link to another origin ({link}); refusing to follow it with the token"
    )]
    ForeignLink { service: ServiceName, link: String },
    /// The Okta URL's host did not answer as an Okta org (DESIGN.md §3.2): its org
    /// metadata was missing or wrong, so the token was not sent. Exit 8, like a host
    /// that cannot be reached.
    #[error("{url} is not an Okta org: {answered}")]
    NotOktaOrg {
        service: ServiceName,
        /// The origin given (`https://login.acme.com`).
        url: String,
        /// What it answered instead of the org metadata.
        answered: String,
    },
}

/// A non-success answer, with what support needs to find it.
#[derive(Debug)]
pub(crate) struct StatusError {
    pub(crate) service: ServiceName,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) status: StatusCode,
    /// Okta's `errorCode` (`E0000011`) or Apono's `error_code`.
    pub(crate) code: Option<String>,
    /// Okta's `errorSummary` plus causes, Apono's `error_details`, or the plain text.
    pub(crate) summary: String,
    /// `X-Okta-Request-Id`, what Okta support asks for.
    pub(crate) request_id: Option<String>,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered {}", self.service, self.status.as_u16())?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, " to {} {}", self.method, self.path)?;
        if !self.summary.is_empty() {
            write!(f, ": {}", self.summary)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// The HTTP status, when the service answered.
    pub(crate) fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::Status(e) => Some(e.status),
            _ => None,
        }
    }

    /// The service's error code (`E0000090`), when it gave one.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            ApiError::Status(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// Which service this error came from.
    pub(crate) fn service(&self) -> ServiceName {
        match self {
            ApiError::Status(e) => e.service,
            ApiError::Transport { service, .. }
            | ApiError::RateLimited { service, .. }
            | ApiError::TooLarge { service, .. }
            | ApiError::Decode { service, .. }
            | ApiError::UnfinishedList { service, .. }
            | ApiError::ForeignLink { service, .. }
            | ApiError::NotOktaOrg { service, .. } => *service,
        }
    }

    /// 401 or 403: the token is wrong, revoked, or lacks the rights.
    pub(crate) fn is_auth_rejection(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// The request may have reached the service but its answer never came (dropped,
    /// timed out): a write may have happened, or may still happen a little later.
    pub(crate) fn answer_lost(&self) -> bool {
        matches!(
            self,
            ApiError::Transport {
                maybe_delivered: true,
                ..
            }
        )
    }

    /// The service could not be reached (DNS, refused, TLS, proxy, time-out), or the Okta
    /// URL is not an Okta org: exit 8.
    pub(crate) fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ApiError::Transport { .. } | ApiError::RateLimited { .. } | ApiError::NotOktaOrg { .. }
        )
    }

    /// 404.
    pub(crate) fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }
}

/// A reset time for a message: `2026-12-04T15:38:47Z (X-Rate-Limit-Reset)`.
fn describe_reset(reset: Option<SystemTime>) -> String {
    match reset {
        Some(time) => format!(
            "{} (X-Rate-Limit-Reset)",
            humantime::format_rfc3339_seconds(time)
        ),
        None => "an unknown time (no X-Rate-Limit-Reset)".to_string(),
    }
}

pub(super) fn status_error(
    service: ServiceName,
    method: Method,
    path: String,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> StatusError {
    let request_id = header_str(headers, "x-okta-request-id").map(|id| server_text(&id));
    // Server text may quote a token back: redact before anything is kept, and before it
    // is cut, so no part of a token survives the cut either.
    let (code, summary) = match serde_json::from_slice::<Value>(body) {
        Ok(json) => {
            let (code, summary) = read_error_body(&json);
            (code.map(|code| server_text(&code)), summary)
        }
        Err(_) => (None, server_text(&String::from_utf8_lossy(body))),
    };
    StatusError {
        service,
        method,
        path,
        status,
        code,
        summary,
        request_id,
    }
}

/// Reads Okta's `{errorCode, errorSummary, errorCauses}` or Apono's
/// `{error_code, error_details}` / `{status, code}`.
fn read_error_body(json: &Value) -> (Option<String>, String) {
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_string);
    if let Some(code) = text("errorCode") {
        let mut summary = server_text(&text("errorSummary").unwrap_or_default());
        let causes = json
            .get("errorCauses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("errorSummary").and_then(Value::as_str));
        let causes = server_causes(causes);
        if !causes.is_empty() {
            summary = format!("{summary} ({causes})");
        }
        return (Some(code), summary);
    }
    if let Some(code) = text("error_code").or_else(|| json.get("error_code").map(Value::to_string))
    {
        let details = text("error_details").or_else(|| text("message"));
        return (Some(code), server_text(&details.unwrap_or_default()));
    }
    let code = json
        .get("code")
        .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string));
    let summary = text("status")
        .or_else(|| text("message"))
        .or_else(|| text("error"))
        .unwrap_or_else(|| json.to_string());
    (code, server_text(&summary))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, json};

    use super::*;
    use crate::http::strategies::{json_value, wild_text};
    use crate::output::{MAX_CAUSES, MAX_SERVER_TEXT};
    use crate::secret::Secret;

    /// What [`status_error`] keeps of a 400 answered with `body`.
    fn answered(body: &[u8]) -> StatusError {
        status_error(
            ServiceName::Okta,
            Method::GET,
            "/api/v1/users/me".into(),
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body,
        )
    }

    #[test]
    fn server_text_is_redacted() {
        let token = Secret::parse("00unitHttpRedactToken", "t").unwrap();
        let body = format!(
            r#"{{"errorCode":"E0000011","errorSummary":"Invalid token {}"}}"#,
            token.expose()
        );
        let error = answered(body.as_bytes());
        assert_eq!(error.summary, "Invalid token [redacted]");
        assert_eq!(error.code.as_deref(), Some("E0000011"));
        let plain = format!("{}{}", "x".repeat(1020), token.expose());
        let error = answered(plain.as_bytes());
        // Redacted before the cut: no part of the token survives it.
        assert_eq!(
            error.summary,
            format!("{}[red... (6 more bytes cut)", "x".repeat(1020))
        );
    }

    #[test]
    fn reads_both_error_shapes() {
        let okta = serde_json::json!({"errorCode":"E0000001","errorSummary":"Api validation failed","errorCauses":[{"errorSummary":"issuer: bad"}]});
        assert_eq!(
            read_error_body(&okta),
            (
                Some("E0000001".into()),
                "Api validation failed (issuer: bad)".into()
            )
        );
        let apono = serde_json::json!({"error_code":"INVALID","error_details":"bad type"});
        assert_eq!(
            read_error_body(&apono),
            (Some("INVALID".into()), "bad type".into())
        );
        let other = serde_json::json!({"status":"Unauthorized","code":401});
        assert_eq!(
            read_error_body(&other),
            (Some("401".into()), "Unauthorized".into())
        );
    }

    /// The longest summary an error body can make: its own text and [`MAX_CAUSES`]
    /// causes, each cut to [`MAX_SERVER_TEXT`] with a note of the cut, the separators,
    /// and the count of the causes not shown. Under 12 KiB.
    const MAX_SUMMARY: usize = (MAX_CAUSES + 1) * (MAX_SERVER_TEXT + 32) + 64;
    const _: () = assert!(MAX_SUMMARY <= 12 * 1024);

    /// Server text as an error keeps it: one line, and bounded.
    fn check_kept(what: &str, text: &str, limit: usize) -> Result<(), TestCaseError> {
        prop_assert!(text.len() <= limit, "{what}: {} bytes", text.len());
        prop_assert!(!text.contains(['\n', '\r']), "{what}: {text:?}");
        Ok(())
    }

    /// What [`status_error`] keeps of an answer with this body is one bounded line.
    fn check_status_error(body: &[u8]) -> Result<(), TestCaseError> {
        let error = answered(body);
        check_kept("summary", &error.summary, MAX_SUMMARY)?;
        check_kept(
            "code",
            error.code.as_deref().unwrap_or_default(),
            MAX_SERVER_TEXT + 32,
        )
    }

    /// A body of one of the shapes read: Okta's with a long summary and up to 13 causes
    /// (some not objects), or any mix of the keys of Okta's, Apono's and the
    /// `{status, code}` shape holding anything: long text, the wrong types.
    fn error_shaped() -> impl Strategy<Value = Value> {
        let text = || wild_text(800).prop_map(Value::from);
        let cause = prop_oneof![
            3 => text().prop_map(|summary| json!({ "errorSummary": summary })),
            1 => json_value(1),
        ];
        let okta = (wild_text(20), text(), prop::collection::vec(cause, 0..14)).prop_map(
            |(code, summary, causes)| {
                json!({ "errorCode": code, "errorSummary": summary, "errorCauses": causes })
            },
        );
        let keys = prop::sample::select(vec![
            "errorCode",
            "errorSummary",
            "errorCauses",
            "error_code",
            "error_details",
            "message",
            "status",
            "code",
            "error",
        ]);
        let anything = prop_oneof![2 => text(), 1 => json_value(2)];
        let mixed = prop::collection::vec((keys, anything), 0..6).prop_map(|entries| {
            let body: Map<String, Value> = entries
                .into_iter()
                .map(|(key, value)| (key.to_string(), value))
                .collect();
            Value::Object(body)
        });
        prop_oneof![okta, mixed]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_bytes_make_a_bounded_one_line_error(
            body in prop::collection::vec(any::<u8>(), 0..4096),
        ) {
            check_status_error(&body)?;
        }

        #[test]
        fn any_text_makes_a_bounded_one_line_error(body in wild_text(2000)) {
            check_status_error(body.as_bytes())?;
        }

        #[test]
        fn any_json_makes_a_bounded_one_line_error(
            body in prop_oneof![2 => error_shaped(), 1 => json_value(4)],
        ) {
            check_status_error(body.to_string().as_bytes())?;
        }
    }
}
