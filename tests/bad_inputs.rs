//! Bad inputs (DESIGN.md §5): every one is exit 2 with a message naming the flag or
//! variable and the value (never a token's value), and no request reaches either
//! service. Also: a path on the Okta URL is dropped with a notice, and text a server
//! sends back is printed with both tokens redacted.

use std::path::Path;

use serde_json::json;

use apono_okta_sandbox::{Fault, Service};

use crate::support::harness::{Harness, Run};

/// One bad input: what it changes from a good `connect` against the sandbox, and a
/// distinctive part of the message it must fail with.
struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    stdin: Option<String>,
    expected: String,
}

/// A case that passes `args` (strings) to `connect`.
fn case(name: &'static str, args: &[&str], expected: impl Into<String>) -> Case {
    Case {
        name,
        args: args.iter().map(|a| a.to_string()).collect(),
        env: Vec::new(),
        stdin: None,
        expected: expected.into(),
    }
}

impl Case {
    /// Sets an environment variable (an empty value counts as unset).
    fn env(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.env.push((name, value.into()));
        self
    }

    fn stdin(mut self, input: &str) -> Case {
        self.stdin = Some(input.to_string());
        self
    }

    fn sets(&self, names: &[&str]) -> bool {
        self.args.iter().any(|a| names.contains(&a.as_str()))
            || self.env.iter().any(|(n, _)| names.contains(n))
    }

    /// Runs the case, with `--json` when asked, against the sandbox: the sandbox's URLs
    /// and tokens, unless the case gives its own.
    fn run(&self, h: &Harness, json: bool) -> Run {
        let mut command = h.command();
        command
            .args(["connect", "--non-interactive", "--no-store"])
            .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
            .env("APONO_API_TOKEN", h.sandbox.apono_token());
        if !self.sets(&["--okta-url", "--org-id", "--base-url", "OKTA_URL"]) {
            command.args(["--okta-url", &h.sandbox.okta_url()]);
        }
        if !self.sets(&["--apono-url", "APONO_URL"]) {
            command.args(["--apono-url", &h.sandbox.apono_url()]);
        }
        command.args(&self.args).envs(self.env.iter().cloned());
        if json {
            command.arg("--json");
        }
        h.run(command, self.stdin.as_deref())
    }
}

