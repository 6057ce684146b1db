//! The one HTTP client: user agent, timeouts, the https rule, retries, 429 handling,
//! pagination and the error type every API call returns.
//!
//! Pagination has one loop for both services ([`ApiClient::read_all_pages`]): Okta's
//! RFC 8288 `Link` headers ([`parse_link_header`]), Apono's page tokens and catalog
//! offsets all go through it, and a list that loops or passes [`MAX_PAGES`] is an
//! error, never a short list.
//!
//! Both API clients ([`crate::okta`], [`crate::apono`]) are built on [`ApiClient`], which
//! knows a base URL and an auth header and nothing of prompts or plans. The token goes
//! only into the `Authorization` header, and only to the base URL's origin: a `Link`
//! header pointing elsewhere is refused rather than followed with the token.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::output::{server_causes, server_text};
use crate::secret::{Secret, redact};

/// `apono-okta/<version>`, sent on every request to either service.
pub const USER_AGENT_VALUE: &str = concat!("apono-okta/", env!("CARGO_PKG_VERSION"));

/// Longest wait for one 429 before retrying, whatever the server's reset time says.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// How many times a rate-limited request is retried before giving up.
const MAX_RATE_LIMIT_RETRIES: u32 = 4;
/// How many times a read is retried after a connection failure or a 5xx.
const MAX_TRANSIENT_RETRIES: u32 = 2;

/// The most pages one list is read in; a longer list is an error, not a short list.
pub const MAX_PAGES: usize = 100;

/// The most bytes read of one answer, after decompression; a longer one is an error
/// naming the request ([`ApiError::TooLarge`]).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The most bytes kept of an error's answer: its summary is cut shorter anyway.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The most bytes held at once by all the answers being read (the preflight reads
/// several side by side): with [`MAX_BODY`] and [`MAX_JSON_VALUES`] it keeps a run under
/// 64 MB of memory whatever the servers send.
const MAX_BUFFERED: usize = 20 * 1024 * 1024;

/// The most JSON values (numbers, strings, keys, containers) one answer may hold: a
/// page of 200 Okta apps has about 20 000. Bounds what decoding makes of a body.
const MAX_JSON_VALUES: usize = 250_000;

/// Bytes of answers being read right now, by every client of the process.
static BUFFERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How long a request may go unanswered before the user is shown that it waits.
pub const SLOW_REQUEST: Duration = Duration::from_secs(1);

/// Something shown while a slow request waits; dropped when its answer came.
pub type WaitingSign = Box<dyn Send>;

/// What shows a slow request (the UI installs it; the clients know nothing of it):
/// called with `Okta GET /api/v1/users/me` once the request has waited
/// [`SLOW_REQUEST`]; what it returns is dropped when the request ends.
type SlowRequestObserver = Box<dyn Fn(&str) -> WaitingSign + Send + Sync>;

static SLOW_REQUEST_OBSERVER: std::sync::OnceLock<SlowRequestObserver> = std::sync::OnceLock::new();

/// Installs what shows a slow request (once per process; later calls are ignored).
pub fn on_slow_request(observer: impl Fn(&str) -> WaitingSign + Send + Sync + 'static) {
    let _ = SLOW_REQUEST_OBSERVER.set(Box::new(observer));
}

/// Awaits `request`; if it takes longer than [`SLOW_REQUEST`], the installed observer
/// shows it until it ends.
async fn shown_when_slow<T>(what: impl FnOnce() -> String, request: impl Future<Output = T>) -> T {
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

/// Which service a client talks to; used in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceName {
    Okta,
    Apono,
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServiceName::Okta => "Okta",
            ServiceName::Apono => "Apono",
        })
    }
}

/// `--verbose`: one line per request on stderr.
static TRACE_REQUESTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns the request lines of `--verbose` on or off for the whole process.
pub fn trace_requests(on: bool) {
    TRACE_REQUESTS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// `--verbose`'s line for one request: what was asked, how it ended, how long it took,
/// and Okta's request id. Never a header or a body; the path is redacted like any text.
fn trace(
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

/// The default bound on one request (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings shared by every client of a run.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// PEM file with extra root certificates (a corporate proxy's CA).
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Longest time one request may take, answer included (`--timeout`).
    pub timeout: Duration,
    /// Skip the waits between retries (tests set `APONO_OKTA_TEST_NO_RETRY_DELAY`).
    pub no_retry_delay: bool,
}

/// A base URL is acceptable: `https://`, or `http://` on a loopback host only.
pub fn check_secure_url(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{url} uses plain http; only https:// is accepted, except for loopback hosts (127.0.0.1, ::1, localhost)"
        )),
        other => Err(format!("{url} has scheme '{other}'; expected https://")),
    }
}

/// Whether the URL's host is a loopback address or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Why an HTTP client could not be set up (before any request).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL breaks the https rule (see [`check_secure_url`]).
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

/// How a client authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Okta: `Authorization: SSWS <token>`.
    Ssws(Secret),
    /// Apono: `Authorization: Bearer <token>`.
    Bearer(Secret),
}

