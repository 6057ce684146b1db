//! The output edge: every byte this program writes to stdout or stderr leaves through
//! here, so text from outside (what a server sent, what an admin typed into Okta or
//! Apono, what was pasted on the command line) is inert whatever message carries it.
//!
//! On the way out each line is redacted (both tokens, [`secret::redact`]), cut when it
//! is longer than [`MAX_LINE`], and its control characters (C0, DEL, C1) and
//! bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)
//! are replaced with visible escapes (`\x1b`, `\u{202e}`). `--json` output escapes the
//! same characters as `\uXXXX` inside its strings. Where server text enters a message,
//! [`server_text`] cuts it to [`MAX_SERVER_TEXT`] (an error's causes to
//! [`MAX_CAUSES`]), saying how much was cut.
//!
//! [`crate::ui`] styles what it prints (colours are ours, added after the escape); the
//! reports and failures of every command are printed by [`crate::commands`] through
//! [`print_text`] and [`print_json`].

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::Value;

use crate::secret;

/// Server text (an error summary, a cause, a name) is cut at this many bytes.
pub(crate) const MAX_SERVER_TEXT: usize = 1024;

/// An error's causes beyond this many are counted, not shown.
pub(crate) const MAX_CAUSES: usize = 10;

/// A line longer than this is cut at the edge, whatever it holds: a message can carry
/// several pieces of server text, each already cut to [`MAX_SERVER_TEXT`].
pub(crate) const MAX_LINE: usize = 16 * 1024;

/// Whether `c` is a control character (C0, DEL, C1) or a bidirectional control
/// (Unicode's `Bidi_Control`): none may reach a terminal from outside.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` as it may appear on a terminal: every control and bidirectional character
/// (newlines included) replaced with a visible escape: `\x1b`, `\n`, `\u{202e}`.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() && (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// `text` cut to at most `limit` bytes (on a character boundary), with what was cut
/// said at the end.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} more bytes cut)", &text[..end], text.len() - end)
}

/// Server text as it enters a message: redacted (before the cut, so no part of a token
/// survives it), on one line (line breaks become spaces, so no line of ours can be
/// forged), trimmed, and cut to [`MAX_SERVER_TEXT`]. Control characters stay for the
/// edge to escape.
pub(crate) fn server_text(text: &str) -> String {
    let one_line: String = secret::redact(text)
        .trim()
        .chars()
        .map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c })
        .collect();
    cut(&one_line, MAX_SERVER_TEXT)
}

/// Several pieces of server text (an error's causes): at most [`MAX_CAUSES`], each
/// through [`server_text`], joined with `; `, and how many more there were.
pub(crate) fn server_causes<'a>(causes: impl IntoIterator<Item = &'a str>) -> String {
    let mut shown = Vec::new();
    let mut more = 0usize;
    for cause in causes {
        if shown.len() < MAX_CAUSES {
            shown.push(server_text(cause));
        } else {
            more += 1;
        }
    }
    let mut joined = shown.join("; ");
    if more > 0 {
        let _ = write!(joined, "; and {more} more causes not shown");
    }
    joined
}

/// One line for a terminal: redacted, cut to [`MAX_LINE`], control characters escaped.
pub(crate) fn terminal_line(line: &str) -> String {
    escape(&cut(&secret::redact(line), MAX_LINE))
}