/// Every case of the table: `files` holds the token files some cases read.
fn cases(h: &mut Harness, files: &Path) -> Vec<Case> {
    let okta = h.sandbox.okta_url();
    let apono = h.sandbox.apono_url();
    let port = okta.rsplit(':').next().unwrap().to_string();
    let file = |name: &str, content: &[u8]| {
        let path = files.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    };
    let huge_file = file("huge", &vec![b'a'; 20 * 1024 * 1024]);
    let long_token = h.secret(&format!("00{}", "b".repeat(5 * 1024)));
    let long_token_file = file("long", long_token.as_bytes());
    // Linux refuses a single environment string over 128 KiB, so this is as big as an
    // environment token gets; 20 MB goes through a file above.
    let huge_env_token = h.secret(&format!("00{}", "c".repeat(100 * 1024)));
    let spaced = h.secret("00made up token");
    let two_lines = h.secret("00madeUpLine1\n00madeUpLine2");
    let non_ascii = h.secret("00madeUpTökenÄ");
    let password = h.secret("s3cretPassw0rd");
    let long_label = "L".repeat(2000);
    let long_id = "i".repeat(5000);
    vec![
        // Tokens.
        case(
            "okta token file /dev/zero",
            &["--okta-api-token-file", "/dev/zero"],
            "--okta-api-token-file /dev/zero is larger than 64 KiB",
        ),
        case(
            "20 MB okta token file",
            &["--okta-api-token-file", &huge_file],
            "is larger than 64 KiB",
        ),
        case(
            "20 MB apono token file",
            &["--apono-api-token-file", &huge_file],
            "--apono-api-token-file",
        ),
        case(
            "5 KiB okta token file",
            &["--okta-api-token-file", &long_token_file],
            "a token is at most 4 KiB",
        ),
        case(
            "100 KiB okta token in the environment",
            &[],
            "OKTA_API_TOKEN is 102402 bytes long",
        )
        .env("OKTA_API_TOKEN", huge_env_token),
        case(
            "5 KiB apono token in the environment",
            &[],
            "APONO_API_TOKEN is 5122 bytes long",
        )
        .env("APONO_API_TOKEN", long_token.clone()),
        case(
            "okta token with a space",
            &[],
            "OKTA_API_TOKEN contains a character",
        )
        .env("OKTA_API_TOKEN", spaced.clone()),
        case(
            "okta token on two lines",
            &[],
            "OKTA_API_TOKEN spans several lines",
        )
        .env("OKTA_API_TOKEN", two_lines.clone()),
        case(
            "apono token not ASCII",
            &[],
            "APONO_API_TOKEN contains a character",
        )
        .env("APONO_API_TOKEN", non_ascii),
        case("blank okta token", &[], "OKTA_API_TOKEN is empty").env("OKTA_API_TOKEN", "  \t "),
        case("empty okta token", &[], "no Okta API token given").env("OKTA_API_TOKEN", ""),
        case(
            "empty okta token file",
            &["--okta-api-token-file", &file("empty", b"\n")],
            "is empty",
        ),
        case(
            "okta token file not UTF-8",
            &["--okta-api-token-file", &file("latin1", b"00ab\xe9cd")],
            "is not UTF-8 text",
        ),
        case(
            "missing okta token file",
            &["--okta-api-token-file", "/nonexistent/token"],
            "--okta-api-token-file /nonexistent/token: cannot read it",
        ),
        case(
            "okta token on two lines from stdin",
            &["--okta-api-token-file", "-"],
            "from --okta-api-token-file - spans several lines",
        )
        .stdin(&two_lines),
        case(
            "apono token with a space from the Terraform variable",
            &[],
            "APONO_PERSONAL_TOKEN contains a character",
        )
        .env("APONO_API_TOKEN", "")
        .env("APONO_PERSONAL_TOKEN", spaced),
        case(
            "both token files stdin",
            &["--okta-api-token-file", "-", "--apono-api-token-file", "-"],
            "cannot both read stdin",
        ),
        // The Okta URL.
        case(
            "okta url with userinfo",
            &[
                "--okta-url",
                &format!("http://admin:{password}@127.0.0.1:{port}"),
            ],
            "\"http://***@127.0.0.1:",
        ),
        case(
            "okta url with port 0",
            &["--okta-url", "https://example.okta.com:0"],
            "--okta-url: \"https://example.okta.com:0\" has port 0",
        ),
        case(
            "okta url with a query",
            &["--okta-url", &format!("{okta}/?expand=all")],
            "has a query",
        ),
        case(
            "okta url with a fragment",
            &["--okta-url", &format!("{okta}/#top")],
            "has a fragment",
        ),
        case(
            "okta url missing a colon",
            &["--okta-url", &format!("http//127.0.0.1:{port}")],
            "a missing colon? write http://",
        ),
        case(
            "scheme-less loopback okta url",
            &["--okta-url", &format!("127.0.0.1:{port}")],
            format!("write http://127.0.0.1:{port}"),
        ),
        case(
            "scheme-less localhost okta url",
            &["--okta-url", &format!("localhost:{port}")],
            format!("write http://localhost:{port}"),
        ),
        case(
            "ftp okta url",
            &["--okta-url", "ftp://example.okta.com"],
            "has scheme 'ftp'",
        ),
        case(
            "plain http to a remote okta",
            &["--okta-url", "http://example.okta.com"],
            "uses plain http",
        ),
        case(
            "okta url without a dot",
            &["--okta-url", "example"],
            "does not name a host like example.okta.com",
        ),
        case(
            "okta url with a control character",
            &["--okta-url", "example.okta.com\u{1b}[2J"],
            "contains a control character",
        ),
        case(
            "OKTA_URL with userinfo",
            &[],
            "OKTA_URL: \"https://***@example.okta.com\"",
        )
        .env(
            "OKTA_URL",
            format!("https://admin:{password}@example.okta.com"),
        ),
        case(
            "org id with a dot",
            &["--org-id", "example.okta", "--base-url", "okta.com"],
            "--org-id \"example.okta\" is not an Okta org name",
        ),
        case(
            "base url without a dot",
            &["--org-id", "example", "--base-url", "okta"],
            "--base-url \"okta\" is not a domain",
        ),
        case(
            "base url alone",
            &["--base-url", "okta.com"],
            "--base-url needs --org-id",
        ),
        // The Apono URL.
        case(
            "apono url with userinfo",
            &[
                "--apono-url",
                &format!("https://me:{password}@api.apono.io"),
            ],
            "--apono-url: \"https://***@api.apono.io\" contains a user name or password",
        ),
        case(
            "apono url with port 0",
            &["--apono-url", "https://api.apono.io:0"],
            "has port 0",
        ),
        case(
            "apono url with a query",
            &["--apono-url", &format!("{apono}/?x=1")],
            "has a query",
        ),
        case(
            "apono url with a fragment",
            &["--apono-url", &format!("{apono}/#x")],
            "has a fragment",
        ),
        case(
            "scheme-less apono url",
            &["--apono-url", "api.apono.io"],
            "--apono-url \"api.apono.io\" is not a URL",
        ),
        case(
            "plain http to a remote apono",
            &["--apono-url", "http://api.apono.io"],
            "uses plain http",
        ),
        case("APONO_URL with scheme ftp", &[], "has scheme 'ftp'")
            .env("APONO_URL", "ftp://api.apono.io"),
        // Roles, waits and timeouts.
        case(
            "unknown admin role",
            &["--admin-role", "NOT_A_ROLE"],
            "--admin-role \"NOT_A_ROLE\" is not one of Okta's standard admin role types; accepted: ACCESS_CERTIFICATIONS_ADMIN",
        ),
        case(
            "custom admin role",
            &["--admin-role", "CUSTOM"],
            "is a custom role",
        ),
        case(
            "lower-case admin role",
            &["--admin-role", "read_only_admin"],
            "upper case: READ_ONLY_ADMIN",
        ),
        case("wait 0", &["--wait", "0"], "'0' for '--wait <SECONDS>'"),
        case(
            "timeout 0",
            &["--timeout", "0"],
            "'0' for '--timeout <SECONDS>'",
        ),
        case(
            "wait -1",
            &["--wait", "-1"],
            "invalid value '-1' for '--wait <SECONDS>': -1 is not in 1..=86400",
        ),
        case(
            "timeout -1",
            &["--timeout", "-1"],
            "invalid value '-1' for '--timeout <SECONDS>': -1 is not in 1..=3600",
        ),
        case(
            "wait over a day",
            &["--wait", "86401"],
            "'86401' for '--wait <SECONDS>'",
        ),
        case(
            "timeout past u64",
            &["--timeout", "99999999999999999999999"],
            "for '--timeout <SECONDS>'",
        ),
        // Other strings and files.
        case(
            "apono config without =",
            &["--apono-config", "novalue"],
            "--apono-config \"novalue\" is not KEY=VALUE",
        ),
        case(
            "apono config without a key",
            &["--apono-config", "=x"],
            "is not KEY=VALUE",
        ),
        case(
            "apono config with an escape",
            &["--apono-config", "k=\u{1b}[31m"],
            "contains a control character",
        ),
        case(
            "label with a tab",
            &["--app-label", "Apono\tIntegration"],
            "--app-label \"Apono\\tIntegration\" contains a control character",
        ),
        case(
            "over-long label",
            &["--app-label", &long_label],
            "is 2000 bytes long",
        ),
        case(
            "blank label",
            &["--app-label", "  "],
            "--app-label cannot be empty",
        ),
        case(
            "empty integration name",
            &["--apono-integration-name", ""],
            "--apono-integration-name cannot be empty",
        ),
        case(
            "manager attribute with a newline",
            &["--manager-attribute", "manager\nId"],
            "--manager-attribute",
        ),
        case(
            "over-long integration id",
            &["--apono-integration-id", &long_id],
            "is 5000 bytes long",
        ),
        case(
            "integration type with a bell",
            &["--apono-integration-type", "okta\u{7}"],
            "contains a control character",
        ),
        case(
            "missing ca bundle",
            &["--ca-bundle", "/nonexistent/ca.pem"],
            "--ca-bundle /nonexistent/ca.pem: no such file",
        ),
        case(
            "jwk file /dev/zero",
            &["--apono-jwk-file", "/dev/zero"],
            "--apono-jwk-file /dev/zero is larger than 64 KiB",
        ),
    ]
}

