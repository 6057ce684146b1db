//! The Okta org a command works on: where it is given (flags, then the environment), an
//! org id under a base URL, a domain or URL as typed or pasted (an admin console's
//! becomes the org's), and the checks every service URL passes, Apono's too.

use url::Url;

use super::values::{check_text_value, shown};
use super::{EnvLookup, MAX_TEXT_LEN};
use crate::cli::ServiceArgs;
use crate::error::Failure;
use crate::http::check_secure_url;

/// An Okta org, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OktaTarget {
    /// The origin: `https://example.okta.com`.
    pub(crate) url: Url,
    /// `example.okta.com`, with `:port` only when the URL has one.
    pub(crate) domain: String,
    /// Said to the user when the input was rewritten (an admin-console URL).
    pub(crate) note: Option<String>,
}

/// The org as given: `--okta-url`, `--org-id` (+ `--base-url`), then `OKTA_URL`, then
/// `OKTA_ORG_NAME` (+ `OKTA_BASE_URL`); `None` when none of them is set. Flags beat the
/// environment, so an exported `OKTA_ORG_NAME` (the Okta Terraform provider's) never
/// blocks `--okta-url`.
pub(super) fn given_okta_target(
    args: &ServiceArgs,
    env: EnvLookup<'_>,
) -> Result<Option<OktaTarget>, Failure> {
    let from_url = |url: &str, source: &str| {
        parse_okta_target(url)
            .map(Some)
            .map_err(|e| Failure::usage(format!("{source}: {e}")))
    };
    let from_org_id = |org_id: &str| {
        let base = args
            .base_url
            .clone()
            .or_else(|| env("OKTA_BASE_URL"))
            .unwrap_or_else(|| "okta.com".into());
        okta_target_from_org_id(org_id, &base)
            .map(Some)
            .map_err(Failure::usage)
    };
    if let Some(url) = &args.okta_url {
        return from_url(url, "--okta-url");
    }
    if let Some(org_id) = &args.org_id {
        return from_org_id(org_id);
    }
    if args.base_url.is_some() && env("OKTA_ORG_NAME").is_none() {
        return Err(Failure::usage(
            "--base-url needs --org-id (the `example` of example.okta.com)",
        ));
    }
    // `--base-url` given as a flag asks for the org-id form, whatever OKTA_URL says.
    if let (Some(_), Some(org_id)) = (&args.base_url, env("OKTA_ORG_NAME")) {
        return from_org_id(&org_id);
    }
    if let Some(url) = env("OKTA_URL") {
        return from_url(&url, "OKTA_URL");
    }
    if let Some(org_id) = env("OKTA_ORG_NAME") {
        return from_org_id(&org_id);
    }
    Ok(None)
}

/// `--org-id example --base-url okta.com` → `https://example.okta.com`.
pub(crate) fn okta_target_from_org_id(org_id: &str, base_url: &str) -> Result<OktaTarget, String> {
    let org_id = check_org_id(org_id).map_err(|why| format!("--org-id {why}"))?;
    let base = check_base_domain(base_url).map_err(|why| format!("--base-url {why}"))?;
    parse_okta_target(&format!("https://{org_id}.{base}"))
}

/// The org `org_id` (checked already) names under `base_url`, as the wizard's second
/// question reads it: the messages name no flag.
pub(super) fn org_under(org_id: &str, base_url: &str) -> Result<OktaTarget, String> {
    let base = check_base_domain(base_url)?;
    parse_okta_target(&format!("https://{org_id}.{base}"))
}

/// An org id, trimmed: one label of letters, digits and `-`.
pub(super) fn check_org_id(org_id: &str) -> Result<&str, String> {
    let org_id = org_id.trim();
    if is_domain_text(org_id) && !org_id.contains('.') {
        Ok(org_id)
    } else {
        Err(format!(
            "{} is not an Okta org name (the `example` of example.okta.com)",
            shown(org_id)
        ))
    }
}

/// A base URL (`okta.com`; `https://okta.com/` too), as the domain it is.
fn check_base_domain(base_url: &str) -> Result<&str, String> {
    let base = base_url
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    if is_domain_text(base) && base.contains('.') {
        Ok(base)
    } else {
        Err(format!("{} is not a domain like okta.com", shown(base_url)))
    }
}

