//! What `--help` and the man pages teach beyond the options: examples of each command,
//! the exit status and the environment. One copy of each, for both: [`crate::cli`]
//! puts [`after_help`] under every command's `--help`, and `apono-okta man` renders the
//! same facts as the sections EXAMPLES, EXIT STATUS and ENVIRONMENT.

use crate::error::ExitKind;

/// One example: what it does, then the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Example {
    pub(crate) what: &'static str,
    pub(crate) command: &'static str,
}

const fn example(what: &'static str, command: &'static str) -> Example {
    Example { what, command }
}

const CONNECT: &[Example] = &[
    example(
        "First connection: asks for the org id, the base URL and both tokens",
        "apono-okta connect",
    ),
    example(
        "From CI: tokens from the environment, no prompt, one JSON object on stdout",
        "OKTA_API_TOKEN=... APONO_API_TOKEN=... apono-okta connect --org-id example --base-url okta.com --non-interactive --yes --json",
    ),
    example(
        "Rotate the credentials (a re-run: a new app, the previous one retired)",
        "apono-okta connect --okta-url https://example.okta.com",
    ),
    example(
        "Repair the app Apono uses in place, after seeing what would change",
        "apono-okta connect --reuse-app --dry-run && apono-okta connect --reuse-app",
    ),
    example(
        "Move an existing connection to least privilege",
        "apono-okta connect --least-privilege",
    ),
];

const STATUS: &[Example] = &[
    example(
        "Health of the integration (the Apono token alone)",
        "apono-okta status --okta-url https://example.okta.com",
    ),
    example(
        "In a script: every drift, exit 5 when anything is wrong",
        "OKTA_API_TOKEN=... apono-okta status --okta-url https://example.okta.com --json || echo unhealthy",
    ),
];

const DISCONNECT: &[Example] = &[
    example(
        "See what would be removed, then remove it",
        "apono-okta disconnect --okta-url https://example.okta.com --dry-run",
    ),
    example(
        "From a script (no prompt)",
        "OKTA_API_TOKEN=... apono-okta disconnect --okta-url https://example.okta.com --yes --json",
    ),
];

const LOGOUT: &[Example] = &[example(
    "Forget the Apono token stored in the OS keyring",
    "apono-okta logout",
)];

const DEMO: &[Example] = &[
    example(
        "The whole flow against the built-in sandbox",
        "apono-okta demo",
    ),
    example(
        "Connect, then rotate with a fresh token",
        "apono-okta demo --rotate",
    ),
];

const SANDBOX: &[Example] = &[example(
    "Serve the sandbox and try connect by hand in another terminal",
    "apono-okta sandbox",
)];

const COMPLETIONS: &[Example] = &[
    example(
        "bash",
        "apono-okta completions bash > ~/.local/share/bash-completion/completions/apono-okta",
    ),
    example(
        "zsh",
        "apono-okta completions zsh > \"${fpath[1]}/_apono-okta\"",
    ),
    example(
        "fish",
        "apono-okta completions fish > ~/.config/fish/completions/apono-okta.fish",
    ),
];

const MAN: &[Example] = &[
    example(
        "Read the page of connect",
        "apono-okta man connect | man -l -",
    ),
    example(
        "Install every page",
        "apono-okta man --dir ~/.local/share/man/man1",
    ),
];

const TOP: &[Example] = &[
    example("Try it with no account", "apono-okta demo"),
    example("Connect an org", "apono-okta connect"),
    example(
        "Check it",
        "apono-okta status --okta-url https://example.okta.com",
    ),
];

/// The examples of a subcommand (`None`: the top-level command).
pub(crate) fn examples(command: Option<&str>) -> &'static [Example] {
    match command {
        None => TOP,
        Some("connect") => CONNECT,
        Some("status") => STATUS,
        Some("disconnect") => DISCONNECT,
        Some("logout") => LOGOUT,
        Some("demo") => DEMO,
        Some("sandbox") => SANDBOX,
        Some("completions") => COMPLETIONS,
        Some("man") => MAN,
        Some(_) => &[],
    }
}