#[test]
fn every_bad_input_is_exit_2_naming_it_and_sends_nothing() {
    let mut h = Harness::new();
    let files = tempfile::tempdir().unwrap();
    let cases = cases(&mut h, files.path());
    assert!(cases.len() >= 40);
    for case in &cases {
        for json in [false, true] {
            let run = case.run(&h, json);
            assert_eq!(
                run.code, 2,
                "{} (json {json}): exit code\n{}",
                case.name, run.stderr
            );
            assert!(
                run.stderr.contains(&case.expected),
                "{} (json {json}): expected {:?} in stderr:\n{}",
                case.name,
                case.expected,
                run.stderr
            );
            if json {
                let failure = run.json();
                assert_eq!(failure["result"], "failed", "{}", case.name);
                assert_eq!(failure["exit_code"], 2, "{}", case.name);
                assert!(failure["error"].as_str().is_some_and(|e| !e.is_empty()));
            }
            assert!(
                h.sandbox.exchanges().is_empty(),
                "{} (json {json}) sent a request",
                case.name
            );
        }
    }
}

#[test]
fn a_path_on_the_okta_url_is_dropped_with_a_notice() {
    let h = Harness::new();
    let mut command = h.command();
    command
        .args([
            "connect",
            "--okta-url",
            &format!("{}/app/UserHome", h.sandbox.okta_url()),
            "--apono-url",
            &h.sandbox.apono_url(),
            "--non-interactive",
            "--no-store",
            "--json",
        ])
        .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
        .env("APONO_API_TOKEN", h.sandbox.apono_token());
    let run = h.run(command, None);
    run.assert_code(0);
    assert!(
        run.stderr.contains("ignoring the path /app/UserHome"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["okta"]["domain"], h.sandbox.okta_domain());
}

#[test]
fn a_server_quoting_the_tokens_is_printed_redacted() {
    let h = Harness::new();
    let okta_token = h.sandbox.super_admin_token();
    let apono_token = h.sandbox.apono_token();
    for json in [false, true] {
        h.sandbox.inject(Fault::respond(
            Service::Okta,
            "GET",
            "/api/v1/users/me",
            1,
            400,
            json!({
                "errorCode": "E0000001",
                "errorSummary": format!("bad token {okta_token} and {apono_token}"),
                "errorLink": "E0000001",
                "errorId": "oaeRedactionTest",
                "errorCauses": [{"errorSummary": format!("SSWS {okta_token}")}],
            }),
        ));
        let extra: &[&str] = if json { &["--json"] } else { &[] };
        // The harness fails the run if either token appears in stdout or stderr.
        let run = h.connect(extra);
        assert_ne!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("E0000001"), "{}", run.stderr);
        assert!(
            run.stderr.contains("bad token [redacted] and [redacted]"),
            "{}",
            run.stderr
        );
        if json {
            let error = run.json()["error"].as_str().unwrap().to_string();
            assert!(
                error.contains("E0000001") && error.contains("[redacted]"),
                "{error}"
            );
        }
    }
}

