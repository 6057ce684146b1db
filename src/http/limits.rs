//! How much of an answer is read and decoded: one body is read up to [`MAX_BODY`] (an
//! error's up to [`MAX_ERROR_BODY`]), all the bodies being read at once by the process up
//! to [`MAX_BUFFERED`], and a JSON body is decoded only when it holds at most
//! [`MAX_JSON_VALUES`] values, counted without decoding ([`json_value_count`]).

use super::AttemptError;

/// The most bytes read of one answer, after decompression; a longer one is an error
/// naming the request ([`ApiError::TooLarge`](super::ApiError::TooLarge)).
pub(super) const MAX_BODY: usize = 16 * 1024 * 1024;

/// The most bytes kept of an error's answer: its summary is cut shorter anyway.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The most bytes held at once by all the answers being read (the preflight reads
/// several side by side): with [`MAX_BODY`] and [`MAX_JSON_VALUES`] it keeps a run under
/// 64 MB of memory whatever the servers send.
const MAX_BUFFERED: usize = 20 * 1024 * 1024;

/// The most JSON values (numbers, strings, keys, containers) one answer may hold: a
/// page of 200 Okta apps has about 20 000. Bounds what decoding makes of a body.
pub(super) const MAX_JSON_VALUES: usize = 250_000;

/// Bytes of answers being read right now, by every client of the process.
static BUFFERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// An upper bound on the JSON values in `body` (one per `,`, `:`, `[` and `{` outside
/// strings, plus one), counted without decoding anything.
pub(super) fn json_value_count(body: &[u8]) -> usize {
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

/// The whole body of `response`, read chunk by chunk: a success's up to [`MAX_BODY`]
/// (a longer one is [`AttemptError::TooLarge`]), an error's cut at [`MAX_ERROR_BODY`]
/// (it is for people: a little of it is plenty). Its bytes count into [`BUFFERED`] while
/// they are read, and the read stops when the process would hold too much.
pub(super) async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, AttemptError> {
    let success = response.status().is_success();
    let limit = if success { MAX_BODY } else { MAX_ERROR_BODY };
    let mut bytes = Vec::new();
    let mut held = BufferedBytes(0);
    while let Some(chunk) = response.chunk().await.map_err(AttemptError::Transport)? {
        if !held.take(chunk.len()) {
            return Err(AttemptError::TooLarge);
        }
        if bytes.len() + chunk.len() > limit {
            if !success {
                bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
                break;
            }
            return Err(AttemptError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::http::strategies::json_value;

    /// Every value of a document, as [`MAX_JSON_VALUES`] counts them: containers, keys
    /// and scalars.
    fn values(value: &Value) -> usize {
        1 + match value {
            Value::Array(items) => items.iter().map(values).sum(),
            Value::Object(entries) => entries.values().map(|v| 1 + values(v)).sum(),
            _ => 0,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The count bounds what decoding makes of a body, so it may be high, never low:
        /// quotes, escapes and separators inside strings must not hide a value.
        #[test]
        fn the_count_is_never_below_the_values(value in json_value(4), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value)
            } else {
                serde_json::to_string(&value)
            }
            .expect("a Value serializes");
            prop_assert!(json_value_count(text.as_bytes()) >= values(&value), "{text}");
        }
    }
}
