//! The HTTP side of the sandbox: the accept loops, reading each request, added latency
//! and injected faults, recording every exchange, and the headers every response of each
//! service carries (Okta's request id and rate-limit headers, Apono's request id).

use std::convert::Infallible;
use std::io;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::record::{Exchange, Service, TimedExchange, Timing};
use super::state::State;
use super::util::{Req, Resp, base62, epoch_secs, http_date};
use super::{Fault, FaultAction, SandboxOptions, apono, okta};

/// Okta's per-minute limit announced in `X-Rate-Limit-Limit`.
const RATE_LIMIT: u64 = 600;

/// Locks a mutex, ignoring poisoning (a panicking test must not break the others).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fault and how many matching requests it has seen.
pub(crate) struct Armed {
    pub fault: Fault,
    pub seen: usize,
}

/// Everything the servers and the [`Sandbox`](super::Sandbox) handle share.
pub(crate) struct Shared {
    pub options: SandboxOptions,
    pub state: Mutex<State>,
    pub exchanges: Mutex<Vec<TimedExchange>>,
    /// When the sandbox started: the origin of every [`Timing`].
    pub epoch: Instant,
    pub faults: Mutex<Vec<Armed>>,
    pub latency: Mutex<Duration>,
    /// `METHOD /path` of every request received, in the order received (before any
    /// latency or fault): a test can tell a request is being held.
    pub received: Mutex<Vec<String>>,
    /// (start of the current minute, calls in it) for Okta's rate-limit headers.
    rate: Mutex<(u64, u64)>,
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

impl Shared {
    pub(crate) fn new(options: SandboxOptions, state: State) -> Shared {
        Shared {
            options,
            state: Mutex::new(state),
            exchanges: Mutex::new(Vec::new()),
            epoch: Instant::now(),
            faults: Mutex::new(Vec::new()),
            latency: Mutex::new(Duration::ZERO),
            received: Mutex::new(Vec::new()),
            rate: Mutex::new((0, 0)),
        }
    }

    /// The action of the first armed fault this request triggers, counting the request
    /// against every fault it matches.
    fn triggered_fault(&self, service: Service, req: &Req) -> Option<FaultAction> {
        let mut faults = lock(&self.faults);
        let mut hit = None;
        for armed in faults.iter_mut() {
            let f = &armed.fault;
            if f.service != service
                || !f.method.eq_ignore_ascii_case(&req.method)
                || !path_matches(&f.path, &req.path)
            {
                continue;
            }
            armed.seen += 1;
            let first = f.nth.max(1);
            let last = first + f.times.max(1) - 1;
            if hit.is_none() && (first..=last).contains(&armed.seen) {
                hit = Some(f.action.clone());
            }
        }
        hit
    }

    /// Runs the real handler.
    fn handle(&self, service: Service, req: &Req) -> Resp {
        let page_size = self.options.page_size.max(1);
        let mut state = lock(&self.state);
        let resp = match service {
            Service::Okta => okta::handle(&mut state, req, page_size),
            Service::Apono => {
                let settle = apono::Settle {
                    after_reads: self.options.polls_until_settled,
                    after_time: self.options.activation,
                };
                apono::handle(&mut state, req, page_size, settle)
            }
        };
        drop(state);
        self.finish(service, resp)
    }

    /// Adds the headers every response of the service carries.
    fn finish(&self, service: Service, mut resp: Resp) -> Resp {
        if resp.body.is_some() && !resp.has_header("content-type") {
            resp = resp.with_header("content-type", "application/json");
        }
        if !resp.has_header("date") {
            resp = resp.with_header("date", http_date());
        }
        match service {
            Service::Okta => {
                if !resp.has_header("x-okta-request-id") {
                    resp = resp.with_header("x-okta-request-id", base62(27));
                }
                if !resp.has_header("x-rate-limit-limit") {
                    let (reset, remaining) = self.count_call();
                    resp = resp
                        .with_header("x-rate-limit-limit", RATE_LIMIT.to_string())
                        .with_header("x-rate-limit-remaining", remaining.to_string())
                        .with_header("x-rate-limit-reset", reset.to_string());
                }
            }
            Service::Apono => {
                if !resp.has_header("x-request-id") {
                    resp = resp.with_header("x-request-id", super::util::uuid());
                }
            }
        }
        resp
    }

