//! The retry rules of one request ([`Retries`]): all its attempts share one deadline
//! (`--timeout`); a read is retried a few times after no answer or a 5xx, with a growing
//! pause, and a write never is; a 429 is waited out until the service's
//! `X-Rate-Limit-Reset`, measured on its own clock ([`rate_limit_wait`]), unless that
//! lies past the deadline.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;

use super::header_str;

/// Longest wait for one 429 before retrying, whatever the server's reset time says.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// How many times a rate-limited request is retried before giving up.
const MAX_RATE_LIMIT_RETRIES: u32 = 4;
/// How many times a read is retried after a connection failure or a 5xx.
const MAX_TRANSIENT_RETRIES: u32 = 2;

/// The retries of one request so far, and the deadline they all share (`--timeout`).
pub(super) struct Retries {
    deadline: Instant,
    /// A read (GET, HEAD): retried after a connection failure or a 5xx; a write is not,
    /// since whether it happened is unknown.
    idempotent: bool,
    transient: u32,
    rate_limited: u32,
    /// `X-Okta-Request-Id` of the first rate-limited answer: Okta wants it on every retry.
    retry_for: Option<String>,
}

impl Retries {
    /// No retry yet; all of them must end within `timeout` from now.
    pub(super) fn new(timeout: Duration, idempotent: bool) -> Retries {
        Retries {
            deadline: Instant::now() + timeout,
            idempotent,
            transient: 0,
            rate_limited: 0,
            retry_for: None,
        }
    }

    /// What is left of the deadline.
    pub(super) fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Okta's retry bookkeeping for the next attempt, once a request was rate-limited:
    /// the id of that request and how many retries this is.
    pub(super) fn okta_retry(&self) -> Option<(&str, u32)> {
        self.retry_for.as_deref().map(|id| (id, self.rate_limited))
    }

    /// The pause before retrying a read that got no answer or a 5xx, counted as one
    /// retry; none for a write, after [`MAX_TRANSIENT_RETRIES`], or when the pause would
    /// end past the deadline.
    pub(super) fn transient(&mut self) -> Option<Duration> {
        let pause = transient_pause(self.transient + 1);
        if self.idempotent
            && self.transient < MAX_TRANSIENT_RETRIES
            && Instant::now() + pause < self.deadline
        {
            self.transient += 1;
            return Some(pause);
        }
        None
    }

    /// Whether another 429 may still be waited out ([`MAX_RATE_LIMIT_RETRIES`]); after
    /// that, a 429 is an error like any other status.
    pub(super) fn may_wait_for_rate_limit(&self) -> bool {
        self.rate_limited < MAX_RATE_LIMIT_RETRIES
    }

    /// The wait before retrying a 429 whose answer carried `headers`, counted as one
    /// retry; none when the wait would end at or past the deadline.
    pub(super) fn rate_limit(&mut self, headers: &HeaderMap) -> Option<Duration> {
        let wait = rate_limit_wait(headers);
        if Instant::now() + wait >= self.deadline {
            return None;
        }
        self.rate_limited += 1;
        if self.retry_for.is_none() {
            self.retry_for = header_str(headers, "x-okta-request-id");
        }
        Some(wait)
    }
}

/// The pause before the `n`th retry of a read (1-based).
fn transient_pause(n: u32) -> Duration {
    Duration::from_millis(500 * u64::from(n))
}

/// `X-Rate-Limit-Reset`: the service's time, in seconds since the epoch, when its limit
/// resets.
fn reset_seconds(headers: &HeaderMap) -> Option<u64> {
    header_str(headers, "x-rate-limit-reset")?
        .trim()
        .parse()
        .ok()
}

/// `X-Rate-Limit-Reset` as a time.
pub(super) fn rate_limit_reset(headers: &HeaderMap) -> Option<SystemTime> {
    std::time::UNIX_EPOCH.checked_add(Duration::from_secs(reset_seconds(headers)?))
}

/// How long to wait after a 429: `X-Rate-Limit-Reset - Date + 1` seconds, on the
/// server's clock, capped; one second when the headers are missing.
fn rate_limit_wait(headers: &HeaderMap) -> Duration {
    let now = header_str(headers, "date")
        .and_then(|d| httpdate::parse_http_date(&d).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let seconds = match (reset_seconds(headers), now) {
        (Some(reset), Some(now)) => reset.saturating_sub(now) + 1,
        _ => 1,
    };
    Duration::from_secs(seconds).min(MAX_RATE_LIMIT_WAIT)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn rate_limit_wait_uses_server_clock() {
        let mut headers = HeaderMap::new();
        // Date is 2026-01-01T00:00:00Z = 1767225600; reset 5 s later.
        headers.insert(
            "date",
            HeaderValue::from_static("Thu, 01 Jan 2026 00:00:00 GMT"),
        );
        headers.insert("x-rate-limit-reset", HeaderValue::from_static("1767225605"));
        assert_eq!(rate_limit_wait(&headers), Duration::from_secs(6));
        headers.insert("x-rate-limit-reset", HeaderValue::from_static("1767229999"));
        assert_eq!(rate_limit_wait(&headers), MAX_RATE_LIMIT_WAIT);
        assert_eq!(rate_limit_wait(&HeaderMap::new()), Duration::from_secs(1));
    }
}