/// An error answered by a service, or the failure to reach it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
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
    /// [`MAX_PAGES`]. An error rather than a short list, which would hide apps or
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
        "{service} is rate-limiting {method} {path} until {}, later than --timeout allows{}",
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
    /// The answer was longer than [`MAX_BODY`], or the answers being read at once
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
pub struct StatusError {
    pub service: ServiceName,
    pub method: Method,
    pub path: String,
    pub status: StatusCode,
    /// Okta's `errorCode` (`E0000011`) or Apono's `error_code`.
    pub code: Option<String>,
    /// Okta's `errorSummary` plus causes, Apono's `error_details`, or the plain text.
    pub summary: String,
    /// `X-Okta-Request-Id`, what Okta support asks for.
    pub request_id: Option<String>,
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
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::Status(e) => Some(e.status),
            _ => None,
        }
    }

    /// The service's error code (`E0000090`), when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Status(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// Which service this error came from.
    pub fn service(&self) -> ServiceName {
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
    pub fn is_auth_rejection(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// The request may have reached the service but its answer never came (dropped,
    /// timed out): a write may have happened, or may still happen a little later.
    pub fn answer_lost(&self) -> bool {
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
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ApiError::Transport { .. } | ApiError::RateLimited { .. } | ApiError::NotOktaOrg { .. }
        )
    }

    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }
}

