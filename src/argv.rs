//! A command line clap refuses, said without echoing what was pasted into it
//! (DESIGN.md §5: a token is never echoed, also when it is pasted where an argument was
//! expected).
//!
//! An argument clap did not expect (an unknown argument or subcommand, a value given to
//! a positional that refuses it, a value too many) is named by its position among the
//! arguments after the program name and its length, never printed; clap's tips that
//! quote it ("to pass '...' as a value, use '-- ...'") are left out. The refused value of
//! a known flag (`--color bad`) is named, as every bad value is, but cut to [`MAX_SHOWN`]
//! bytes with its control and bidirectional characters escaped. Everything is printed
//! through [`crate::output`]; `--json` prints the one failure object too.

use std::ffi::OsString;

use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::cli::Cli;
use crate::error::{ExitKind, Failure};
use crate::output;
use crate::ui::{self, Appearance, Ui};

/// A refused flag value is quoted up to this many bytes.
const MAX_SHOWN: usize = 80;

/// How many candidates [`locate`] parses again to find the stray argument's position.
const MAX_REPARSES: usize = 16;

/// Said with every stray argument: a pasted token is the likely one.
const SECRETS_ADVICE: &str = "secrets are never arguments: pass the Okta token with OKTA_API_TOKEN or --okta-api-token-file, the Apono token with APONO_API_TOKEN or --apono-api-token-file";

/// Prints what clap refused (or the help and version it was asked for) and returns the
/// exit code: 0 for `--help` and `--version`, else 2, with the `--json` failure object
/// on stdout when `--json` is among the arguments.
pub(crate) fn refuse(error: clap::Error, args: &[OsString]) -> u8 {
    if is_display(error.kind()) {
        // Our own text, whatever the arguments were.
        let _ = error.print();
        return if error.use_stderr() {
            ExitKind::Usage.code()
        } else {
            0
        };
    }
    let refusal = Refusal::new(error, args);
    let color = ui::auto_color(ui::stderr_is_terminal(), &crate::settings::process_env);
    let appearance = Appearance {
        color,
        ..Appearance::default()
    };
    Ui::new(true, appearance).error(&refusal.message);
    for line in refusal.details.lines() {
        output::stderr_line("", line);
    }
    if args.iter().any(|a| a == "--json") {
        output::print_json(&Failure::usage(refusal.message).to_json());
    }
    ExitKind::Usage.code()
}

/// Whether clap's "error" is the help or the version, asked for or shown for want of a
/// subcommand: text of our own, printed as clap prints it.
fn is_display(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    )
}

/// A refused command line as it is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The `error:` line, without the label; the `error` of the `--json` object.
    pub(crate) message: String,
    /// What follows it: possible values, tips, the usage line, where to read more.
    pub(crate) details: String,
}

impl Refusal {
    /// What to say about `error`, which clap returned for `args` (the program name first).
    pub(crate) fn new(mut error: clap::Error, args: &[OsString]) -> Refusal {
        let own_message = match Stray::of(&error) {
            Some(stray) => {
                let message = stray.message(&error, args);
                stray.scrub(&mut error);
                Some(message)
            }
            None => {
                escape_value(&mut error);
                None
            }
        };
        let rendered = error.render().to_string();
        let (first, rest) = rendered.split_once('\n').unwrap_or((&rendered, ""));
        let message = own_message.unwrap_or_else(|| {
            let first = first.strip_prefix("error: ").unwrap_or(first);
            first.to_string()
        });
        Refusal {
            message,
            details: rest.trim_end().to_string(),
        }
    }
}

/// An argument clap did not expect, as its error quotes it.
struct Stray {
    /// What the error is about: "unexpected argument", "unrecognized subcommand"...
    what: &'static str,
    /// Where it holds the quoted text.
    context: ContextKind,
    /// The text as clap quotes it: the argument, or a part (`--name` of `--name=value`,
    /// `-x` of `-qx`).
    quoted: String,
    /// " for '<SHELL>'": the positional that refused it, or the flag with a value too many.
    target: String,
}

