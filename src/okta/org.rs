//! "The Okta token goes to Okta alone" (DESIGN.md §3.2): this module owns the Okta API
//! client, and with it the token. [`Gate`] lends the client out only once its host is
//! known to be an Okta org: at once under one of Okta's own domains ([`OKTA_DOMAINS`]),
//! else after the unauthenticated `GET /.well-known/okta-organization` answered with an
//! org's metadata ([`judge`], pure). The verdict is taken once per client and shared by
//! its clones and by concurrent callers, so the check costs one request, and a host that
//! is not Okta never sees the token, whoever calls.

use std::sync::Arc;
use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::Value;
use url::Url;

use crate::http::{ApiClient, ApiError, ApiResponse, ServiceName, is_loopback};

/// The org metadata, which Okta serves without a token on its domains and on an org's
/// custom domains.
pub(crate) const WELL_KNOWN_PATH: &str = "/.well-known/okta-organization";

/// Okta's own domains: a host equal to one, or ending in `.` + one, is Okta's.
pub(crate) const OKTA_DOMAINS: [&str; 5] = [
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
];

/// How much of an answer that is not the org metadata is quoted.
const EXCERPT_CHARS: usize = 120;

/// Whether `host` is under one of [`OKTA_DOMAINS`] (case-insensitive; a trailing dot,
/// as in a fully qualified name, is ignored).
pub(crate) fn under_okta_domain(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    OKTA_DOMAINS.iter().any(|domain| {
        host == *domain
            || host
                .strip_suffix(domain)
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// An org the metadata confirmed: its id (`00o...`) and its Okta URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfirmedOrg {
    pub(crate) id: String,
    /// `_links.organization.href`: the org's Okta URL (`https://acme.okta.com`), which a
    /// custom domain's metadata names.
    pub(crate) url: Url,
}

impl ConfirmedOrg {
    /// The progress line: `login.acme.com is the Okta org acme.okta.com, 00o...`, or
    /// `127.0.0.1:8080 is the Okta org 00o...` when the org URL is the one given.
    pub(crate) fn describe(&self, given: &Url) -> String {
        let (given, org) = (domain_of(given), domain_of(&self.url));
        if given.eq_ignore_ascii_case(&org) {
            format!("{given} is the Okta org {}", self.id)
        } else {
            format!("{given} is the Okta org {org}, {}", self.id)
        }
    }
}

/// `host[:port]`, as the Okta domain is written elsewhere.
fn domain_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The verdict on the org metadata's answer: the org, or what was answered instead (for
/// "`<url>` is not an Okta org: ..."). `given` is the Okta URL the user gave: on a
/// loopback host (the sandbox) the org link may be that origin over plain http.
pub(crate) fn judge(given: &Url, answer: &ApiResponse) -> Result<ConfirmedOrg, String> {
    let answered = format!("GET {WELL_KNOWN_PATH} answered {}", answer.status.as_u16());
    let header = |name| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if answer.status.is_redirection() {
        let to = header(LOCATION).unwrap_or_else(|| "nowhere".into());
        return Err(format!(
            "{answered}, a redirect to {} (Okta serves its org metadata itself)",
            excerpt(&to)
        ));
    }
    let content_type = header(CONTENT_TYPE).unwrap_or_else(|| "no content type".into());
    let body = String::from_utf8_lossy(&answer.body);
    let quoted = if body.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", excerpt(&body))
    };
    if answer.status != StatusCode::OK {
        return Err(format!("{answered} ({content_type}){quoted}"));
    }
    let Some(metadata) = serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .filter(Value::is_object)
    else {
        return Err(format!(
            "{answered} with {content_type}, not the org metadata's JSON object{quoted}"
        ));
    };
    let id = metadata.get("id").and_then(Value::as_str);
    let Some(id) = id.filter(|id| is_org_id(id)) else {
        return Err(format!(
            "{answered}, but {}",
            field("\"id\"", id, "an Okta org id (00o...)")
        ));
    };
    let href = metadata
        .pointer("/_links/organization/href")
        .and_then(Value::as_str);
    let Some(url) = href
        .and_then(|href| Url::parse(href).ok())
        .filter(|url| is_org_url(given, url))
    else {
        return Err(format!(
            "{answered}, but {}",
            field("_links.organization.href", href, "an https:// URL")
        ));
    };
    Ok(ConfirmedOrg {
        id: id.to_string(),
        url,
    })
}

/// `its <name> is missing, expected <expected>`, or `its <name> "<value>" is not <expected>`.
fn field(name: &str, value: Option<&str>, expected: &str) -> String {
    match value {
        None => format!("its {name} is missing, expected {expected}"),
        Some(value) => format!("its {name} \"{}\" is not {expected}", excerpt(value)),
    }
}

/// Okta's org ids: `00o` and alphanumerics.
fn is_org_id(id: &str) -> bool {
    id.strip_prefix("00o")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// An org URL is `https://` with a host; on a loopback host, also the origin given.
fn is_org_url(given: &Url, url: &Url) -> bool {
    (url.scheme() == "https" && url.host().is_some())
        || (is_loopback(given) && url.origin() == given.origin())
}

/// The start of a server's text, shown inert: whitespace runs as one space, control
/// and bidirectional characters as escapes (`\u{1b}`), cut at [`EXCERPT_CHARS`].
fn excerpt(text: &str) -> String {
    // On one line and short; the output edge escapes what a terminal would act on.
    let words: Vec<&str> = text.split_whitespace().collect();
    let text = words.join(" ");
    let mut shown: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().count() > EXCERPT_CHARS {
        shown.push('…');
    }
    shown
}

/// What the org check concluded; kept, so it is taken once.
#[derive(Debug)]
enum Verdict {
    /// The host is under one of Okta's own domains: nothing to ask.
    OktaDomain,
    Confirmed(ConfirmedOrg),
    /// What the host answered instead of an org's metadata.
    NotAnOrg(String),
    /// The metadata request got no answer (the transport error's detail).
    Unreachable {
        detail: String,
        maybe_delivered: bool,
    },
}

/// The Okta API client, lent out only once the org check passed (see the module doc).
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    api: ApiClient,
    verdict: Arc<tokio::sync::OnceCell<Verdict>>,
}

impl Gate {
    pub(crate) fn new(api: ApiClient) -> Gate {
        Gate {
            api,
            verdict: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The client, once the host is known to be an Okta org; the check's error else
    /// ([`ApiError::NotOktaOrg`], or [`ApiError::Transport`] when it got no answer).
    pub(crate) async fn open(&self) -> Result<&ApiClient, ApiError> {
        self.confirm().await?;
        Ok(&self.api)
    }

    /// Runs the org check unless it ran already: the org its metadata names, or `None`
    /// under Okta's own domains, where no request is needed.
    pub(crate) async fn confirm(&self) -> Result<Option<&ConfirmedOrg>, ApiError> {
        let verdict = self.verdict.get_or_init(|| self.check()).await;
        let base = self.api.base();
        match verdict {
            Verdict::OktaDomain => Ok(None),
            Verdict::Confirmed(org) => Ok(Some(org)),
            Verdict::NotAnOrg(answered) => Err(ApiError::NotOktaOrg {
                service: ServiceName::Okta,
                url: base.origin().ascii_serialization(),
                answered: answered.clone(),
            }),
            Verdict::Unreachable {
                detail,
                maybe_delivered,
            } => Err(ApiError::Transport {
                service: ServiceName::Okta,
                method: reqwest::Method::GET,
                path: WELL_KNOWN_PATH.to_string(),
                detail: detail.clone(),
                maybe_delivered: *maybe_delivered,
            }),
        }
    }

    /// The org the check confirmed, if it ran and passed.
    pub(crate) fn confirmed(&self) -> Option<&ConfirmedOrg> {
        match self.verdict.get() {
            Some(Verdict::Confirmed(org)) => Some(org),
            _ => None,
        }
    }

    /// The Okta URL given (sends nothing).
    pub(crate) fn base(&self) -> &Url {
        self.api.base()
    }

    /// Okta's clock, from its latest answer (sends nothing).
    pub(crate) fn server_now(&self) -> SystemTime {
        self.api.server_now()
    }

    async fn check(&self) -> Verdict {
        let base = self.api.base();
        if base.host_str().is_some_and(under_okta_domain) {
            return Verdict::OktaDomain;
        }
        match self.api.get_without_auth(WELL_KNOWN_PATH).await {
            Ok(answer) => match judge(base, &answer) {
                Ok(org) => Verdict::Confirmed(org),
                Err(answered) => Verdict::NotAnOrg(answered),
            },
            Err(ApiError::Transport {
                detail,
                maybe_delivered,
                ..
            }) => Verdict::Unreachable {
                detail,
                maybe_delivered,
            },
            Err(other) => Verdict::NotAnOrg(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn answer(status: u16, content_type: &str, body: &str) -> ApiResponse {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        ApiResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn metadata(id: &str, href: &str) -> ApiResponse {
        let body = serde_json::json!({
            "id": id,
            "pipeline": "idx",
            "_links": {"organization": {"href": href}, "alternate": {"href": "https://login.acme.com"}}
        });
        answer(200, "application/json", &body.to_string())
    }

    #[test]
    fn okta_domains_and_others() {
        for host in [
            "okta.com",
            "example.okta.com",
            "Example.OKTA.com",
            "example.okta.com.",
            "a.b.oktapreview.com",
            "example.okta-emea.com",
            "example.okta-gov.com",
            "example.okta.mil",
        ] {
            assert!(under_okta_domain(host), "{host}");
        }
        for host in [
            "login.acme.com",
            "notokta.com",
            "example.okta.com.evil.io",
            "oktapreview.co",
            "okta-emea.com-x.io",
            "127.0.0.1",
            "localhost",
        ] {
            assert!(!under_okta_domain(host), "{host}");
        }
    }

    #[test]
    fn a_custom_domain_names_its_okta_org() {
        let given = url("https://login.acme.com");
        let org = judge(
            &given,
            &metadata("00o1abcdefGHIJKLM5d7", "https://acme.okta.com"),
        )
        .unwrap();
        assert_eq!(org.id, "00o1abcdefGHIJKLM5d7");
        assert_eq!(
            org.describe(&given),
            "login.acme.com is the Okta org acme.okta.com, 00o1abcdefGHIJKLM5d7"
        );
    }

    #[test]
    fn on_loopback_the_given_origin_is_the_org() {
        let given = url("http://127.0.0.1:8080");
        let org = judge(
            &given,
            &metadata("00o1abcdefGHIJKLM5d7", "http://127.0.0.1:8080"),
        )
        .unwrap();
        assert_eq!(
            org.describe(&given),
            "127.0.0.1:8080 is the Okta org 00o1abcdefGHIJKLM5d7"
        );
        // Another origin over plain http is not the org, on loopback or not.
        let elsewhere = metadata("00o1abcdefGHIJKLM5d7", "http://127.0.0.1:9090");
        assert!(judge(&given, &elsewhere).is_err());
        let custom = url("https://login.acme.com");
        let plain = metadata("00o1abcdefGHIJKLM5d7", "http://login.acme.com");
        let refused = judge(&custom, &plain).unwrap_err();
        assert_eq!(
            refused,
            "GET /.well-known/okta-organization answered 200, but its _links.organization.href \"http://login.acme.com\" is not an https:// URL"
        );
    }

    #[test]
    fn anything_else_says_what_was_answered() {
        let given = url("https://login.acme.com");
        let refused = |answer: ApiResponse| judge(&given, &answer).unwrap_err();
        assert_eq!(
            refused(answer(
                404,
                "text/html",
                "<html>\n  <h1>Not Found</h1>\n</html>"
            )),
            "GET /.well-known/okta-organization answered 404 (text/html): <html> <h1>Not Found</h1> </html>"
        );
        let html = refused(answer(200, "text/html; charset=utf-8", "<!DOCTYPE html>"));
        assert!(
            html.ends_with("answered 200 with text/html; charset=utf-8, not the org metadata's JSON object: <!DOCTYPE html>"),
            "{html}"
        );
        assert!(
            refused(answer(200, "application/json", "[1]"))
                .contains("not the org metadata's JSON object")
        );
        assert!(
            refused(metadata("0oa1abcdefGHIJKLM5d7", "https://acme.okta.com"))
                .ends_with("its \"id\" \"0oa1abcdefGHIJKLM5d7\" is not an Okta org id (00o...)")
        );
        assert!(
            refused(answer(200, "application/json", "{}"))
                .ends_with("its \"id\" is missing, expected an Okta org id (00o...)")
        );
        let mut redirect = answer(302, "text/html", "");
        redirect.headers.insert(
            LOCATION,
            HeaderValue::from_static("https://idp.example.com/login"),
        );
        assert_eq!(
            refused(redirect),
            "GET /.well-known/okta-organization answered 302, a redirect to https://idp.example.com/login (Okta serves its org metadata itself)"
        );
    }

    #[test]
    fn server_text_is_quoted_short_and_inert_at_the_edge() {
        let shown = excerpt(&format!("\u{1b}[31mred\u{202e}\n {}", "x".repeat(300)));
        assert!(shown.ends_with('…'));
        assert!(!shown.contains('\n'));
        let printed = crate::output::terminal_line(&shown);
        assert!(printed.starts_with("\\x1b[31mred\\u{202e} x"), "{printed}");
    }

    fn gate(base: &str) -> Gate {
        let settings = crate::http::HttpSettings {
            ca_bundle: None,
            timeout: std::time::Duration::from_secs(2),
            no_retry_delay: true,
        };
        let token = crate::secret::Secret::parse("00gateTestTokenValue", "t").unwrap();
        let auth = crate::http::Auth::Ssws(token);
        Gate::new(ApiClient::new(ServiceName::Okta, url(base), auth, &settings).unwrap())
    }

    #[tokio::test]
    async fn under_okta_domains_the_check_sends_nothing() {
        // A name that resolves nowhere: a request would fail, so `Ok` means none was sent.
        let gate = gate("https://apono-okta-test.invalid.okta.com");
        assert_eq!(gate.confirm().await.unwrap(), None);
        assert!(gate.open().await.is_ok());
        assert!(gate.confirmed().is_none());
    }

    #[tokio::test]
    async fn a_failed_check_is_kept_and_lends_nothing() {
        // A port nothing listens on any more: the connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let gate = gate(&format!("http://127.0.0.1:{port}"));
        for _ in 0..2 {
            let error = gate.open().await.unwrap_err();
            assert!(error.is_unreachable(), "{error}");
            assert!(
                error
                    .to_string()
                    .starts_with("Okta could not be reached (GET /.well-known/okta-organization)"),
                "{error}"
            );
        }
        assert!(gate.confirmed().is_none());
    }
}