/// A successful answer: status, headers and the raw body.
#[derive(Debug)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// One page of a list: its items, and the cursor of the next page if there is one.
#[derive(Debug)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// A client for one service: base URL, auth, and the shared HTTP settings.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
    service: ServiceName,
    /// `--timeout`: one request, its retries included.
    timeout: Duration,
    no_retry_delay: bool,
    /// The service's clock: its latest `Date` header, and our clock when it arrived.
    server_clock: Arc<Mutex<Option<(SystemTime, Instant)>>>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("service", &self.service)
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    /// Builds a client; refuses a non-https, non-loopback base URL.
    pub fn new(
        service: ServiceName,
        base: Url,
        auth: Auth,
        settings: &HttpSettings,
    ) -> Result<ApiClient, ClientError> {
        check_secure_url(&base).map_err(ClientError::Insecure)?;
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT_VALUE)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &settings.ca_bundle {
            for cert in read_ca_bundle(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(ClientError::Build)?;
        Ok(ApiClient {
            http,
            base,
            auth,
            service,
            timeout: settings.timeout,
            no_retry_delay: settings.no_retry_delay,
            server_clock: Arc::new(Mutex::new(None)),
        })
    }

    /// The service's current time, from the `Date` header of its latest answer (so
    /// ages are measured on its clock, not ours); our clock before any answer.
    pub fn server_now(&self) -> SystemTime {
        match *self.server_clock.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((date, seen)) => date + seen.elapsed(),
            None => SystemTime::now(),
        }
    }

    /// The base URL this client talks to.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// GET a JSON document.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let url = self.url(path);
        let response = self.send(Method::GET, url, None).await?;
        self.decode(&Method::GET, path, &response.body)
    }

    /// Sends a JSON body (or none) and reads a JSON answer.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        let response = self.send(method.clone(), self.url(path), body).await?;
        self.decode(&method, path, &response.body)
    }

    /// Sends a request whose answer body does not matter (204s, lifecycle calls).
    pub async fn send_no_content(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(), ApiError> {
        self.send(method, self.url(path), body).await.map(|_| ())
    }
    /// One GET without the `Authorization` header (the org metadata, which Okta serves
    /// to anyone), tried once within `--timeout`, its answer whatever its status: the
    /// caller judges it.
    pub(crate) async fn get_without_auth(&self, path: &str) -> Result<ApiResponse, ApiError> {
        let url = self.url(path);
        let request = Request {
            method: &Method::GET,
            url: &url,
            body: None,
            authorize: false,
        };
        let (status, headers, body) = self
            .attempt(request, None, self.timeout)
            .await
            .map_err(|e| e.into_api_error(self.service, Method::GET, strip_query(path)))?;
        Ok(ApiResponse {
            status,
            headers,
            body,
        })
    }

    /// GET every page of an Okta list, following `Link: <...>; rel="next"` (see
    /// [`ApiClient::read_all_pages`] for the guards). A link to another origin is refused.
    pub async fn get_all_pages<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ApiError> {
        self.read_all_pages(path, self.url(path), async |url: &Url| {
            let response = self.send(Method::GET, url.clone(), None).await?;
            let items = self.decode(&Method::GET, path, &response.body)?;
            let next = next_link(&response.headers)
                .map(|link| self.same_origin_link(url, link))
                .transpose()?;
            Ok(Page { items, next })
        })
        .await
    }

    /// GET every page of an Okta IAM list (`/api/v1/iam/...`): the items are under `key`
    /// in the body, and the next page is named by the body's `_links.next.href` (or a
    /// `Link` header).
    pub async fn get_all_embedded_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
    ) -> Result<Vec<T>, ApiError> {
        self.read_all_pages(path, self.url(path), async |url: &Url| {
            let response = self.send(Method::GET, url.clone(), None).await?;
            let mut body: Value = self.decode(&Method::GET, path, &response.body)?;
            let items = match body.get_mut(key).map(Value::take) {
                Some(list) => serde_json::from_value(list).map_err(|e| ApiError::Decode {
                    service: self.service,
                    method: Method::GET,
                    path: strip_query(path),
                    detail: e.to_string(),
                })?,
                None => Vec::new(),
            };
            let next = body
                .pointer("/_links/next/href")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| next_link(&response.headers))
                .map(|link| self.same_origin_link(url, link))
                .transpose()?;
            Ok(Page { items, next })
        })
        .await
    }

    /// The one pagination loop of both services: reads the page `first` names, then the
    /// page each page's `next` names, until a page names none. A cursor is whatever names
    /// a page: Okta's next URL, Apono's page token, the catalog's offset. A list that
    /// cannot be read whole is an [`ApiError::UnfinishedList`], never a short list: a
    /// cursor that names a page already read (the service loops), or a list longer than
    /// [`MAX_PAGES`] pages. `list` names the list in that error.
    pub async fn read_all_pages<T, C>(
        &self,
        list: &str,
        first: C,
        mut fetch: impl AsyncFnMut(&C) -> Result<Page<T, C>, ApiError>,
    ) -> Result<Vec<T>, ApiError>
    where
        C: Clone + Eq + std::hash::Hash,
    {
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::from([first.clone()]);
        let mut cursor = first;
        for _ in 0..MAX_PAGES {
            let page = fetch(&cursor).await?;
            items.extend(page.items);
            match page.next {
                None => return Ok(items),
                Some(next) if seen.insert(next.clone()) => cursor = next,
                Some(_) => {
                    return Err(self.unfinished_list(
                        list,
                        format!(
                            "page {} names a page already read as the next one (the pagination loops)",
                            seen.len()
                        ),
                    ));
                }
            }
        }
        Err(self.unfinished_list(
            list,
            format!("it goes on after {MAX_PAGES} pages, the most this tool reads"),
        ))
    }

    fn unfinished_list(&self, list: &str, detail: String) -> ApiError {
        ApiError::UnfinishedList {
            service: self.service,
            list: strip_query(list),
            detail,
        }
    }

    /// A `Link` target, resolved against the page it came from, if it stays on the base
    /// URL's origin: the token is never sent anywhere else.
    fn same_origin_link(&self, page: &Url, link: String) -> Result<Url, ApiError> {
        match page.join(&link) {
            Ok(url) if url.origin() == self.base.origin() => Ok(url),
            _ => Err(ApiError::ForeignLink {
                service: self.service,
                link,
            }),
        }
    }

    fn url(&self, path_and_query: &str) -> Url {
        // The base may carry a path prefix; keep it and append ours.
        let mut url = self.base.clone();
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{prefix}{path}"));
        url.set_query(query);
        url
    }

    fn decode<T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        body: &[u8],
    ) -> Result<T, ApiError> {
        let body = if body.is_empty() {
            b"null".as_slice()
        } else {
            body
        };
        let decode_error = |detail: String| ApiError::Decode {
            service: self.service,
            method: method.clone(),
            path: strip_query(path),
            detail,
        };
        if json_value_count(body) > MAX_JSON_VALUES {
            return Err(decode_error(format!(
                "more than {MAX_JSON_VALUES} JSON values, more than any answer of the reference document holds"
            )));
        }
        serde_json::from_slice(body).map_err(|e| decode_error(e.to_string()))
    }

    /// Sends one request with the retry rules, all within one deadline (`--timeout`):
    /// each attempt gets what is left of it. 429s wait for the server's reset time
    /// (measured on the server's clock) and retry with Okta's retry headers, unless the
    /// reset lies beyond the deadline ([`ApiError::RateLimited`]); reads are retried after
    /// a connection failure or a 5xx while time is left. Writes are not retried after a
    /// connection failure: whether they happened is unknown, and the next run converges.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<ApiResponse, ApiError> {
        let path = url.path().to_string();
        let idempotent = matches!(method, Method::GET | Method::HEAD);
        let deadline = Instant::now() + self.timeout;
        let mut rate_limit_retries = 0u32;
        let mut transient_retries = 0u32;
        let mut retry_for: Option<String> = None;
        loop {
            let retry_headers = retry_for.as_deref().map(|id| (id, rate_limit_retries));
            let left = deadline.saturating_duration_since(Instant::now());
            let request = Request {
                method: &method,
                url: &url,
                body,
                authorize: true,
            };
            let answer = self.attempt(request, retry_headers, left).await;
            let (status, headers, bytes) = match answer {
                Ok(answer) => answer,
                Err(failed) => {
                    let pause = transient_pause(transient_retries + 1);
                    if idempotent
                        && !failed.is_too_large()
                        && transient_retries < MAX_TRANSIENT_RETRIES
                        && Instant::now() + pause < deadline
                    {
                        transient_retries += 1;
                        self.pause(pause).await;
                        continue;
                    }
                    return Err(failed.into_api_error(self.service, method, path));
                }
            };
            if status == StatusCode::TOO_MANY_REQUESTS
                && rate_limit_retries < MAX_RATE_LIMIT_RETRIES
            {
                let wait = rate_limit_wait(&headers);
                if Instant::now() + wait >= deadline {
                    return Err(ApiError::RateLimited {
                        service: self.service,
                        method,
                        path,
                        reset: rate_limit_reset(&headers),
                        request_id: header_str(&headers, "x-okta-request-id")
                            .map(|id| server_text(&id)),
                    });
                }
                rate_limit_retries += 1;
                // Okta wants the id of the first rate-limited request on every retry.
                retry_for = retry_for.or_else(|| header_str(&headers, "x-okta-request-id"));
                self.pause(wait).await;
                continue;
            }
            let pause = transient_pause(transient_retries + 1);
            if status.is_server_error()
                && idempotent
                && transient_retries < MAX_TRANSIENT_RETRIES
                && Instant::now() + pause < deadline
            {
                transient_retries += 1;
                self.pause(pause).await;
                continue;
            }
            if !status.is_success() {
                return Err(ApiError::Status(Box::new(status_error(
                    self.service,
                    method,
                    path,
                    status,
                    &headers,
                    &bytes,
                ))));
            }
            return Ok(ApiResponse {
                status,
                headers,
                body: bytes,
            });
        }
    }

    /// One request and its whole answer, within `left`. `retry` is Okta's retry
    /// bookkeeping: the id of the rate-limited request and how many retries this is.
    async fn attempt(
        &self,
        request: Request<'_>,
        retry: Option<(&str, u32)>,
        left: Duration,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), AttemptError> {
        let started = Instant::now();
        let outcome = if left.is_zero() {
            Err(AttemptError::OutOfTime)
        } else {
            let what = || {
                let path = request.url.path();
                format!("{} {} {path}", self.service, request.method)
            };
            shown_when_slow(what, self.exchange(&request, retry, left)).await
        };
        trace(
            self.service,
            request.method,
            request.url,
            &outcome,
            started.elapsed(),
        );
        outcome
    }

    /// One request and its whole answer (the body read up to [`MAX_BODY`]), untraced.
    async fn exchange(
        &self,
        request: &Request<'_>,
        retry: Option<(&str, u32)>,
        left: Duration,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), AttemptError> {
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .timeout(left)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, USER_AGENT_VALUE);
        if request.authorize {
            builder = builder.header(AUTHORIZATION, self.auth_header());
        }
        if let Some(body) = request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        if let Some((request_id, count)) = retry {
            builder = builder
                .header("X-Okta-Retry-For", request_id)
                .header("X-Okta-Retry-Count", count.to_string());
        }
        let mut response = builder.send().await.map_err(AttemptError::Transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(date) =
            header_str(&headers, "date").and_then(|d| httpdate::parse_http_date(&d).ok())
        {
            *self.server_clock.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((date, Instant::now()));
        }
        // An error's body is for people: a little of it is plenty.
        let limit = if status.is_success() {
            MAX_BODY
        } else {
            MAX_ERROR_BODY
        };
        let mut bytes = Vec::new();
        let mut held = BufferedBytes(0);
        while let Some(chunk) = response.chunk().await.map_err(AttemptError::Transport)? {
            if !held.take(chunk.len()) {
                return Err(AttemptError::TooLarge);
            }
            if bytes.len() + chunk.len() > limit {
                if !status.is_success() {
                    bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
                    break;
                }
                return Err(AttemptError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, headers, bytes))
    }

    async fn pause(&self, wait: Duration) {
        if !self.no_retry_delay {
            tokio::time::sleep(wait).await;
        }
    }

    fn auth_header(&self) -> HeaderValue {
        let value = match &self.auth {
            Auth::Ssws(token) => format!("SSWS {}", token.expose()),
            Auth::Bearer(token) => format!("Bearer {}", token.expose()),
        };
        let mut header =
            HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
        header.set_sensitive(true);
        header
    }
}

fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let pem = std::fs::read(path).map_err(|source| ClientError::CaBundleRead {
        path: path.to_path_buf(),
        source,
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| {
        ClientError::CaBundleParse {
            path: path.to_path_buf(),
            source,
        }
    })?;
    if certs.is_empty() {
        return Err(ClientError::CaBundleEmpty {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// Everything but RFC 3986's unreserved characters is escaped in a path segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes an id or label for use as one URL path segment (a space is `%20`,
/// never `+`, which a path keeps as a plus).
pub fn path_segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, PATH_SEGMENT).to_string()
}

fn strip_query(path: &str) -> String {
    path.split('?').next().unwrap_or(path).to_string()
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The pause before the `n`th retry of a read (1-based).
fn transient_pause(n: u32) -> Duration {
    Duration::from_millis(500 * u64::from(n))
}

/// An upper bound on the JSON values in `body` (one per `,`, `:`, `[` and `{` outside
/// strings, plus one), counted without decoding anything.
fn json_value_count(body: &[u8]) -> usize {
    let mut count = 1;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b',' | b':' | b'[' | b'{' if !in_string => count += 1,
            _ => {}
        }
    }
    count
}

/// One request as [`ApiClient::attempt`] sends it.
struct Request<'a> {
    method: &'a Method,
    url: &'a Url,
    body: Option<&'a Value>,
    /// Send the token (`Authorization`); false only for public documents.
    authorize: bool,
}

/// Why one attempt got no whole answer.
#[derive(Debug)]
enum AttemptError {
    /// No answer, or the connection broke while it came.
    Transport(reqwest::Error),
    /// The answer was longer than this tool reads.
    TooLarge,
    /// The deadline had passed before the attempt could start.
    OutOfTime,
}

impl AttemptError {
    fn is_too_large(&self) -> bool {
        matches!(self, AttemptError::TooLarge)
    }

    fn into_api_error(self, service: ServiceName, method: Method, path: String) -> ApiError {
        let (detail, maybe_delivered) = match self {
            AttemptError::TooLarge => {
                return ApiError::TooLarge {
                    service,
                    method,
                    path,
                };
            }
            AttemptError::OutOfTime => (
                TransportCause::Timeout
                    .describe("--timeout ran out before this attempt", &process_env),
                true,
            ),
            AttemptError::Transport(e) => (describe_transport_error(&e), !e.is_connect()),
        };
        ApiError::Transport {
            service,
            method,
            path,
            detail,
            maybe_delivered,
        }
    }
}