#[test]
fn a_token_pasted_as_an_argument_is_never_echoed() {
    let mut h = Harness::new();
    let token = h.secret("00PastedByMistake-0123456789abcdefghijkl");
    let okta = h.sandbox.okta_url();
    let as_flag = format!("--okta-api-token={token}");
    let cases: [(Vec<&str>, String); 5] = [
        (
            vec!["connect", "--okta-url", &okta, &token],
            "unexpected argument at position 4 (40 characters), not shown".into(),
        ),
        (
            vec![&token, "connect"],
            "unrecognized subcommand at position 1 (40 characters), not shown".into(),
        ),
        (
            vec!["status", &token],
            "unexpected argument at position 2 (40 characters), not shown".into(),
        ),
        (
            vec!["connect", &as_flag],
            format!(
                "unexpected argument at position 2 ({} characters), not shown",
                as_flag.len()
            ),
        ),
        (
            vec!["completions", &token],
            "invalid value at position 2 (40 characters) for '<SHELL>', not shown".into(),
        ),
    ];
    for (args, expected) in &cases {
        // `completions` takes no --json: clap would stop at that flag instead.
        let jsons: &[bool] = if args[0] == "completions" {
            &[false]
        } else {
            &[false, true]
        };
        for &json in jsons {
            let mut command = h.command();
            command.args(args);
            if json {
                command.arg("--json");
            }
            // The harness fails the run if the token appears in stdout or stderr.
            let run = h.run(command, None);
            run.assert_code(2);
            assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
            assert!(
                run.stderr.contains("secrets are never arguments"),
                "{}",
                run.stderr
            );
            for output in [&run.stdout, &run.stderr] {
                assert!(!output.contains("PastedByMistake"), "{args:?}: {output}");
            }
            if json {
                let failure = run.json();
                assert_eq!(failure["result"], "failed");
                assert_eq!(failure["exit_code"], 2);
                let error = failure["error"].as_str().unwrap();
                assert!(error.starts_with(expected.as_str()), "{error}");
                assert_eq!(failure["undone"], json!([]));
                assert_eq!(failure["left_behind"], json!([]));
            } else {
                assert!(run.stdout.is_empty(), "{}", run.stdout);
            }
            assert!(h.sandbox.exchanges().is_empty(), "{args:?} sent a request");
        }
    }
}