/// Letters, digits, `-` and `.`, at least one and at most [`MAX_TEXT_LEN`].
fn is_domain_text(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_TEXT_LEN
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Reads a domain or URL as typed or pasted: `example.okta.com`,
/// `https://example.okta.com/`, `https://example-admin.okta.com/admin/dashboard`,
/// `http://127.0.0.1:8080`. Refuses what [`check_url`] refuses, and a scheme-less
/// loopback address (it would become https; the sandbox speaks http). A path is
/// dropped, and the note says so.
pub(crate) fn parse_okta_target(input: &str) -> Result<OktaTarget, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("the Okta domain is empty".into());
    }
    check_text_value(input).map_err(|e| format!("{} {e}", shown(&without_userinfo(input))))?;
    let has_scheme = input.contains("://");
    let with_scheme = if has_scheme {
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| {
        format!(
            "{} is not a domain or URL ({e})",
            shown(&without_userinfo(input))
        )
    })?;
    check_url(&url, input)?;
    if !has_scheme && is_loopback_host(&url) {
        return Err(format!(
            "{} has no scheme; for a local server write http://{input} (only a domain may leave out https://)",
            shown(input)
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| format!("{} has no host", shown(input)))?
        .to_ascii_lowercase();
    let (host, note) = match host.split_once('.') {
        Some((first, rest)) if first.ends_with("-admin") && first.len() > "-admin".len() => {
            let plain = format!("{}.{rest}", first.trim_end_matches("-admin"));
            let note =
                format!("Using the org domain {plain} (you gave the admin console's {host}).");
            (plain, Some(note))
        }
        _ if !matches!(url.path(), "" | "/") => {
            let note = format!(
                "Using the org domain {host} and ignoring the path {} (an Okta org URL has none).",
                url.path()
            );
            (host, Some(note))
        }
        _ => (host, None),
    };
    let domain = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    let origin = Url::parse(&format!("{}://{domain}", url.scheme()))
        .map_err(|e| format!("{}: {e}", shown(input)))?;
    check_secure_url(&origin)?;
    Ok(OktaTarget {
        url: origin,
        domain,
        note,
    })
}

/// A service base URL: https, or http on loopback; a path prefix is kept. Refuses what
/// [`check_url`] refuses.
pub(crate) fn parse_base_url(input: &str, flag: &str) -> Result<Url, Failure> {
    let trimmed = input.trim();
    check_text_value(trimmed)
        .map_err(|e| Failure::usage(format!("{flag} {} {e}", shown(&without_userinfo(input)))))?;
    let url = Url::parse(trimmed).map_err(|e| {
        Failure::usage(format!(
            "{flag} {} is not a URL ({e}); write it whole, e.g. https://api.apono.io",
            shown(&without_userinfo(trimmed))
        ))
    })?;
    if !trimmed.contains("://") {
        return Err(Failure::usage(format!(
            "{flag} {} has no scheme; write https://... (or http://... for a loopback address)",
            shown(&without_userinfo(trimmed))
        )));
    }
    check_url(&url, trimmed).map_err(|e| Failure::usage(format!("{flag}: {e}")))?;
    Ok(url)
}

/// What every service URL must be: http(s) without a user name or password, on a host
/// that is a domain with a dot, an IP address or `localhost`, on a port other than 0,
/// with no query or fragment, and plain http only on loopback. `input` is what the user
/// typed, for the message; a password in it is never repeated.
fn check_url(url: &Url, input: &str) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{} contains a user name or password; pass the URL alone (the token goes in its own variable or file)",
            shown(&without_userinfo(input))
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{} has scheme '{}'; expected https://",
            shown(input),
            url.scheme()
        ));
    }
    match url.host() {
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {}
        Some(url::Host::Domain(domain)) if is_plausible_domain(domain) => {}
        Some(url::Host::Domain(domain)) => {
            let hint = if matches!(domain, "http" | "https") {
                format!(" (a missing colon? write {domain}://...)")
            } else {
                String::new()
            };
            return Err(format!(
                "{} does not name a host like example.okta.com (read the host as {}){hint}",
                shown(input),
                shown(domain)
            ));
        }
        None => return Err(format!("{} has no host", shown(input))),
    }
    if url.port() == Some(0) {
        return Err(format!("{} has port 0", shown(input)));
    }
    if url.query().is_some() {
        return Err(format!(
            "{} has a query (?...); pass the URL without it",
            shown(input)
        ));
    }
    if url.fragment().is_some() {
        return Err(format!(
            "{} has a fragment (#...); pass the URL without it",
            shown(input)
        ));
    }
    check_secure_url(url)
}

/// `localhost`, or a name with at least two non-empty labels of letters, digits, `-`, `_`.
fn is_plausible_domain(domain: &str) -> bool {
    domain.eq_ignore_ascii_case("localhost")
        || (domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }))
}