    /// Counts an Okta call in the current minute: (reset epoch seconds, remaining).
    fn count_call(&self) -> (u64, u64) {
        let now = epoch_secs();
        let window = now - now % 60;
        let mut rate = lock(&self.rate);
        if rate.0 != window {
            *rate = (window, 0);
        }
        rate.1 += 1;
        (window + 60, RATE_LIMIT.saturating_sub(rate.1))
    }

    /// The 429 of a [`FaultAction::RateLimit`].
    fn rate_limited(&self, service: Service, reset_after_secs: u64) -> Resp {
        let body = match service {
            Service::Okta => okta::rate_limited(),
            Service::Apono => apono::rate_limited(),
        };
        let resp = body
            .with_header("x-rate-limit-limit", RATE_LIMIT.to_string())
            .with_header("x-rate-limit-remaining", "0")
            .with_header(
                "x-rate-limit-reset",
                (epoch_secs() + reset_after_secs).to_string(),
            );
        self.finish(service, resp)
    }

    fn record(&self, service: Service, req: &Req, resp: Option<&Resp>, started: Instant) {
        let exchange = Exchange {
            service,
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            request_headers: req.headers.clone(),
            request_body: req.json.clone(),
            status: resp.map_or(0, |r| r.status),
            response_headers: resp.map(|r| r.headers.clone()).unwrap_or_default(),
            response_body: resp.and_then(|r| r.body.clone()),
        };
        let timing = Timing {
            started: started.saturating_duration_since(self.epoch),
            finished: self.epoch.elapsed(),
        };
        lock(&self.exchanges).push(TimedExchange { exchange, timing });
    }
}

/// Whether a request path matches a fault's path (`*` matches one segment).
fn path_matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let q: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

/// Serves both listeners until `shutdown` fires; reports readiness (or the error that
/// prevented it) on `ready`.
pub(crate) async fn run(
    shared: Arc<Shared>,
    okta_listener: std::net::TcpListener,
    apono_listener: std::net::TcpListener,
    ready: std::sync::mpsc::Sender<io::Result<()>>,
    shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let listeners = TcpListener::from_std(okta_listener)
        .and_then(|o| TcpListener::from_std(apono_listener).map(|a| (o, a)));
    let (okta, apono) = match listeners {
        Ok(pair) => pair,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    tokio::select! {
        _ = accept_loop(shared.clone(), okta, Service::Okta) => {}
        _ = accept_loop(shared, apono, Service::Apono) => {}
        _ = shutdown => {}
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, service: Service) -> Infallible {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| serve(shared.clone(), service, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Answers one request, or drops the connection (an `Err` makes hyper close it unanswered).
async fn serve(
    shared: Arc<Shared>,
    service: Service,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let req = Req {
        method: parts.method.as_str().to_ascii_uppercase(),
        // Segments arrive percent-encoded (a label's space as `%20`).
        path: percent_encoding::percent_decode_str(parts.uri.path())
            .decode_utf8_lossy()
            .into_owned(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        json: serde_json::from_slice(&body).ok(),
        body,
    };
    if service == Service::Okta && req.method == "POST" && req.path == okta::MINT_TOKEN_PATH {
        let resp = okta::mint_token_response(&mut lock(&shared.state).okta);
        return Ok(to_hyper(resp));
    }
    lock(&shared.received).push(format!("{} {}", req.method, req.path));
    let latency = *lock(&shared.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let resp = match shared.triggered_fault(service, &req) {
        None => shared.handle(service, &req),
        Some(FaultAction::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            shared.handle(service, &req)
        }
        Some(FaultAction::Respond { status, body }) => {
            shared.finish(service, fault_response(status, body))
        }
        Some(FaultAction::RespondWithHeaders {
            status,
            body,
            headers,
        }) => {
            let resp = headers
                .into_iter()
                .fold(fault_response(status, body), |resp, (name, value)| {
                    resp.with_header(&name, value)
                });
            shared.finish(service, resp)
        }
        Some(FaultAction::RateLimit { reset_after_secs }) => {
            shared.rate_limited(service, reset_after_secs)
        }
        Some(FaultAction::Drop) => {
            shared.record(service, &req, None, started);
            return Err(DropConnection);
        }
        Some(FaultAction::LoseAnswer) => {
            let resp = shared.handle(service, &req);
            shared.record(service, &req, Some(&resp), started);
            return Err(DropConnection);
        }
        Some(FaultAction::CommitLate(delay)) => {
            // A task of its own, so a client that hangs up does not cancel the write.
            let late = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let resp = gzip_if_accepted(&req, shared.handle(service, &req));
                shared.record(service, &req, Some(&resp), started);
                resp
            });
            return late.await.map(to_hyper).map_err(|_| DropConnection);
        }
    };
    let resp = gzip_if_accepted(&req, resp);
    shared.record(service, &req, Some(&resp), started);
    Ok(to_hyper(resp))
}

/// Marks an answer with a body for gzip when the request accepts it, as Okta and Apono
/// do; [`to_hyper`] compresses it. The record keeps the JSON.
fn gzip_if_accepted(req: &Req, resp: Resp) -> Resp {
    let accepts = req.header("accept-encoding").is_some_and(|v| {
        v.split(',').any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    == Some(0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
    });
    if accepts && resp.body.is_some() && !resp.has_header("content-encoding") {
        resp.with_header("content-encoding", "gzip")
            .with_header("vary", "accept-encoding")
    } else {
        resp
    }
}

/// The body gzipped.
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

/// The answer of a fault that responds: `status` with the JSON `body`, no body for a
/// 204 or a `null` body.
fn fault_response(status: u16, body: serde_json::Value) -> Resp {
    if status == 204 || body.is_null() {
        Resp::empty(status)
    } else {
        Resp::json(status, body)
    }
}

fn to_hyper(resp: Resp) -> Response<Full<Bytes>> {
    let body = resp
        .body
        .as_ref()
        .map(|b| serde_json::to_vec(b).unwrap_or_default())
        .unwrap_or_default();
    let body = if resp.has_header("content-encoding") {
        gzip(&body)
    } else {
        body
    };
    let mut builder = Response::builder().status(resp.status);
    for (name, value) in &resp.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
}

#[cfg(test)]
mod tests {
    use super::{gzip, gzip_if_accepted, path_matches};
    use crate::util::{Req, Resp};
    use std::io::Read;

    fn req(accept_encoding: Option<&str>) -> Req {
        Req {
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            headers: accept_encoding
                .map(|v| vec![("accept-encoding".to_string(), v.to_string())])
                .unwrap_or_default(),
            body: Vec::new(),
            json: None,
        }
    }

    #[test]
    fn gzip_only_when_accepted() {
        let body = || Resp::json(200, serde_json::json!({"a": 1}));
        let gzipped = |r: &Resp| r.has_header("content-encoding");
        assert!(gzipped(&gzip_if_accepted(
            &req(Some("gzip, deflate")),
            body()
        )));
        assert!(gzipped(&gzip_if_accepted(
            &req(Some("br;q=1, GZIP;q=0.5")),
            body()
        )));
        assert!(!gzipped(&gzip_if_accepted(&req(Some("gzip;q=0")), body())));
        assert!(!gzipped(&gzip_if_accepted(&req(Some("identity")), body())));
        assert!(!gzipped(&gzip_if_accepted(&req(None), body())));
        assert!(!gzipped(&gzip_if_accepted(
            &req(Some("gzip")),
            Resp::empty(204)
        )));
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(gzip(b"{\"a\":1}").as_slice())
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, "{\"a\":1}");
    }

    #[test]
    fn fault_paths() {
        assert!(path_matches(
            "/api/v1/apps/*/grants",
            "/api/v1/apps/0oa1/grants"
        ));
        assert!(path_matches("/api/v1/apps", "/api/v1/apps/"));
        assert!(!path_matches(
            "/api/v1/apps/*/grants",
            "/api/v1/apps/0oa1/grants/oag1"
        ));
        assert!(!path_matches("/api/v1/apps/*", "/api/v1/apps"));
    }
}
