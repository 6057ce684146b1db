//! What a person sees of requests, installed by the UI (the clients know nothing of
//! it): the sign of a request that waits longer than [`SLOW_REQUEST`], and `--verbose`'s
//! one line per request (never a header or a body).

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use url::Url;

use super::{AttemptError, ServiceName, header_str};

/// How long a request may go unanswered before the user is shown that it waits.
const SLOW_REQUEST: Duration = Duration::from_secs(1);

/// Something shown while a slow request waits; dropped when its answer came.
pub(crate) type WaitingSign = Box<dyn Send>;

/// What shows a slow request (the UI installs it; the clients know nothing of it):
/// called with `Okta GET /api/v1/users/me` once the request has waited
/// [`SLOW_REQUEST`]; what it returns is dropped when the request ends.
type SlowRequestObserver = Box<dyn Fn(&str) -> WaitingSign + Send + Sync>;

static SLOW_REQUEST_OBSERVER: std::sync::OnceLock<SlowRequestObserver> = std::sync::OnceLock::new();

/// Installs what shows a slow request (once per process; later calls are ignored).
pub(crate) fn on_slow_request(observer: impl Fn(&str) -> WaitingSign + Send + Sync + 'static) {
    let _ = SLOW_REQUEST_OBSERVER.set(Box::new(observer));
}

/// Awaits `request`; if it takes longer than [`SLOW_REQUEST`], the installed observer
/// shows it until it ends.
pub(super) async fn shown_when_slow<T>(
    what: impl FnOnce() -> String,
    request: impl Future<Output = T>,
) -> T {
    let Some(observer) = SLOW_REQUEST_OBSERVER.get() else {
        return request.await;
    };
    tokio::pin!(request);
    tokio::select! {
        answer = &mut request => answer,
        () = tokio::time::sleep(SLOW_REQUEST) => {
            let _sign = observer(&what());
            request.await
        }
    }
}

/// `--verbose`: one line per request on stderr.
static TRACE_REQUESTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns the request lines of `--verbose` on or off for the whole process.
pub(crate) fn trace_requests(on: bool) {
    TRACE_REQUESTS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// `--verbose`'s line for one request: what was asked, how it ended, how long it took,
/// and Okta's request id. Never a header or a body; the path is redacted like any text.
pub(super) fn trace(
    service: ServiceName,
    method: &Method,
    url: &Url,
    outcome: &Result<(StatusCode, HeaderMap, Vec<u8>), AttemptError>,
    took: Duration,
) {
    if !TRACE_REQUESTS.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let ended = match outcome {
        Ok((status, headers, _)) => match header_str(headers, "x-okta-request-id") {
            Some(id) => format!("{} (request id {id})", status.as_u16()),
            None => status.as_u16().to_string(),
        },
        Err(AttemptError::Transport(e)) if e.is_timeout() => "timed out".to_string(),
        Err(AttemptError::OutOfTime) => "not sent: --timeout ran out".to_string(),
        Err(AttemptError::TooLarge) => "answer too large".to_string(),
        Err(AttemptError::Transport(_)) => "no answer".to_string(),
    };
    crate::output::stderr_line(
        "",
        &format!(
            "> {service} {method} {target} -> {ended} in {} ms",
            took.as_millis()
        ),
    );
}