/// Several lines for a terminal, each through [`terminal_line`]; the line breaks are
/// the message's own.
pub(crate) fn terminal_text(text: &str) -> String {
    text.split('\n')
        .map(terminal_line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A JSON value as printed by `--json`: keys sorted (through [`Value`], whose maps
/// are), every string redacted and cut to [`MAX_LINE`], and the characters a terminal
/// would act on written as `\uXXXX` (serde_json escapes C0 itself; DEL, C1 and the
/// bidirectional controls are escaped here).
pub(crate) fn json_text(value: &Value) -> String {
    let mut value = value.clone();
    scrub_strings(&mut value);
    let serialized = value.to_string();
    let mut out = String::with_capacity(serialized.len());
    for c in serialized.chars() {
        if is_unsafe(c) {
            // Outside strings JSON has no such character; inside one, `\uXXXX` is it.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn scrub_strings(value: &mut Value) {
    match value {
        Value::String(text) => *text = cut(&secret::redact(text), MAX_LINE),
        Value::Array(items) => items.iter_mut().for_each(scrub_strings),
        Value::Object(map) => map.values_mut().for_each(scrub_strings),
        _ => {}
    }
}

/// Whether this run prints `--json` (so an end by Ctrl-C at a prompt prints its object).
static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Says whether this run prints `--json`.
pub(crate) fn set_json(on: bool) {
    JSON.store(on, std::sync::atomic::Ordering::SeqCst);
}

/// Whether this run prints `--json`.
pub(crate) fn json() -> bool {
    JSON.load(std::sync::atomic::Ordering::SeqCst)
}

/// Prints a command's human output on stdout, through [`terminal_text`].
pub(crate) fn print_text(text: &str) {
    print_raw(&terminal_text(text));
}

/// Prints the one JSON object of `--json` on stdout, through [`json_text`].
pub(crate) fn print_json(value: &Value) {
    print_raw(&json_text(value));
}

/// Prints text that is all ours (a completion script, a man page) on stdout as it is;
/// a closed pipe (`| head`) is not an error.
pub(crate) fn print_raw(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// Writes one line on stderr: `prefix` is ours (a styled label, indentation) and goes
/// out as it is; `message` goes through [`terminal_text`].
pub(crate) fn stderr_line(prefix: &str, message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{prefix}{}", terminal_text(message));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_what_a_terminal_acts_on() {
        assert_eq!(escape("a\u{1b}]0;owned\u{7}b"), "a\\x1b]0;owned\\x07b");
        assert_eq!(escape("x\u{7f}\u{9b}2J"), "x\\x7f\\x9b2J");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("\u{2066}\u{200f}"), "\\u{2066}\\u{200f}");
        assert_eq!(escape("tab\there\r\n"), "tab\\there\\r\\n");
        assert_eq!(escape("naïve ✓ 日本"), "naïve ✓ 日本");
    }

    #[test]
    fn terminal_text_keeps_our_line_breaks_and_escapes_the_rest() {
        assert_eq!(terminal_text("one\ntwo\u{1b}[2J"), "one\ntwo\\x1b[2J");
        assert_eq!(terminal_text("back\roverwrite"), "back\\roverwrite");
    }

    #[test]
    fn server_text_is_one_line_and_cut_saying_how_much() {
        assert_eq!(server_text("  a\nb\r\nc "), "a b  c");
        let long = "x".repeat(5000);
        let cut_text = server_text(&long);
        assert!(cut_text.starts_with(&"x".repeat(MAX_SERVER_TEXT)));
        assert!(
            cut_text.ends_with("... (3976 more bytes cut)"),
            "{cut_text}"
        );
        // A cut never splits a character.
        let wide = "é".repeat(1000);
        assert!(server_text(&wide).contains("more bytes cut"));
    }

    #[test]
    fn causes_are_counted_beyond_ten() {
        let causes: Vec<String> = (1..=12).map(|n| format!("cause {n}")).collect();
        let joined = server_causes(causes.iter().map(String::as_str));
        assert!(joined.starts_with("cause 1; cause 2"));
        assert!(joined.contains("cause 10;"));
        assert!(!joined.contains("cause 11"));
        assert!(joined.ends_with("and 2 more causes not shown"), "{joined}");
    }

    #[test]
    fn json_escapes_del_c1_and_bidi_and_stays_json() {
        let value = serde_json::json!({"name": "a\u{1b}[31m\u{7f}\u{85}\u{202e}b"});
        let text = json_text(&value);
        assert_eq!(text, r#"{"name":"a\u001b[31m\u007f\u0085\u202eb"}"#);
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn json_strings_are_cut() {
        let value = serde_json::json!({"error": "y".repeat(MAX_LINE * 4)});
        assert!(json_text(&value).len() < MAX_LINE + 100);
    }

    proptest! {
        #[test]
        fn no_unsafe_character_survives(text in any::<String>()) {
            let line = terminal_line(&text);
            prop_assert!(!line.chars().any(is_unsafe));
            let json = json_text(&Value::String(text.clone()));
            prop_assert!(!json.chars().any(is_unsafe));
            let back: Value = serde_json::from_str(&json).expect("still JSON");
            if text.len() <= MAX_LINE {
                prop_assert_eq!(back, Value::String(text));
            }
        }

        #[test]
        fn output_is_bounded(text in ".{0,3000}", repeat in 1usize..40) {
            let big = text.repeat(repeat);
            // Each character escapes to at most 10 bytes, plus the note of the cut.
            prop_assert!(terminal_line(&big).len() <= MAX_LINE * 10 + 64);
            prop_assert!(server_text(&big).len() <= MAX_SERVER_TEXT + 64);
        }

        #[test]
        fn cut_keeps_a_prefix(text in any::<String>(), limit in 0usize..64) {
            let cut_text = cut(&text, limit);
            let kept = cut_text.split("... (").next().unwrap_or_default();
            prop_assert!(text.starts_with(kept));
        }
    }
}
