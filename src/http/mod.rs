//! The one HTTP client: user agent, deadlines, retries, 429 handling, bounded bodies,
//! the https rule, pagination and the error type every API call returns.
//!
//! Both API clients ([`crate::okta`], [`crate::apono`]) are built on `ApiClient`, which
//! knows a base URL and an auth header and nothing of prompts or plans. This file holds
//! the client itself: how one request is sent within one deadline (`--timeout`, its
//! retries included), how one attempt is made, and the one pagination loop of both
//! services (`ApiClient::read_all_pages`): Okta's RFC 8288 `Link` headers, Apono's page
//! tokens and catalog offsets all go through it, and a list that loops or passes
//! [`MAX_PAGES`] is an error, never a short list. The token goes only into the
//! `Authorization` header, and only to the base URL's origin: a `Link` header pointing
//! elsewhere is refused rather than followed with the token.
//!
//! The rest of the folder, one concern a file: `errors.rs` (what a call returns when it
//! fails, and the reading of an error's body), `transport.rs` (why a request got no
//! answer, and what to change), `link.rs` (the `Link` header), `limits.rs` (how much of
//! an answer is read and decoded), `retry.rs` (the retry rules of one request),
//! `trace.rs` (what a person sees of requests) and `urls.rs` (the https rule, path
//! segments).

mod errors;
mod limits;
mod link;
mod retry;
#[cfg(test)]
mod strategies;
mod trace;
mod transport;
mod urls;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

#[cfg(test)]
pub(crate) use errors::StatusError;
pub(crate) use errors::{ApiError, ClientError};
pub(crate) use trace::{WaitingSign, on_slow_request, trace_requests};
pub(crate) use urls::{check_secure_url, is_loopback, path_segment};

use errors::status_error;
use limits::{MAX_JSON_VALUES, json_value_count, read_body};
use link::next_link;
use retry::{Retries, rate_limit_reset};
use trace::{shown_when_slow, trace};
use transport::{TransportCause, describe_transport_error, process_env};

use crate::output::server_text;
use crate::secret::Secret;

/// `apono-okta/<version>`, sent on every request to either service.
const USER_AGENT_VALUE: &str = concat!("apono-okta/", env!("CARGO_PKG_VERSION"));

/// The most pages one list is read in; a longer list is an error, not a short list.
pub const MAX_PAGES: usize = 100;

/// Which service a client talks to; used in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceName {
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

/// The default bound on one request (`--timeout`).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings shared by every client of a run.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    /// PEM file with extra root certificates (a corporate proxy's CA).
    pub(crate) ca_bundle: Option<std::path::PathBuf>,
    /// Longest time one request may take, answer included (`--timeout`).
    pub(crate) timeout: Duration,
    /// Skip the waits between retries (tests set `APONO_OKTA_TEST_NO_RETRY_DELAY`).
    pub(crate) no_retry_delay: bool,
}

/// How a client authenticates.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// Okta: `Authorization: SSWS <token>`.
    Ssws(Secret),
    /// Apono: `Authorization: Bearer <token>`.
    Bearer(Secret),
}

/// A successful answer: status, headers and the raw body.
#[derive(Debug)]
pub(crate) struct ApiResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// One page of a list: its items, and the cursor of the next page if there is one.
#[derive(Debug)]
pub(crate) struct Page<T, C> {
    pub(crate) items: Vec<T>,
    pub(crate) next: Option<C>,
}

/// A client for one service: base URL, auth, and the shared HTTP settings.
#[derive(Clone)]
pub(crate) struct ApiClient {
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
    pub(crate) fn new(
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
    pub(crate) fn server_now(&self) -> SystemTime {
        match *self.server_clock.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((date, seen)) => date + seen.elapsed(),
            None => SystemTime::now(),
        }
    }

    /// The base URL this client talks to.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// GET a JSON document.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let url = self.url(path);
        let response = self.send(Method::GET, url, None).await?;
        self.decode(&Method::GET, path, &response.body)
    }

    /// Sends a JSON body (or none) and reads a JSON answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        let response = self.send(method.clone(), self.url(path), body).await?;
        self.decode(&method, path, &response.body)
    }

    /// Sends a request whose answer body does not matter (204s, lifecycle calls).
    pub(crate) async fn send_no_content(
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
    pub(crate) async fn get_all_pages<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Vec<T>, ApiError> {
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
    pub(crate) async fn get_all_embedded_pages<T: DeserializeOwned>(
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
    pub(crate) async fn read_all_pages<T, C>(
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
        let mut retries = Retries::new(self.timeout, matches!(method, Method::GET | Method::HEAD));
        loop {
            let request = Request {
                method: &method,
                url: &url,
                body,
                authorize: true,
            };
            let answer = self
                .attempt(request, retries.okta_retry(), retries.left())
                .await;
            let (status, headers, bytes) = match answer {
                Ok(answer) => answer,
                Err(failed) => {
                    if !failed.is_too_large()
                        && let Some(pause) = retries.transient()
                    {
                        self.pause(pause).await;
                        continue;
                    }
                    return Err(failed.into_api_error(self.service, method, path));
                }
            };
            if status == StatusCode::TOO_MANY_REQUESTS {
                // Waited out while the reset comes before the deadline and retries are
                // left; else a rate limit that outlasts this run (exit 8, retry later).
                let wait = retries
                    .may_wait_for_rate_limit()
                    .then(|| retries.rate_limit(&headers))
                    .flatten();
                let Some(wait) = wait else {
                    return Err(ApiError::RateLimited {
                        service: self.service,
                        method,
                        path,
                        reset: rate_limit_reset(&headers),
                        request_id: header_str(&headers, "x-okta-request-id")
                            .map(|id| server_text(&id)),
                    });
                };
                self.pause(wait).await;
                continue;
            }
            if status.is_server_error()
                && let Some(pause) = retries.transient()
            {
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

    /// One request and its whole answer (the body read up to [`MAX_BODY`](limits::MAX_BODY)), untraced.
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
        let response = builder.send().await.map_err(AttemptError::Transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(date) =
            header_str(&headers, "date").and_then(|d| httpdate::parse_http_date(&d).ok())
        {
            *self.server_clock.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((date, Instant::now()));
        }
        let bytes = read_body(response).await?;
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

fn strip_query(path: &str) -> String {
    path.split('?').next().unwrap_or(path).to_string()
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