/// Counts the bytes of one answer into [`BUFFERED`] while it is held, and out when the
/// answer is dropped.
struct BufferedBytes(usize);

impl BufferedBytes {
    /// Takes `more` bytes, or refuses when the process would hold over [`MAX_BUFFERED`].
    fn take(&mut self, more: usize) -> bool {
        use std::sync::atomic::Ordering;
        let before = BUFFERED.fetch_add(more, Ordering::SeqCst);
        self.0 += more;
        before + more <= MAX_BUFFERED
    }
}

impl Drop for BufferedBytes {
    fn drop(&mut self) {
        BUFFERED.fetch_sub(self.0, std::sync::atomic::Ordering::SeqCst);
    }
}

/// `X-Rate-Limit-Reset` as a time.
fn rate_limit_reset(headers: &HeaderMap) -> Option<SystemTime> {
    let reset = header_str(headers, "x-rate-limit-reset")?
        .trim()
        .parse::<u64>()
        .ok()?;
    std::time::UNIX_EPOCH.checked_add(Duration::from_secs(reset))
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

/// How long to wait after a 429: `X-Rate-Limit-Reset - Date + 1` seconds, on the
/// server's clock, capped; one second when the headers are missing.
pub fn rate_limit_wait(headers: &HeaderMap) -> Duration {
    let reset =
        header_str(headers, "x-rate-limit-reset").and_then(|v| v.trim().parse::<u64>().ok());
    let now = header_str(headers, "date")
        .and_then(|d| httpdate::parse_http_date(&d).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let seconds = match (reset, now) {
        (Some(reset), Some(now)) => reset.saturating_sub(now) + 1,
        _ => 1,
    };
    Duration::from_secs(seconds).min(MAX_RATE_LIMIT_WAIT)
}

/// One link of a `Link` header (RFC 8288 §3): its target as written (a URI reference,
/// resolved by the caller) and its relation types, lower-cased (`rel` compares
/// case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub rels: Vec<String>,
}

/// The target of the first `rel="next"` link among possibly several `Link` headers.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_link_header)
        .find(|link| link.rels.iter().any(|rel| rel == "next"))
        .map(|link| link.target)
}

/// Parses one `Link` field value (RFC 8288 §3): comma-separated `<target>` links, each
/// with `;`-separated parameters whose values are tokens or quoted strings. Commas and
/// semicolons inside `<...>` or inside quotes do not separate anything. `rel` holds one
/// or more space-separated relation types; only a link's first `rel` counts, as the
/// RFC says. An element that is not a link is skipped.
pub fn parse_link_header(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            return links;
        }
        let Some((target, after_target)) = rest
            .strip_prefix('<')
            .and_then(|inside| inside.split_once('>'))
        else {
            rest = skip_link_element(rest);
            continue;
        };
        rest = after_target;
        let mut rels: Option<Vec<String>> = None;
        while let Some(param) = rest.trim_start().strip_prefix(';') {
            let (name, value, after_param) = split_link_param(param);
            rest = after_param;
            if rels.is_none() && name.eq_ignore_ascii_case("rel") {
                rels = Some(
                    value
                        .split_ascii_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect(),
                );
            }
        }
        links.push(Link {
            target: target.trim().to_string(),
            rels: rels.unwrap_or_default(),
        });
        rest = skip_link_element(rest);
    }
}

/// One `name[=value]` link parameter at the start of `text` (after its `;`): the name,
/// the value (unquoted, escapes resolved) and what follows it.
fn split_link_param(text: &str) -> (&str, String, &str) {
    let text = text.trim_start();
    let name_end = text
        .find(|c: char| matches!(c, '=' | ';' | ',') || c.is_whitespace())
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(name_end);
    let Some(rest) = rest.trim_start().strip_prefix('=') else {
        return (name, String::new(), rest);
    };
    let rest = rest.trim_start();
    if let Some(quoted) = rest.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return (name, value, &quoted[i + 1..]),
                '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
                _ => value.push(c),
            }
        }
        return (name, value, "");
    }
    let value_end = rest
        .find(|c: char| matches!(c, ';' | ',') || c.is_whitespace())
        .unwrap_or(rest.len());
    (name, rest[..value_end].to_string(), &rest[value_end..])
}

/// What follows the next comma that is outside quotes and `<...>`: the rest of a
/// malformed element is dropped, and the next link starts there.
fn skip_link_element(text: &str) -> &str {
    let mut in_quotes = false;
    let mut in_target = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' if !in_target => in_quotes = !in_quotes,
            '<' if !in_quotes => in_target = true,
            '>' if !in_quotes => in_target = false,
            ',' if !in_quotes && !in_target => return &text[i + 1..],
            _ => {}
        }
    }
    ""
}

fn status_error(
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

/// The one-line cause of a request that got no answer, with the library's own words
/// kept in brackets for support: `the server's TLS certificate is not trusted (invalid
/// peer certificate: UnknownIssuer)`. [`ApiError::transport_hint`] reads it back.
fn describe_transport_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut chain = Vec::new();
    let mut source = e.source();
    while let Some(inner) = source {
        chain.push(inner.to_string());
        source = inner.source();
    }
    let raw = if chain.is_empty() {
        e.to_string()
    } else {
        chain.join(": ")
    };
    let cause = TransportCause::of(&raw, e.is_timeout(), &process_env);
    redact(&cause.describe(&raw, &process_env))
}