impl Stray {
    fn of(error: &clap::Error) -> Option<Stray> {
        let text = |kind| match error.get(kind) {
            Some(ContextValue::String(text)) => Some(text.clone()),
            _ => None,
        };
        let arg = text(ContextKind::InvalidArg);
        let (what, context, target) = match error.kind() {
            ErrorKind::UnknownArgument => ("unexpected argument", ContextKind::InvalidArg, None),
            ErrorKind::InvalidSubcommand => (
                "unrecognized subcommand",
                ContextKind::InvalidSubcommand,
                None,
            ),
            ErrorKind::InvalidValue | ErrorKind::ValueValidation
                if arg.as_deref().is_some_and(|a| !a.starts_with('-')) =>
            {
                ("invalid value", ContextKind::InvalidValue, arg)
            }
            ErrorKind::TooManyValues => ("unexpected value", ContextKind::InvalidValue, arg),
            _ => return None,
        };
        Some(Stray {
            what,
            context,
            quoted: text(context)?,
            target: target.map(|t| format!(" for '{t}'")).unwrap_or_default(),
        })
    }

    /// "unexpected argument at position 2 (40 characters), not shown; secrets are ...".
    fn message(&self, error: &clap::Error, args: &[OsString]) -> String {
        let place = match locate(error, &self.quoted, args) {
            Some((position, length)) => format!(" at position {position} ({length} characters)"),
            None => String::new(),
        };
        format!(
            "{}{place}{}, not shown; {SECRETS_ADVICE}",
            self.what, self.target
        )
    }

    /// Takes the quoted text out of the error, and the tips that quote it, so that what
    /// clap renders around our message (tips, usage) cannot hold it.
    fn scrub(&self, error: &mut clap::Error) {
        error.insert(self.context, ContextValue::String(String::new()));
        if let Some(ContextValue::StyledStrs(tips)) = error.remove(ContextKind::Suggested) {
            let ours = is_own_name(&Cli::command(), &self.quoted);
            let kept: Vec<_> = tips
                .into_iter()
                .filter(|tip| ours || !tip.to_string().contains(&self.quoted))
                .collect();
            if !kept.is_empty() {
                error.insert(ContextKind::Suggested, ContextValue::StyledStrs(kept));
            }
        }
    }
}

/// Where the argument clap quoted as `quoted` is: its position among the arguments after
/// the program name (1 is the first) and its length in characters. clap stops at the
/// first argument it cannot take, so of the arguments that could hold `quoted`, it is
/// the first whose prefix of the command line fails the same way; the same text given
/// earlier as a flag's value does not.
fn locate(error: &clap::Error, quoted: &str, args: &[OsString]) -> Option<(usize, usize)> {
    let candidates: Vec<(usize, String)> = args
        .iter()
        .enumerate()
        .skip(1)
        .map(|(index, arg)| (index, arg.to_string_lossy().into_owned()))
        .filter(|(_, arg)| could_hold(arg, quoted))
        .take(MAX_REPARSES)
        .collect();
    let mut command = Cli::command();
    let found = candidates.iter().find(|(index, _)| {
        match command.try_get_matches_from_mut(&args[..=*index]) {
            Err(again) => {
                again.kind() == error.kind()
                    && Stray::of(&again).is_some_and(|stray| stray.quoted == quoted)
            }
            Ok(_) => false,
        }
    });
    found
        .or(candidates.first())
        .map(|(index, arg)| (*index, arg.chars().count()))
}

/// Whether clap could have quoted `quoted` from the argument `arg`: the whole of it, its
/// start (`--name` of `--name=value`, `-x` of `-xvalue`), or a short flag in a cluster.
fn could_hold(arg: &str, quoted: &str) -> bool {
    if arg.starts_with(quoted) {
        return true;
    }
    match quoted.strip_prefix('-') {
        Some(short) if short.chars().count() == 1 => {
            arg.starts_with('-') && !arg.starts_with("--") && arg.contains(short)
        }
        _ => false,
    }
}

/// Whether `text` is a name of this tool's own: a subcommand, or a flag (`--json`,
/// `-q`) of any command. A tip that quotes such a text quotes nothing pasted.
fn is_own_name(command: &clap::Command, text: &str) -> bool {
    let flag = command.get_arguments().any(|arg| {
        arg.get_long()
            .is_some_and(|long| text.strip_prefix("--") == Some(long))
            || arg.get_short().is_some_and(|short| {
                text.strip_prefix('-')
                    .is_some_and(|rest| rest.chars().eq([short]))
            })
    });
    flag || command
        .get_subcommands()
        .any(|sub| sub.get_name() == text || is_own_name(sub, text))
}

