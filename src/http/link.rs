//! The RFC 8288 `Link` header, as Okta paginates with it: [`parse_link_header`] reads one
//! field value (text from a server: any string is read without panicking, and a target is
//! always a piece of it), [`next_link`] finds the `rel="next"` target among the headers.
//! Whether that target may be followed is the client's rule, not this file's.

use reqwest::header::HeaderMap;

/// One link of a `Link` header (RFC 8288 §3): its target as written (a URI reference,
/// resolved by the caller) and its relation types, lower-cased (`rel` compares
/// case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    target: String,
    rels: Vec<String>,
}

/// The target of the first `rel="next"` link among possibly several `Link` headers.
pub(super) fn next_link(headers: &HeaderMap) -> Option<String> {
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
fn parse_link_header(value: &str) -> Vec<Link> {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    use super::*;
    use crate::http::strategies::wild_text;

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

    /// `value` as a quoted string: `"` and `\` escaped.
    fn quoted(value: &str) -> String {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }

    /// One link as a server may write it, and the [`Link`] it must read back as: a
    /// target of printable ASCII (commas, semicolons and quotes included), its relation
    /// types quoted or not, in any case, among other parameters whose quoted values hold
    /// anything, and a later `rel` that does not count.
    fn written_link() -> impl Strategy<Value = (String, Link)> {
        let rels = prop::collection::vec("[a-z][a-z0-9.-]{0,8}", 0..3);
        let name = prop::sample::select(vec!["title", "title*", "type", "hreflang", "anchor"]);
        let others = prop::collection::vec((name, wild_text(16)), 0..3);
        let layout = (any::<bool>(), 0usize..3, "[ \t]{0,2}");
        ("[!-=?-~]{1,40}", rels, others, layout).prop_map(
            |(target, rels, others, (shout, rel_at, space))| {
                let mut params: Vec<String> = others
                    .iter()
                    .map(|(name, value)| format!("{name}={}", quoted(value)))
                    .collect();
                if !rels.is_empty() {
                    let value = rels.join(" ");
                    let rel = match (shout, rels.len()) {
                        (true, _) => format!("REL={}", quoted(&value.to_ascii_uppercase())),
                        (false, 1) => format!("rel={value}"),
                        (false, _) => format!("rel={}", quoted(&value)),
                    };
                    params.insert(rel_at.min(params.len()), rel);
                    params.push("rel=\"ignored\"".to_string());
                }
                let params: String = params
                    .iter()
                    .map(|param| format!("{space};{space}{param}"))
                    .collect();
                (format!("<{target}>{params}"), Link { target, rels })
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_text_reads_as_links_cut_from_it(
            value in prop_oneof![any::<String>(), wild_text(80), "[<>;,=\" \\\\a-z]{0,60}"],
        ) {
            for link in parse_link_header(&value) {
                prop_assert!(value.contains(&link.target), "{value:?} -> {link:?}");
                prop_assert!(link.rels.iter().all(|rel| !rel.is_empty()), "{link:?}");
            }
        }

        #[test]
        fn written_links_read_back(
            links in prop::collection::vec(written_link(), 0..5),
            separator in "[ \t]{0,2},[ \t]{0,2}",
            edges in "[ \t,]{0,3}",
        ) {
            let (texts, expected): (Vec<String>, Vec<Link>) = links.into_iter().unzip();
            let value = format!("{edges}{}{edges}", texts.join(&separator));
            prop_assert_eq!(parse_link_header(&value), expected, "{}", value);
        }
    }
}