/// 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `input` with anything between the scheme and an `@` in the authority replaced by
/// `***`, so a password typed into a URL is never printed back.
fn without_userinfo(input: &str) -> String {
    let (scheme, rest) = match input.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), input),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***@{}", &rest[at + 1..]),
        None => input.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::is_unsafe;
    use proptest::prelude::*;

    #[test]
    fn normalises_admin_console_urls() {
        let target = parse_okta_target("https://example-admin.okta.com/admin/dashboard").unwrap();
        assert_eq!(target.url.as_str(), "https://example.okta.com/");
        assert_eq!(target.domain, "example.okta.com");
        assert!(target.note.unwrap().contains("example-admin.okta.com"));
    }

    #[test]
    fn accepts_domains_and_loopback_urls() {
        assert_eq!(
            parse_okta_target("Example.okta.com").unwrap().domain,
            "example.okta.com"
        );
        let sandbox = parse_okta_target("http://127.0.0.1:8080/").unwrap();
        assert_eq!(sandbox.domain, "127.0.0.1:8080");
        assert_eq!(
            sandbox.url.origin().ascii_serialization(),
            "http://127.0.0.1:8080"
        );
        assert!(parse_okta_target("http://example.okta.com").is_err());
        assert!(parse_okta_target("  ").is_err());
    }

    #[test]
    fn refuses_implausible_okta_urls() {
        let refused = |input: &str, expected: &str| {
            let error = parse_okta_target(input).unwrap_err();
            assert!(error.contains(expected), "{input}: {error}");
            assert!(!error.contains("hunter2"), "{input}: {error}");
        };
        refused(
            "http://admin:hunter2@127.0.0.1:8080",
            "user name or password",
        );
        refused("https://admin:hunter2@", "not a domain or URL");
        refused("https://example.okta.com:0", "port 0");
        refused("https://example.okta.com/?a=b", "query");
        refused("https://example.okta.com/#top", "fragment");
        refused("http//127.0.0.1:36669", "missing colon");
        refused("example", "does not name a host");
        refused("127.0.0.1:8080", "http://127.0.0.1:8080");
        refused("localhost:8080", "http://localhost:8080");
        refused("ftp://example.okta.com", "scheme 'ftp'");
        refused("http://example.okta.com", "plain http");
        refused("example.okta.com\u{7}", "control character");
        refused("http://admin:hunter2@127.0.0.1\u{7f}", "control character");
        refused("admin:hunter2@example\u{7}.okta.com", "control character");
        refused(&format!("{}.okta.com", "a".repeat(2000)), "2009 bytes");
    }

    #[test]
    fn drops_a_path_with_a_note() {
        let target = parse_okta_target("https://example.okta.com/app/UserHome").unwrap();
        assert_eq!(target.url.as_str(), "https://example.okta.com/");
        assert!(target.note.unwrap().contains("/app/UserHome"));
        assert_eq!(
            parse_okta_target("https://example.okta.com/").unwrap().note,
            None
        );
    }

    #[test]
    fn base_urls() {
        let ok = |input: &str| parse_base_url(input, "--apono-url").map(|u| u.to_string());
        assert_eq!(ok("https://api.apono.io").unwrap(), "https://api.apono.io/");
        assert_eq!(
            ok("http://127.0.0.1:9/prefix/").unwrap(),
            "http://127.0.0.1:9/prefix/"
        );
        for (input, expected) in [
            ("https://u:hunter2@api.apono.io", "user name or password"),
            ("https://u:hunter2@api.apono.io\u{1b}", "control character"),
            ("https://api.apono.io:0", "port 0"),
            ("https://api.apono.io/?x", "query"),
            ("https://api.apono.io/#x", "fragment"),
            ("api.apono.io", "not a URL"),
            ("localhost:8080", "has no scheme"),
            ("http://api.apono.io", "plain http"),
            ("https://apono/", "does not name a host"),
        ] {
            let error = ok(input).unwrap_err().message;
            assert!(error.contains(expected), "{input}: {error}");
            assert!(error.starts_with("--apono-url"), "{input}: {error}");
            assert!(!error.contains("hunter2"), "{input}: {error}");
        }
    }

    #[test]
    fn urls_are_shown_without_userinfo() {
        assert_eq!(without_userinfo("http://a:b@h:1/p@q"), "http://***@h:1/p@q");
        assert_eq!(without_userinfo("a:b@h"), "***@h");
        assert_eq!(without_userinfo("https://h/p"), "https://h/p");
    }

    #[test]
    fn org_id_and_base_url() {
        let target = okta_target_from_org_id("example", "oktapreview.com").unwrap();
        assert_eq!(target.domain, "example.oktapreview.com");
        assert!(okta_target_from_org_id("a.b", "okta.com").is_err());
        assert!(okta_target_from_org_id("ex", "okta.com/x").is_err());
    }

    /// The longest message a refused URL or org name may give: the value is quoted cut
    /// to 80 characters, a URL's serialization (percent-encoded) to 3 bytes a byte.
    const MAX_MESSAGE: usize = 4 * MAX_TEXT_LEN;

    /// A refusal is bounded and inert: no control or bidirectional character.
    fn assert_inert(message: &str) -> Result<(), TestCaseError> {
        prop_assert!(
            message.len() <= MAX_MESSAGE,
            "{} bytes: {message}",
            message.len()
        );
        prop_assert!(!message.chars().any(is_unsafe), "{message:?}");
        Ok(())
    }

    /// An accepted org: an http(s) origin with nothing but a host and a port, and a
    /// domain that is that host and port, bounded and inert.
    fn assert_origin(target: &OktaTarget) -> Result<(), TestCaseError> {
        let url = &target.url;
        prop_assert!(matches!(url.scheme(), "http" | "https"), "{url}");
        prop_assert!(
            url.username().is_empty() && url.password().is_none(),
            "{url}"
        );
        prop_assert!(url.query().is_none() && url.fragment().is_none(), "{url}");
        prop_assert_eq!(url.path(), "/");
        let host = url.host_str().unwrap_or_default();
        let domain = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        prop_assert_eq!(&target.domain, &domain);
        prop_assert!(target.domain.len() <= MAX_TEXT_LEN);
        if let Some(note) = &target.note {
            assert_inert(note)?;
        }
        assert_inert(&target.domain)
    }

    /// Something shaped like what is typed or pasted at the Okta prompt: a scheme or
    /// none, a host of labels, a port, a path, a query; any character may be anywhere.
    fn url_like() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just(String::new()),
                Just("https://".to_string()),
                Just("http://".to_string()),
                "[a-z+]{0,6}://"
            ],
            prop::collection::vec("[a-zA-Z0-9_-]{0,12}", 0..5),
            prop_oneof![
                Just(String::new()),
                "[a-z.]{1,8}",
                Just(".okta.com".to_string())
            ],
            prop::option::of(0u32..70_000),
            "(/[^?#]{0,20}){0,3}",
            "([?#].{0,10})?",
        )
            .prop_map(|(scheme, labels, suffix, port, path, tail)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                format!("{scheme}{}{suffix}{port}{path}{tail}", labels.join("."))
            })
    }

    proptest! {
        #[test]
        fn any_okta_url_is_an_origin_or_an_inert_refusal(
            input in prop_oneof![any::<String>(), url_like(), "[ -~]{0,2000}"],
        ) {
            match parse_okta_target(&input) {
                Ok(target) => assert_origin(&target)?,
                Err(message) => assert_inert(&message)?,
            }
        }

        #[test]
        fn any_org_id_and_base_url_are_an_org_or_an_inert_refusal(
            org_id in prop_oneof![any::<String>(), "[a-zA-Z0-9.-]{0,20}"],
            base_url in prop_oneof![any::<String>(), Just("okta.com".to_string()), "[a-z.:/]{0,20}"],
        ) {
            match okta_target_from_org_id(&org_id, &base_url) {
                Ok(target) => {
                    assert_origin(&target)?;
                    let org = org_id.trim().to_ascii_lowercase();
                    prop_assert!(target.domain.starts_with(&format!("{org}.")), "{target:?}");
                }
                Err(message) => assert_inert(&message)?,
            }
        }

        #[test]
        fn any_base_url_is_a_plain_url_or_an_inert_refusal(
            input in prop_oneof![any::<String>(), url_like()],
        ) {
            match parse_base_url(&input, "--apono-url") {
                Ok(url) => {
                    prop_assert!(url.username().is_empty() && url.password().is_none());
                    prop_assert!(url.query().is_none() && url.fragment().is_none());
                    prop_assert!(url.port() != Some(0));
                }
                Err(failure) => {
                    prop_assert!(failure.message.starts_with("--apono-url"));
                    assert_inert(&failure.message)?;
                }
            }
        }

        /// A password typed into a URL is never repeated, whatever else the URL holds.
        #[test]
        fn a_password_in_a_url_is_never_repeated(
            url in url_like(),
            password in "[A-Z0-9]{12,20}",
        ) {
            let input = match url.split_once("://") {
                Some((scheme, rest)) => format!("{scheme}://admin:{password}@{rest}"),
                None => format!("admin:{password}@{url}"),
            };
            if let Err(message) = parse_okta_target(&input) {
                prop_assert!(!message.contains(&password), "{message}");
            }
            if let Err(failure) = parse_base_url(&input, "--apono-url") {
                prop_assert!(!failure.message.contains(&password), "{}", failure.message);
            }
        }
    }
}
