//! Why a request got no answer: the library's error text classified into a cause
//! ([`TransportCause`]: an untrusted certificate, a proxy from the environment, a refused
//! connection, a name that does not resolve, ...), described on one line with the
//! library's own words kept for support, and the hint that says what to change.

use super::{ApiError, DEFAULT_TIMEOUT, ServiceName};
use crate::secret::redact;

/// The one-line cause of a request that got no answer, with the library's own words
/// kept in brackets for support: `the server's TLS certificate is not trusted (invalid
/// peer certificate: UnknownIssuer)`. [`ApiError::transport_hint`] reads it back.
pub(super) fn describe_transport_error(e: &reqwest::Error) -> String {
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
pub(super) fn process_env(name: &str) -> Option<String> {
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
pub(super) enum TransportCause {
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
    pub(super) fn describe(self, raw: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
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
            TransportCause::Timeout => format!(
                "the service did not answer in time: retry, or raise --timeout SECONDS (default {})",
                DEFAULT_TIMEOUT.as_secs()
            ),
            TransportCause::Other => return None,
        })
    }
}

impl ApiError {
    /// For a request that got no answer: what to change (a flag or a variable).
    pub(crate) fn transport_hint(&self) -> Option<String> {
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
    use reqwest::Method;

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
}
