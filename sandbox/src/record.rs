//! What the sandbox saw: every request it answered, with the answer it gave.
//!
//! Tests read this log to assert which calls a run made (a `--dry-run` makes no
//! write) and to validate every body against the reference OpenAPI documents.
//! Bodies are recorded as JSON, before any gzip the answer was sent with.
//! [`Timing`] says when each exchange started and finished, so a test or a benchmark
//! can tell which requests were in flight together ([`dependent_round_trips`]).

use std::time::Duration;

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

/// When an exchange happened, measured from the sandbox's start: `started` when the
/// request's head arrived (before any added latency), `finished` when the answer was
/// ready to send (after it). Two exchanges whose intervals overlap were in flight together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub started: Duration,
    pub finished: Duration,
}

impl Timing {
    /// Whether the two intervals share a moment.
    pub fn overlaps(&self, other: &Timing) -> bool {
        self.started < other.finished && other.started < self.finished
    }
}

/// An exchange with its [`Timing`], from [`Sandbox::timed_exchanges`](super::Sandbox::timed_exchanges).
#[derive(Debug, Clone)]
pub struct TimedExchange {
    pub exchange: Exchange,
    pub timing: Timing,
}

/// The dependent round trips in a log: the longest chain of exchanges each of which
/// started only after the previous one had finished. Exchanges in flight together count
/// once, so this is the number of sequential waves a client's network latency is paid
/// for. Meaningful when every exchange takes clearly longer than the server's own work
/// (an added latency): at zero latency, concurrent requests served one after the other
/// do not overlap and count as a chain.
pub fn dependent_round_trips<'a>(log: impl IntoIterator<Item = &'a TimedExchange>) -> usize {
    let mut timings: Vec<Timing> = log.into_iter().map(|t| t.timing).collect();
    timings.sort_by_key(|t| (t.started, t.finished));
    // chain[i]: the longest chain ending with timings[i].
    let mut chain: Vec<usize> = Vec::with_capacity(timings.len());
    for (i, t) in timings.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| timings[j].finished <= t.started)
            .map(|j| chain[j])
            .max()
            .unwrap_or(0);
        chain.push(before + 1);
    }
    chain.into_iter().max().unwrap_or(0)
}
