//! Small helpers shared by both imitated services: ids, clocks, the parsed request
//! ([`Req`]) and the response under construction ([`Resp`]), wildcard matching and
//! removal from lists.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::Value;

/// `n` random base62 characters.
pub(crate) fn base62(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// An Okta-looking id: a three-character prefix and 17 base62 characters (20 in all).
pub(crate) fn okta_id(prefix: &str) -> String {
    format!("{prefix}{}", base62(20 - prefix.len()))
}

/// A random UUID (version 4 layout), as Apono uses for integration ids.
pub(crate) fn uuid() -> String {
    let mut bytes: [u8; 16] = rand::rng().random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Seconds since the Unix epoch, now.
pub(crate) fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// Now as an RFC 3339 / ISO 8601 UTC timestamp with milliseconds, as Okta writes them:
/// `2024-05-01T14:24:54.000Z`.
pub(crate) fn iso_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    iso_from_epoch(now.as_secs(), now.subsec_millis())
}

/// Formats epoch seconds (+ milliseconds) as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn iso_from_epoch(secs: u64, millis: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The HTTP `Date` header value for now.
pub(crate) fn http_date() -> String {
    httpdate::fmt_http_date(SystemTime::now())
}

/// A request as the handlers see it: everything already read and parsed.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body parsed as JSON, `None` when empty or not JSON.
    pub json: Option<Value>,
}

impl Req {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every query parameter, decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Every value of a (possibly repeated, possibly comma-separated) query parameter.
    pub fn query_values(&self, name: &str) -> Vec<String> {
        self.query_pairs()
            .into_iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The path split on `/`, without empty segments.
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// Whether the body is non-empty but not JSON.
    pub fn body_is_malformed(&self) -> bool {
        self.json.is_none() && !self.body.iter().all(|b| b.is_ascii_whitespace())
    }
}

/// A response under construction.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Resp {
    /// A JSON response.
    pub fn json(status: u16, body: Value) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// A response without a body (204).
    pub fn empty(status: u16) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header (several with the same name are kept, e.g. `Link`).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Resp {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Whether a header with that (lower-case) name is set.
    pub fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n == name)
    }
}

/// Removes the items that match; whether there was any.
pub(crate) fn remove_where<T>(items: &mut Vec<T>, matches: impl Fn(&T) -> bool) -> bool {
    let before = items.len();
    items.retain(|item| !matches(item));
    items.len() != before
}

/// Matches `text` against a pattern in which `*` stands for any run of characters
/// (Apono's name and type filters).
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_from_epoch(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_from_epoch(1_682_950_694, 7), "2023-05-01T14:18:14.007Z");
        assert_eq!(iso_from_epoch(951_782_400, 0), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("okta*", "okta-directory"));
        assert!(wildcard_match("*directory", "okta-directory"));
        assert!(wildcard_match("*ta-di*", "okta-directory"));
        assert!(wildcard_match("OKTA-DIRECTORY", "okta-directory"));
        assert!(!wildcard_match("okta", "okta-directory"));
        assert!(!wildcard_match("aws*", "okta-directory"));
    }

    #[test]
    fn ids() {
        let id = okta_id("0oa");
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("0oa"));
        assert_eq!(uuid().len(), 36);
    }
}