/// The exit codes every command uses, with what each means (DESIGN.md §3).
pub(crate) const EXIT_STATUS: &[(ExitKind, &str)] = &[
    (ExitKind::Success, "success"),
    (
        ExitKind::Unexpected,
        "unexpected error; logout: the OS keyring could not be reached",
    ),
    (ExitKind::Usage, "usage error or missing input"),
    (
        ExitKind::OktaRejected,
        "Okta rejected the token or its privileges (not a super admin)",
    ),
    (ExitKind::AponoRejected, "Apono rejected its token"),
    (
        ExitKind::Unhealthy,
        "Apono reported the integration unhealthy, or the wait timed out; status: not healthy",
    ),
    (
        ExitKind::LeftBehind,
        "something is left for a person to clean up (listed in left_behind)",
    ),
    (
        ExitKind::ConcurrentChange,
        "another run changed the org at the same time; this run's work was undone: run again",
    ),
    (
        ExitKind::Unreachable,
        "Okta or Apono could not be reached, or the Okta URL is not an Okta org: a CI job may retry",
    ),
    (
        ExitKind::Interrupted,
        "interrupted (Ctrl-C), or a confirmation answered no",
    ),
];

/// The environment variables the tool reads, with what each is for.
pub(crate) const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "OKTA_API_TOKEN",
        "the Okta API token of a super admin (never a flag); revoked at the end of connect",
    ),
    (
        "APONO_API_TOKEN",
        "the Apono personal API token (APONO_PERSONAL_TOKEN is read too)",
    ),
    (
        "OKTA_URL",
        "the Okta org URL, as --okta-url; or OKTA_ORG_NAME with OKTA_BASE_URL",
    ),
    ("APONO_URL", "the Apono API base URL, as --apono-url"),
    ("APONO_OKTA_KEYRING", "none: never touch the OS keyring"),
    (
        "HTTPS_PROXY, NO_PROXY",
        "the proxy for both services, and the hosts that go around it",
    ),
    ("SSL_CERT_FILE", "extra root certificates (as --ca-bundle)"),
    (
        "NO_COLOR, CLICOLOR_FORCE",
        "colour off, or on even when stderr is not a terminal",
    ),
];

/// The widest line of an example under `--help`: clap re-wraps a longer line to the
/// terminal, which would cut a command where no shell continues it (80 columns).
const HELP_WIDTH: usize = 78;

/// The text under a command's `--help`: its examples, then where the rest is.
pub(crate) fn after_help(command: Option<&str>) -> String {
    let mut text = String::from("Examples:\n");
    for example in examples(command) {
        text.push_str(&format!("  # {}\n", example.what));
        for line in command_lines(example.command) {
            text.push_str(&format!("{line}\n"));
        }
        text.push('\n');
    }
    text.push_str(
        "Exit status: 0 success, 2 usage, 3/4 a token rejected, 5 unhealthy, 6 left for a person, 7 a concurrent run, 8 unreachable, 130 interrupted; `apono-okta man` has them all.",
    );
    text
}

