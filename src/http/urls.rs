//! The https rule (a base URL is `https://`, or `http://` on a loopback host only) and
//! the one way an id becomes a URL path segment.

use url::Url;

/// A base URL is acceptable: `https://`, or `http://` on a loopback host only.
pub(crate) fn check_secure_url(url: &Url) -> Result<(), String> {
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

/// Everything but RFC 3986's unreserved characters is escaped in a path segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes an id or label for use as one URL path segment (a space is `%20`,
/// never `+`, which a path keeps as a plus).
pub(crate) fn path_segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, PATH_SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