/// The process environment, for the proxy variables (which reqwest reads too).
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The proxy variables reqwest honours, in the order named to the user.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

/// The first proxy variable that is set (its value may hold a password: never shown).
fn proxy_variable(env: &dyn Fn(&str) -> Option<String>) -> Option<&'static str> {
    PROXY_VARIABLES.into_iter().find(|name| env(name).is_some())
}

/// Why a request got no answer, as far as the error text tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransportCause {
    /// The certificate chain does not end at a trusted root (a corporate TLS proxy).
    UntrustedCertificate,
    /// Another TLS failure (expired, wrong name, handshake).
    Tls,
    /// A plain-HTTP server reached as `https://`.
    PlainHttp,
    /// A proxy from the environment failed the tunnel or refused the connection.
    Proxy(&'static str),
    /// Nothing listens at the address.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// No answer within `--timeout`.
    Timeout,
    /// The connection broke, or something else.
    Other,
}

impl TransportCause {
    /// Classifies the library's text (or a detail made by [`TransportCause::describe`],
    /// which keeps that text).
    fn of(text: &str, timed_out: bool, env: &dyn Fn(&str) -> Option<String>) -> TransportCause {
        let lower = text.to_ascii_lowercase();
        let has = |needle: &str| lower.contains(needle);
        if has("invalidcontenttype") || has("corrupt message") || has("plain http") {
            TransportCause::PlainHttp
        } else if has("unknownissuer") || has("certificate is not trusted") {
            TransportCause::UntrustedCertificate
        } else if has("certificate") || has("tls") || has("handshake") {
            TransportCause::Tls
        } else if let Some(variable) =
            proxy_variable(env).filter(|_| has("tunnel") || has("proxy") || has("refused"))
        {
            TransportCause::Proxy(variable)
        } else if has("refused") {
            TransportCause::Refused
        } else if has("dns error") || has("failed to lookup") || has("could not be resolved") {
            TransportCause::Dns
        } else if timed_out || has("timed out") {
            TransportCause::Timeout
        } else {
            TransportCause::Other
        }
    }

    /// One line: the cause, then the library's words in brackets.
    fn describe(self, raw: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
        let cause = match self {
            TransportCause::UntrustedCertificate => {
                "the server's TLS certificate is not trusted".to_string()
            }
            TransportCause::Tls => "the TLS connection failed".to_string(),
            TransportCause::PlainHttp => {
                "the server speaks plain HTTP, but the URL says https://".to_string()
            }
            TransportCause::Proxy(variable) => {
                let no_proxy = if env("NO_PROXY").or_else(|| env("no_proxy")).is_some() {
                    "NO_PROXY is set but does not exempt this host"
                } else {
                    "NO_PROXY is not set"
                };
                format!("the proxy from {variable} failed the connection ({no_proxy})")
            }
            TransportCause::Refused => {
                "the connection was refused (nothing listens there)".to_string()
            }
            TransportCause::Dns => "the host name could not be resolved".to_string(),
            TransportCause::Timeout => "no answer before the request timed out".to_string(),
            TransportCause::Other => "the connection broke before an answer came".to_string(),
        };
        format!("{cause} [{raw}]")
    }

    /// What fixes it: the flag or variable to change. `url_flag` names the URL's flag.
    fn hint(self, url_flag: &str) -> Option<String> {
        Some(match self {
            TransportCause::UntrustedCertificate => format!(
                "if a corporate proxy or a private CA signs the certificate, pass its root as --ca-bundle FILE (PEM) or set SSL_CERT_FILE; else check {url_flag}"
            ),
            TransportCause::Tls => format!(
                "check {url_flag} and the system clock; for a corporate TLS proxy pass --ca-bundle FILE or set SSL_CERT_FILE"
            ),
            TransportCause::PlainHttp => format!(
                "check the scheme and port of {url_flag}: https:// was used to reach a plain-HTTP port (plain http:// is accepted only on loopback)"
            ),
            TransportCause::Proxy(variable) => format!(
                "a proxy is in use ({variable} is set): check that proxy, or add the host of {url_flag} to NO_PROXY to go around it"
            ),
            TransportCause::Refused => {
                format!("check {url_flag} (host and port) and that the service is up")
            }
            TransportCause::Dns => {
                format!("check the host name in {url_flag}, and this machine's DNS and network")
            }
            TransportCause::Timeout => {
                "the service did not answer in time: retry, or raise --timeout SECONDS (default 30)"
                    .to_string()
            }
            TransportCause::Other => return None,
        })
    }
}