/// Escapes the refused value of a known flag in place, cut to [`MAX_SHOWN`] bytes: clap
/// puts it in its message as it is, and a line break there would start a line of its own.
fn escape_value(error: &mut clap::Error) {
    if let Some(ContextValue::String(value)) = error.get(ContextKind::InvalidValue) {
        let shown = output::escape(&output::cut(value, MAX_SHOWN));
        error.insert(ContextKind::InvalidValue, ContextValue::String(shown));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use proptest::prelude::*;

    /// `apono-okta` followed by `args`.
    fn argv(args: &[&str]) -> Vec<OsString> {
        std::iter::once("apono-okta")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    /// What clap says about `apono-okta` followed by `args`, unless it takes them or
    /// shows the help or version.
    fn clap_error(args: &[&str]) -> Option<clap::Error> {
        Cli::try_parse_from(argv(args))
            .err()
            .filter(|error| !is_display(error.kind()))
    }

    /// The refusal of `apono-okta` followed by `args`, when clap refuses them.
    fn refused(args: &[&str]) -> Option<Refusal> {
        clap_error(args).map(|error| Refusal::new(error, &argv(args)))
    }

    /// Every line of a refusal, the `error:` line first.
    fn lines(refusal: &Refusal) -> Vec<&str> {
        std::iter::once(refusal.message.as_str())
            .chain(refusal.details.split('\n'))
            .collect()
    }

    const TOKEN: &str = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_";

    #[test]
    fn a_pasted_token_is_named_by_position_and_length() {
        for (args, expected) in [
            (
                vec!["connect", TOKEN],
                "unexpected argument at position 2 (40 characters), not shown; secrets are never arguments",
            ),
            (
                vec![TOKEN],
                "unrecognized subcommand at position 1 (40 characters), not shown",
            ),
            (
                vec!["status", "--json", "extra"],
                "unexpected argument at position 3 (5 characters)",
            ),
            (
                vec!["completions", TOKEN],
                "invalid value at position 2 (40 characters) for '<SHELL>', not shown",
            ),
            (
                vec!["connect", "--x-token=00s3cr3t-value"],
                "unexpected argument at position 2 (24 characters)",
            ),
            (
                vec!["connect", "-qx00s3cr3t"],
                "unexpected argument at position 2 (11 characters)",
            ),
            (
                vec!["connect", "--", TOKEN],
                "unexpected argument at position 3 (40 characters)",
            ),
        ] {
            let refusal = refused(&args).unwrap();
            assert!(
                refusal.message.starts_with(expected),
                "{args:?}: {refusal:?}"
            );
            for line in lines(&refusal) {
                for secret in [TOKEN, "s3cr3t", "extra"] {
                    assert!(!line.contains(secret), "{args:?}: {refusal:?}");
                }
                assert!(!line.contains("as a value"), "{args:?}: {refusal:?}");
            }
            assert!(
                refusal
                    .details
                    .ends_with("For more information, try '--help'."),
                "{args:?}: {refusal:?}"
            );
        }
    }

    #[test]
    fn the_position_is_the_stray_one_not_an_earlier_value() {
        let refusal = refused(&["status", "--app-label", "extra", "extra"]).unwrap();
        assert!(
            refusal
                .message
                .starts_with("unexpected argument at position 4 (5 characters)"),
            "{refusal:?}"
        );
    }

    #[test]
    fn tips_naming_our_own_flags_and_subcommands_stay() {
        let refusal = refused(&["connect", "--jsno"]).unwrap();
        assert!(
            refusal
                .details
                .contains("a similar argument exists: '--json'"),
            "{refusal:?}"
        );
        let refusal = refused(&["--json", "status"]).unwrap();
        assert!(
            refusal.details.contains("'status --json' exists"),
            "{refusal:?}"
        );
        let refusal = refused(&["conect"]).unwrap();
        assert!(refusal.details.contains("'connect'"), "{refusal:?}");
    }

    #[test]
    fn a_flag_value_is_named_escaped_and_cut() {
        let forged = "a\nerror: forged\u{1b}[31m\u{202e}";
        let refusal = refused(&["connect", "--color", forged]).unwrap();
        assert_eq!(
            refusal.message,
            "invalid value 'a\\nerror: forged\\x1b[31m\\u{202e}' for '--color <WHEN>'"
        );
        assert!(
            refusal
                .details
                .contains("[possible values: auto, always, never]")
        );
        let long = "v".repeat(5000);
        let refusal = refused(&["connect", "--color", &long]).unwrap();
        assert!(refusal.message.contains("more bytes cut"), "{refusal:?}");
        assert!(refusal.message.len() < 300, "{refusal:?}");
    }

    #[test]
    fn negative_seconds_get_the_range_message_of_zero() {
        for (flag, max) in [("--timeout", 3_600), ("--wait", 86_400)] {
            for value in ["-1", "0"] {
                let refusal = refused(&["connect", flag, value]).unwrap();
                assert_eq!(
                    refusal.message,
                    format!(
                        "invalid value '{value}' for '{flag} <SECONDS>': {value} is not in 1..={max}"
                    )
                );
            }
        }
    }

    /// The lines of a refusal but clap's suggestions and usage line, which name our own
    /// flags and subcommands, chosen by how much they look like the argument.
    fn without_tips(refusal: &Refusal) -> Vec<&str> {
        lines(refusal)
            .into_iter()
            .filter(|line| {
                let line = line.trim_start();
                !(line.is_empty() || line.starts_with("tip:") || line.starts_with("Usage:"))
            })
            .collect()
    }

    /// A character that no name of ours (flags, subcommands, value names) and nothing of
    /// clap's phrasing around them holds.
    /// A character our own messages never use (`_` is in `OKTA_API_TOKEN`, `/` in
    /// paths, `=` and `$` in examples): a piece of the value holding one cannot come from
    /// our own words.
    fn foreign(c: char) -> bool {
        !(c.is_ascii_alphanumeric() || " -<>[]'.,:;_/=$`()|&*".contains(c))
    }

    proptest! {
        /// Whatever is pasted in place of the subcommand, or after `connect` or `man` (which
        /// takes a positional, so clap's tips would quote it): no panic, a
        /// bounded refusal with no control character; when clap refuses a neutral
        /// argument of the same length the same way, the same refusal but for the
        /// suggestions (so the `error:` line holds nothing of the value); and no part
        /// of the value longer than 3 characters with a character foreign to our own
        /// names is anywhere in it, suggestions included.
        #[test]
        fn a_stray_argument_is_never_echoed(
            value in prop_oneof![any::<String>(), "[ -~]{0,60}", "-{0,2}[A-Za-z0-9_=-]{1,60}"],
            lead in prop_oneof![Just(&[][..]), Just(&["connect"][..]), Just(&["man"][..])],
        ) {
            let args = [lead, &[value.as_str()]].concat();
            let Some(error) = clap_error(&args) else { return Ok(()) };
            let stray = Stray::of(&error).is_some();
            let kind = error.kind();
            let refusal = Refusal::new(error, &argv(&args));
            for line in lines(&refusal) {
                prop_assert!(!line.chars().any(output::is_unsafe), "{refusal:?}");
            }
            prop_assert!(refusal.message.len() + refusal.details.len() <= 2048, "{refusal:?}");
            if !stray {
                return Ok(());
            }
            let chars: Vec<char> = value.chars().collect();
            for window in chars.windows(4).filter(|w| w.iter().any(|c| foreign(*c))) {
                let part: String = window.iter().collect();
                for line in lines(&refusal) {
                    prop_assert!(!line.contains(&part), "{part:?} in {refusal:?}");
                }
            }
            let neutral = "x".repeat(chars.len());
            let neutral_args = [lead, &[neutral.as_str()]].concat();
            if let Some(reference) = clap_error(&neutral_args).filter(|e| e.kind() == kind) {
                let reference = Refusal::new(reference, &argv(&neutral_args));
                prop_assert_eq!(without_tips(&refusal), without_tips(&reference));
            }
        }

        /// A known flag's value is named, but cut and with no control character left.
        #[test]
        fn a_flag_value_is_bounded_and_inert(
            value in any::<String>(),
            flag in prop_oneof![Just("--color"), Just("--timeout"), Just("--wait")],
        ) {
            if let Some(refusal) = refused(&["connect", flag, &value]) {
                for line in lines(&refusal) {
                    prop_assert!(!line.chars().any(output::is_unsafe), "{refusal:?}");
                }
                prop_assert!(refusal.message.len() <= 1024, "{refusal:?}");
            }
        }
    }
}