#[test]
fn a_flag_value_is_named_with_its_control_characters_escaped() {
    let h = Harness::new();
    for json in [false, true] {
        let mut command = h.command();
        command.args(["connect", "--color", "auto\nerror: forged\u{1b}[2J\u{202e}"]);
        if json {
            command.arg("--json");
        }
        let run = h.run(command, None);
        run.assert_code(2);
        assert!(
            run.stderr.contains(
                "error: invalid value 'auto\\nerror: forged\\x1b[2J\\u{202e}' for '--color <WHEN>'"
            ),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains('\u{1b}') && !run.stderr.contains('\u{202e}'));
        assert!(
            !run.stderr
                .lines()
                .any(|line| line.starts_with("error: forged"))
        );
        if json {
            assert!(!run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{202e}'));
            assert_eq!(run.json()["exit_code"], 2);
        }
    }
}

/// A token file others can read is a warning naming `chmod 600`, and the run goes on;
/// one only its owner can read is not.
#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_is_a_warning_not_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::new();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("okta-token");
    std::fs::write(&path, format!("{}\n", h.sandbox.super_admin_token())).unwrap();
    let expected = format!(
        "{} is readable by others (mode 0644): chmod 600 {}",
        path.display(),
        path.display()
    );
    for (mode, warned) in [(0o644, true), (0o600, false)] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut command = h.command();
        command
            .args(h.target_args())
            .args(["--dry-run", "--json", "--okta-api-token-file"])
            .arg(&path)
            .env("APONO_API_TOKEN", h.sandbox.apono_token());
        let run = h.run(command, None);
        run.assert_code(0);
        assert_eq!(run.json()["result"], "planned");
        let warnings = run.json()["warnings"].clone();
        let in_report = warnings
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str() == Some(expected.as_str()));
        if warned {
            assert!(
                run.stderr.contains(&format!("warning: {expected}")),
                "{}",
                run.stderr
            );
            assert!(in_report, "{warnings}");
        } else {
            assert!(!run.stderr.contains("chmod"), "{}", run.stderr);
            assert!(!in_report, "{warnings}");
        }
    }
}