impl ApiError {
    /// For a request that got no answer: what to change (a flag or a variable).
    pub fn transport_hint(&self) -> Option<String> {
        match self {
            ApiError::Transport {
                service, detail, ..
            } => {
                let url_flag = match service {
                    ServiceName::Okta => "--okta-url",
                    ServiceName::Apono => "--apono-url",
                };
                TransportCause::of(detail, false, &process_env).hint(url_flag)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_map_to_a_cause_and_a_hint() {
        let no_env = |_: &str| None;
        let proxy_env =
            |name: &str| (name == "https_proxy").then(|| "http://u:pw@proxy:3128".to_string());
        type Env<'a> = &'a dyn Fn(&str) -> Option<String>;
        let cases: [(&str, bool, Env, &str, &str); 8] = [
            (
                "invalid peer certificate: UnknownIssuer",
                false,
                &no_env,
                "not trusted",
                "--ca-bundle FILE",
            ),
            (
                "invalid peer certificate: Expired",
                false,
                &no_env,
                "TLS connection failed",
                "system clock",
            ),
            (
                "received corrupt message of type InvalidContentType",
                false,
                &no_env,
                "plain HTTP",
                "scheme and port of --okta-url",
            ),
            (
                "client error (Connect): tunnel error: unsuccessful",
                false,
                &proxy_env,
                "proxy from https_proxy",
                "NO_PROXY",
            ),
            (
                "tcp connect error: Connection refused (os error 111)",
                false,
                &proxy_env,
                "proxy from https_proxy",
                "https_proxy is set",
            ),
            (
                "tcp connect error: Connection refused (os error 111)",
                false,
                &no_env,
                "refused",
                "--okta-url (host and port)",
            ),
            (
                "dns error: failed to lookup address information: Name or service not known",
                false,
                &no_env,
                "could not be resolved",
                "DNS",
            ),
            (
                "operation timed out",
                true,
                &no_env,
                "timed out",
                "--timeout SECONDS",
            ),
        ];
        for (raw, timed_out, env, cause, hint) in cases {
            let kind = TransportCause::of(raw, timed_out, env);
            let detail = kind.describe(raw, env);
            assert!(detail.contains(cause), "{raw}: {detail}");
            assert!(
                detail.contains(raw),
                "the library's words are kept: {detail}"
            );
            assert!(
                !detail.contains('\n') && !detail.contains("pw@"),
                "{detail}"
            );
            // The detail alone classifies the same (the hint is read back from it).
            assert_eq!(TransportCause::of(&detail, false, env), kind, "{detail}");
            let shown = kind.hint("--okta-url").unwrap();
            assert!(shown.contains(hint), "{raw}: {shown}");
            assert!(!shown.contains("pw@"), "{shown}");
        }
        assert_eq!(
            TransportCause::of("connection reset", false, &no_env).hint("--x"),
            None
        );
    }

    #[test]
    fn a_transport_error_keeps_service_method_and_path_and_hints_the_flag() {
        let error = ApiError::Transport {
            service: ServiceName::Apono,
            method: Method::GET,
            path: "/api/admin/v4/integrations".into(),
            detail: TransportCause::Dns.describe("dns error: nope", &|_| None),
            maybe_delivered: false,
        };
        let text = error.to_string();
        assert!(text.starts_with("Apono could not be reached (GET /api/admin/v4/integrations): the host name could not be resolved"), "{text}");
        assert!(error.transport_hint().unwrap().contains("--apono-url"));
    }

    #[test]
    fn https_rule() {
        let ok = |s: &str| check_secure_url(&Url::parse(s).unwrap()).is_ok();
        assert!(ok("https://example.okta.com"));
        assert!(ok("http://127.0.0.1:8080"));
        assert!(ok("http://[::1]:80"));
        assert!(ok("http://localhost:1"));
        assert!(!ok("http://example.okta.com"));
        assert!(!ok("http://10.0.0.1"));
        assert!(!ok("ftp://example.com"));
    }

    #[test]
    fn finds_next_among_several_link_headers() {
        let mut headers = HeaderMap::new();
        headers.append(
            "link",
            HeaderValue::from_static("<https://x/api/v1/apps?limit=1>; rel=\"self\""),
        );
        headers.append(
            "link",
            HeaderValue::from_static("<https://x/api/v1/apps?after=abc&limit=1>; rel=\"next\""),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://x/api/v1/apps?after=abc&limit=1")
        );
        let mut only_self = HeaderMap::new();
        only_self.append(
            "link",
            HeaderValue::from_static("<https://x/a>; rel=\"self\""),
        );
        assert_eq!(next_link(&only_self), None);
    }

    fn link(target: &str, rels: &[&str]) -> Link {
        Link {
            target: target.to_string(),
            rels: rels.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn link_targets_keep_their_commas() {
        assert_eq!(
            parse_link_header("<https://x/api/v1/apps?after=a,b&limit=1>; rel=\"next\""),
            vec![link("https://x/api/v1/apps?after=a,b&limit=1", &["next"])]
        );
    }

    #[test]
    fn several_links_in_one_header() {
        assert_eq!(
            parse_link_header(
                "<https://x/a?p=1>; rel=\"self\", <https://x/a?p=2,3>; rel=\"next\",<https://x/a?p=9>;rel=last"
            ),
            vec![
                link("https://x/a?p=1", &["self"]),
                link("https://x/a?p=2,3", &["next"]),
                link("https://x/a?p=9", &["last"]),
            ]
        );
    }

    #[test]
    fn several_rels_case_insensitive_and_unquoted() {
        assert_eq!(
            parse_link_header("<https://x/a>; rel=\"self  next\""),
            vec![link("https://x/a", &["self", "next"])]
        );
        assert_eq!(
            parse_link_header("<https://x/a>; REL=\"NEXT\""),
            vec![link("https://x/a", &["next"])]
        );
        assert_eq!(
            parse_link_header("<https://x/a>; rel=next"),
            vec![link("https://x/a", &["next"])]
        );
        // Only the first `rel` of a link counts (RFC 8288 §3.3).
        assert_eq!(
            parse_link_header("<https://x/a>; rel=prev; rel=next"),
            vec![link("https://x/a", &["prev"])]
        );
    }

    #[test]
    fn quoted_params_may_hold_commas_and_semicolons() {
        assert_eq!(
            parse_link_header(
                "<https://x/a>; title=\"a, b; c \\\"d\\\"\"; rel=\"self\", <https://x/b>; title=\"x;y,z\"; rel=\"next\""
            ),
            vec![
                link("https://x/a", &["self"]),
                link("https://x/b", &["next"])
            ]
        );
    }

    #[test]
    fn whitespace_variants_and_junk() {
        assert_eq!(
            parse_link_header("  < https://x/a >  ;  rel = \"next\"  ,  "),
            vec![link("https://x/a", &["next"])]
        );
        assert_eq!(
            parse_link_header("<https://x/a>;rel=\"next\""),
            vec![link("https://x/a", &["next"])]
        );
        // A link without rel, an element that is not a link, and an empty value.
        assert_eq!(
            parse_link_header("<https://x/a>, junk; rel=\"next\", <https://x/b>; rel=next"),
            vec![link("https://x/a", &[]), link("https://x/b", &["next"])]
        );
        assert_eq!(parse_link_header(""), vec![]);
    }

    #[test]
    fn next_link_reads_every_header_and_every_form() {
        let headers_of = |values: &[&'static str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append("link", HeaderValue::from_static(value));
            }
            headers
        };
        let comma_joined =
            headers_of(&["<https://x/a?p=1>; rel=\"self\", <https://x/a?p=2>; rel=\"NEXT\""]);
        assert_eq!(next_link(&comma_joined).as_deref(), Some("https://x/a?p=2"));
        let both = headers_of(&["<https://x/a?p=2>; rel=\"self next\""]);
        assert_eq!(next_link(&both).as_deref(), Some("https://x/a?p=2"));
        let second_header =
            headers_of(&["<https://x/a>; rel=\"self\"", "<https://x/b,c>; rel=next"]);
        assert_eq!(next_link(&second_header).as_deref(), Some("https://x/b,c"));
    }

    fn offline_client() -> ApiClient {
        let settings = HttpSettings {
            ca_bundle: None,
            timeout: DEFAULT_TIMEOUT,
            no_retry_delay: true,
        };
        let base = Url::parse("http://127.0.0.1:9").unwrap();
        let token = Secret::parse("00testTokenForHttp", "a test token").unwrap();
        ApiClient::new(ServiceName::Apono, base, Auth::Bearer(token), &settings).unwrap()
    }

    /// Reads pages `0..` where page n holds `[n]` and names `next(n)`; returns the
    /// outcome and how many pages were fetched.
    async fn walk(next: impl Fn(u32) -> Option<u32>) -> (Result<Vec<u32>, ApiError>, usize) {
        let mut fetched = 0;
        let result = offline_client()
            .read_all_pages("/list?x=1", 0u32, async |&n: &u32| {
                fetched += 1;
                Ok(Page {
                    items: vec![n],
                    next: next(n),
                })
            })
            .await;
        (result, fetched)
    }

    #[tokio::test]
    async fn pages_are_read_until_none_is_named() {
        let (result, fetched) = walk(|n| (n < 3).then_some(n + 1)).await;
        assert_eq!(result.unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(fetched, 4);
    }

    #[tokio::test]
    async fn a_page_named_twice_is_a_loop_error() {
        let (result, fetched) = walk(|_| Some(1)).await;
        let message = result.unwrap_err().to_string();
        assert_eq!(
            message,
            "Apono's list /list could not be read whole: page 2 names a page already read as the next one (the pagination loops)"
        );
        assert_eq!(fetched, 2);
        // A first page that names itself stops after one read.
        let (result, fetched) = walk(|_| Some(0)).await;
        assert!(matches!(result, Err(ApiError::UnfinishedList { .. })));
        assert_eq!(fetched, 1);
    }

    #[tokio::test]
    async fn more_than_max_pages_is_an_error() {
        let (result, fetched) = walk(|n| Some(n + 1)).await;
        assert!(result.unwrap_err().to_string().contains("after 100 pages"));
        assert_eq!(fetched, MAX_PAGES);
        // Exactly MAX_PAGES pages is a whole list.
        let last = MAX_PAGES as u32 - 1;
        let (result, _) = walk(|n| (n < last).then_some(n + 1)).await;
        assert_eq!(result.unwrap().len(), MAX_PAGES);
    }

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

    #[test]
    fn server_text_is_redacted() {
        let token = Secret::parse("00unitHttpRedactToken", "t").unwrap();
        let body = format!(
            r#"{{"errorCode":"E0000011","errorSummary":"Invalid token {}"}}"#,
            token.expose()
        );
        let error = status_error(
            ServiceName::Okta,
            Method::GET,
            "/api/v1/users/me".into(),
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            body.as_bytes(),
        );
        assert_eq!(error.summary, "Invalid token [redacted]");
        assert_eq!(error.code.as_deref(), Some("E0000011"));
        let plain = format!("{}{}", "x".repeat(1020), token.expose());
        let error = status_error(
            ServiceName::Apono,
            Method::GET,
            "/x".into(),
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            plain.as_bytes(),
        );
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
}