/// A command as typed at a prompt (`  $ ...`), continued with ` \` onto further lines
/// when it is wider than [`HELP_WIDTH`]: then `&&`, `||` and `|` begin a line, and a
/// line breaks only before an option or a redirection, so an option keeps its value.
fn command_lines(command: &str) -> Vec<String> {
    const PROMPT: &str = "  $";
    const CONTINUED: &str = "      ";
    let is_operator = |unit: &str| ["&& ", "|| ", "| "].iter().any(|op| unit.starts_with(op));
    let mut units: Vec<String> = Vec::new();
    for word in command.split(' ') {
        let starts_unit = word.starts_with('-') || matches!(word, "&&" | "||" | "|" | ">");
        match units.last_mut() {
            Some(unit) if !starts_unit => {
                unit.push(' ');
                unit.push_str(word);
            }
            _ => units.push(word.to_string()),
        }
    }
    let fits = PROMPT.len() + 1 + command.len() <= HELP_WIDTH;
    let mut lines = vec![String::from(PROMPT)];
    for unit in units {
        let line = lines.last_mut().expect("one line at least");
        // Room for the space before the unit, the unit, and a ` \` after it.
        let too_wide = line.len() + 1 + unit.len() + 2 > HELP_WIDTH;
        let breaks = !fits && (too_wide || is_operator(&unit));
        if breaks && line.len() > PROMPT.len() {
            line.push_str(" \\");
            lines.push(format!("{CONTINUED}{unit}"));
        } else {
            line.push(' ');
            line.push_str(&unit);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_code_is_explained_once() {
        let mut codes: Vec<u8> = EXIT_STATUS.iter().map(|(kind, _)| kind.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 130]);
    }

    const COMMANDS: [Option<&str>; 9] = [
        None,
        Some("connect"),
        Some("status"),
        Some("disconnect"),
        Some("logout"),
        Some("demo"),
        Some("sandbox"),
        Some("completions"),
        Some("man"),
    ];

    /// Every `apono-okta ...` in every example parses: no flag that does not exist.
    #[test]
    fn every_example_is_a_valid_command_line() {
        use clap::Parser;
        for command in COMMANDS {
            assert!(!examples(command).is_empty(), "{command:?} has no example");
            for example in examples(command) {
                let invocations = example
                    .command
                    .split(" && ")
                    .flat_map(|part| part.split(" || "))
                    .flat_map(|part| part.split(" | "))
                    .map(|part| part.split(" > ").next().unwrap_or(part));
                for invocation in invocations {
                    let words: Vec<&str> = invocation
                        .split(' ')
                        .skip_while(|word| word.contains('='))
                        .collect();
                    if words.first() != Some(&"apono-okta") {
                        continue;
                    }
                    if let Err(e) = crate::cli::Cli::try_parse_from(&words) {
                        panic!("{invocation}: {e}");
                    }
                }
            }
        }
    }

    /// A command broken onto lines, joined back as a shell would read it.
    fn joined(lines: &[String]) -> String {
        let mut command = lines.join("\n").replace(" \\\n      ", " ");
        command.replace_range(..4, "");
        command
    }

    #[test]
    fn examples_fit_an_80_column_terminal_and_break_before_an_option() {
        for command in COMMANDS {
            let text = after_help(command);
            let (examples, _) = text.split_once("Exit status:").unwrap();
            for line in examples.lines() {
                assert!(line.len() <= HELP_WIDTH, "{} columns: {line}", line.len());
            }
        }
        let lines = command_lines(CONNECT[1].command);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("  $ OKTA_API_TOKEN=... "), "{lines:?}");
        assert!(lines[0].ends_with(" \\"), "{lines:?}");
        assert!(lines[1].starts_with("      --org-id example "), "{lines:?}");
        assert_eq!(joined(&lines), CONNECT[1].command);
        // Too wide for one line: `||` begins one.
        let lines = command_lines(STATUS[1].command);
        assert_eq!(
            lines.last().unwrap(),
            "      || echo unhealthy",
            "{lines:?}"
        );
        assert_eq!(joined(&lines), STATUS[1].command);
        assert_eq!(command_lines("apono-okta demo"), ["  $ apono-okta demo"]);
    }

    #[test]
    fn examples_use_no_secret_as_a_flag() {
        for command in [None, Some("connect"), Some("status"), Some("disconnect")] {
            for example in examples(command) {
                assert!(!example.command.contains("--okta-api-token "));
                assert!(
                    example.command.starts_with("apono-okta")
                        || example.command.contains("=... apono-okta")
                );
            }
        }
    }
}
