//! What the sandbox saw: every request it answered, with the answer it gave.
//!
//! Tests read this log to assert which calls a run made (a `--dry-run` makes no
//! write) and to validate every body against the reference OpenAPI documents.

use serde_json::Value;

/// Which of the two imitated services answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Okta,
    Apono,
}

/// One request and the response the sandbox gave to it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub service: Service,
    /// Upper-case HTTP method, e.g. `"POST"`.
    pub method: String,
    /// The path without the query string, e.g. `"/api/v1/apps/0oa1/grants"`.
    pub path: String,
    /// The raw query string without `?`, empty when there was none.
    pub query: String,
    /// Request headers, names lower-cased, in the order received.
    pub request_headers: Vec<(String, String)>,
    /// The request body parsed as JSON; `None` when empty or not JSON.
    pub request_body: Option<Value>,
    pub status: u16,
    /// Response headers, names lower-cased.
    pub response_headers: Vec<(String, String)>,
    /// The response body parsed as JSON; `None` when empty or not JSON.
    pub response_body: Option<Value>,
}

impl Exchange {
    /// Whether the request could change state (anything but GET/HEAD/OPTIONS).
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    /// The first request header with this (lower-case) name.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
