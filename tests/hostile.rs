//! Issue 12's "Done when", proved as an attacker would: a hostile server of the tests'
//! own ([`HostileServer`]) stands in for Apono, with the sandbox as Okta (once for Okta,
//! with the sandbox as Apono), and answers what no real service would: bodies of 2 GB,
//! endless or a gzip bomb, 4 MiB of error text, escape sequences and bidirectional
//! overrides, a rate limit beyond `--timeout`, or nothing at all (DESIGN.md §5 "Text
//! from outside is inert" and "Bounded answers"; §3 "Deadlines" and "Exit codes").
//!
//! Each test asserts the exit code, facts of stdout and stderr, and the requests the
//! server saw; never a duration, except the generous hang guard of every run. In every
//! one, neither token is printed (the harness checks each run) and a hostile Apono never
//! receives the Okta token.

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::support::harness::{Harness, Run};
use crate::support::hostile_server::{Answer, HostileServer, gzip_bomb};

/// Every run's hang guard: a run that is right takes a few seconds at most.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Apono's first request in `connect`, where its token is first used: the catalog.
const TOKEN_CHECK: &str = "GET /api/v2/integrations-catalog";

/// Okta's first request off Okta's own domains: the org metadata, without the token.
const ORG_CHECK: &str = "GET /.well-known/okta-organization";

/// The most either output stream may hold in these runs.
const MAX_STREAM: usize = 64 * 1024;

/// `connect` with these service URLs and the sandbox's tokens, plus `extra` arguments.
fn connect_command(h: &Harness, okta_url: &str, apono_url: &str, extra: &[&str]) -> Command {
    let mut command = h.command();
    command
        .args(["connect", "--okta-url", okta_url, "--apono-url", apono_url])
        .args(["--non-interactive", "--no-store"])
        .args(extra)
        .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
        .env("APONO_API_TOKEN", h.sandbox.apono_token());
    command
}

/// `connect` with the sandbox as Okta and `apono` as Apono.
fn against_hostile_apono(h: &Harness, apono: &HostileServer, extra: &[&str]) -> Command {
    connect_command(h, &h.sandbox.okta_url(), &apono.url(), extra)
}

/// Each request the server saw, as `METHOD /path` (query left out).
fn asked(server: &HostileServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.path.split('?').next().unwrap_or_default()
            )
        })
        .collect()
}

/// No request the server saw carried the Okta token, in any header.
fn assert_no_okta_token_reached(h: &Harness, server: &HostileServer) {
    let okta_token = h.sandbox.super_admin_token();
    for request in server.requests() {
        for (name, value) in &request.headers {
            assert!(
                !value.contains(&okta_token),
                "{} {} carried the Okta token in {name}",
                request.method,
                request.path
            );
        }
    }
}

/// What a hostile Apono may get: the Apono token as `Bearer` on each request, never the
/// Okta token; and Okta (the sandbox) saw no write.
fn assert_only_the_apono_token_reached(h: &Harness, apono: &HostileServer) {
    assert_no_okta_token_reached(h, apono);
    let bearer = format!("Bearer {}", h.sandbox.apono_token());
    for request in apono.requests() {
        assert_eq!(request.header("authorization"), Some(bearer.as_str()));
    }
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

/// A character a terminal would act on, as the brief counts them: a control other
/// than the line break, or a bidirectional embedding, override or isolate.
fn acts_on_a_terminal(c: char) -> bool {
    (c.is_control() && c != '\n')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Neither stream holds a character a terminal would act on, and each is bounded.
fn assert_inert_and_bounded(run: &Run) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            text.len() < MAX_STREAM,
            "{name} holds {} bytes, 64 KiB or more",
            text.len()
        );
        if let Some(c) = text.chars().find(|&c| acts_on_a_terminal(c)) {
            panic!(
                "{name} holds the raw character U+{:04X}:\n{text:?}",
                c as u32
            );
        }
    }
}

// Bounded answers (DESIGN.md §5): whatever the size, a run stays under 64 MB.

/// Whatever the servers send, a run stays under this much memory (DESIGN.md §5).
#[cfg(target_os = "linux")]
const MAX_PEAK_BYTES: u64 = 64_000_000;

const TWO_GB: u64 = 2 * 1024 * 1024 * 1024;

/// Runs `command` under the hang guard; on Linux, also measures the binary's peak RSS
/// and fails above [`MAX_PEAK_BYTES`].
fn run_measured(h: &Harness, command: Command) -> Run {
    #[cfg(target_os = "linux")]
    {
        let (run, peak_kib) = crate::support::peak_memory::run_measured(h, &command, HANG_GUARD);
        eprintln!("peak RSS of the run: {peak_kib} KiB");
        assert!(
            peak_kib * 1024 < MAX_PEAK_BYTES,
            "the run peaked at {peak_kib} KiB, over 64 MB\n--- stderr\n{}",
            run.stderr
        );
        run
    }
    #[cfg(not(target_os = "linux"))]
    h.run_within(command, HANG_GUARD)
}

/// `connect` against an Apono answering the token check with `answer`, too large to
/// read: exit 1 naming the request and the limit, one request (a refused answer is not
/// asked again), nothing written, and the run under 64 MB.
fn assert_a_huge_answer_is_refused(answer: Answer) -> HostileServer {
    let h = Harness::new();
    let apono = HostileServer::start(answer);
    let run = run_measured(&h, against_hostile_apono(&h, &apono, &[]));
    run.assert_code(1);
    assert_inert_and_bounded(&run);
    let said = format!("Apono answered {TOKEN_CHECK} with more than 16 MiB; refusing to read it");
    assert!(run.stderr.contains(&said), "{}", run.stderr);
    assert_eq!(asked(&apono), [TOKEN_CHECK]);
    assert_only_the_apono_token_reached(&h, &apono);
    apono
}

#[test]
fn a_2_gb_answer_is_refused_within_64_mb() {
    assert_a_huge_answer_is_refused(Answer::Huge { length: TWO_GB });
}

#[test]
fn an_endless_chunked_answer_is_refused_within_64_mb() {
    assert_a_huge_answer_is_refused(Answer::Endless);
}

#[test]
fn a_gzip_bomb_is_refused_within_64_mb() {
    let bomb = gzip_bomb(1024);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    let answer = Answer::Fixed {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Encoding".into(), "gzip".into()),
        ],
        body: bomb,
    };
    let apono = assert_a_huge_answer_is_refused(answer);
    // The client asked for gzip: the bomb was decoded, not dropped unread.
    let accepted = apono.requests()[0]
        .header("accept-encoding")
        .map(str::to_string);
    assert!(
        accepted.as_deref().is_some_and(|a| a.contains("gzip")),
        "{accepted:?}"
    );
}

#[test]
fn a_2_gb_answer_from_a_host_posing_as_okta_is_exit_8_and_it_never_gets_the_token() {
    let h = Harness::new();
    let okta = HostileServer::start(Answer::Huge { length: TWO_GB });
    let run = run_measured(
        &h,
        connect_command(&h, &okta.url(), &h.sandbox.apono_url(), &[]),
    );
    run.assert_code(8);
    let said = format!("is not an Okta org: Okta answered {ORG_CHECK} with more than 16 MiB");
    assert!(run.stderr.contains(&said), "{}", run.stderr);
    assert_eq!(asked(&okta), [ORG_CHECK]);
    assert_eq!(okta.requests()[0].header("authorization"), None);
    assert_no_okta_token_reached(&h, &okta);
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

// Deadlines (DESIGN.md §3): --timeout bounds a request, its retries and a rate limit's wait.

#[test]
fn a_rate_limit_beyond_the_timeout_is_exit_8_naming_the_reset_after_one_request() {
    let h = Harness::new();
    let now = SystemTime::now();
    let reset = now
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        + 240;
    let apono = HostileServer::start(Answer::Fixed {
        status: 429,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Date".into(), httpdate::fmt_http_date(now)),
            ("X-Rate-Limit-Limit".into(), "600".into()),
            ("X-Rate-Limit-Remaining".into(), "0".into()),
            ("X-Rate-Limit-Reset".into(), reset.to_string()),
        ],
        body: br#"{"error_code":"TOO_MANY_REQUESTS","error_details":"slow down"}"#.to_vec(),
    });
    let run = h.run_within(
        against_hostile_apono(&h, &apono, &["--timeout", "3"]),
        HANG_GUARD,
    );
    run.assert_code(8);
    let reset_time =
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(reset)).to_string();
    let said = format!(
        "Apono is rate-limiting {TOKEN_CHECK} until {reset_time} (X-Rate-Limit-Reset), beyond what --timeout and the retries allow: retry after it"
    );
    assert!(run.stderr.contains(&said), "{}", run.stderr);
    assert_eq!(asked(&apono), [TOKEN_CHECK]);
    assert_only_the_apono_token_reached(&h, &apono);
}

#[test]
fn a_server_that_never_answers_is_exit_8_within_one_deadline() {
    let h = Harness::new();
    let apono = HostileServer::start(Answer::Silent);
    let run = h.run_within(
        against_hostile_apono(&h, &apono, &["--timeout", "2"]),
        HANG_GUARD,
    );
    run.assert_code(8);
    let said = format!(
        "Apono could not be reached ({TOKEN_CHECK}): no answer before the request timed out"
    );
    assert!(run.stderr.contains(&said), "{}", run.stderr);
    assert!(run.stderr.contains("--timeout SECONDS"), "{}", run.stderr);
    // Retries, if any, within the one deadline: a couple of attempts at most.
    let asked = asked(&apono);
    assert!(
        (1..=2).contains(&asked.len()) && asked.iter().all(|a| a == TOKEN_CHECK),
        "{asked:?}"
    );
    assert_only_the_apono_token_reached(&h, &apono);
}

// Text from outside is inert (DESIGN.md §5): what a server sends or an admin typed.

/// Server text that would act on a terminal: an OSC title change ended by BEL, a CSI
/// clear screen, a C1 CSI, DEL, a right-to-left override and an isolate.
const EVIL: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{7f}\u{202e}txet desrever\u{2066}isolated\u{2069}";

/// [`EVIL`] as a terminal must show it.
const EVIL_SHOWN: &str =
    r"\x1b]0;pwned\x07\x1b[2J\x9b31m\x7f\u{202e}txet desrever\u{2066}isolated\u{2069}";

/// [`EVIL`] as `--json` must write it.
const EVIL_JSON: &str =
    r"\u001b]0;pwned\u0007\u001b[2J\u009b31m\u007f\u202etxet desrever\u2066isolated\u2069";

/// `connect` against an Apono answering the token check with `answer`, an error full of
/// [`EVIL`], in human mode and with `--json`. Both runs: exit 1 naming the request, every
/// stream inert and bounded, the error shown with [`EVIL_SHOWN`] (human) or
/// [`EVIL_JSON`] (JSON, whose `error` decodes back to [`EVIL`]); one request per run.
/// Returns the human stderr and the JSON `error`.
fn assert_an_evil_error_is_inert(answer: Answer) -> (String, String) {
    let h = Harness::new();
    let apono = HostileServer::start(answer);
    let answered = "Apono answered 400";

    let human = h.run_within(against_hostile_apono(&h, &apono, &[]), HANG_GUARD);
    human.assert_code(1);
    assert_inert_and_bounded(&human);
    assert_eq!(human.stdout, "");
    assert!(human.stderr.contains(answered), "{}", human.stderr);
    assert!(human.stderr.contains(TOKEN_CHECK), "{}", human.stderr);
    assert!(human.stderr.contains(EVIL_SHOWN), "{}", human.stderr);

    let json = h.run_within(against_hostile_apono(&h, &apono, &["--json"]), HANG_GUARD);
    json.assert_code(1);
    assert_inert_and_bounded(&json);
    assert!(json.stdout.contains(EVIL_JSON), "{}", json.stdout);
    assert!(json.stderr.contains(EVIL_SHOWN), "{}", json.stderr);
    let failure = json.json();
    assert_eq!(failure["result"], "failed");
    assert_eq!(failure["exit_code"], 1);
    let error = failure["error"]
        .as_str()
        .expect("an error string")
        .to_string();
    assert!(
        error.contains(answered) && error.contains(TOKEN_CHECK),
        "{error}"
    );
    assert!(error.contains(EVIL), "{error:?}");

    assert_eq!(asked(&apono), [TOKEN_CHECK, TOKEN_CHECK]);
    assert_only_the_apono_token_reached(&h, &apono);
    (human.stderr, error)
}

#[test]
fn a_4_mib_error_summary_is_cut_to_1_kib_and_inert() {
    let mut body = format!("{EVIL} ").into_bytes();
    body.resize(4 * 1024 * 1024, b'A');
    let (stderr, error) = assert_an_evil_error_is_inert(Answer::Fixed {
        status: 400,
        headers: vec![("Content-Type".into(), "text/plain".into())],
        body,
    });
    for shown in [&stderr, &error] {
        // The error's body is read up to 64 KiB; its summary keeps 1 KiB of that.
        assert!(shown.contains("more bytes cut)"), "{shown}");
        assert!(!shown.contains(&"A".repeat(1024)), "{shown}");
    }
}

#[test]
fn apono_error_details_are_inert() {
    let (stderr, _) = assert_an_evil_error_is_inert(Answer::json(
        400,
        &json!({"error_code": "BAD_REQUEST", "error_details": format!("details {EVIL}")}),
    ));
    assert!(
        stderr.contains(&format!(
            "BAD_REQUEST to {TOKEN_CHECK}: details {EVIL_SHOWN}"
        )),
        "{stderr}"
    );
}

#[test]
fn an_okta_error_summary_and_50_causes_are_inert_and_cut_to_10() {
    let causes: Vec<Value> = (1..=50)
        .map(|n| json!({"errorSummary": format!("cause {n} {EVIL}")}))
        .collect();
    let (stderr, error) = assert_an_evil_error_is_inert(Answer::json(
        400,
        &json!({"errorCode": "E0000001", "errorSummary": format!("summary {EVIL}"), "errorCauses": causes}),
    ));
    assert!(
        stderr.contains(&format!(
            "E0000001 to {TOKEN_CHECK}: summary {EVIL_SHOWN} (cause 1 {EVIL_SHOWN}; cause 2 "
        )),
        "{stderr}"
    );
    for shown in [&stderr, &error] {
        assert!(shown.contains("cause 10 "), "{shown}");
        assert!(!shown.contains("cause 11 "), "{shown}");
        assert!(shown.contains("; and 40 more causes not shown)"), "{shown}");
    }
}

/// Seeds this org's Apono integration, named `name`, in status `Error` with `details`,
/// as an admin (and Apono's sync) could leave it.
fn seed_failed_integration(h: &Harness, name: &str, details: &str) {
    let config = json!({"okta_domain": h.sandbox.okta_domain(), "client_id": "0oaGoneGone"});
    h.sandbox.with_state(|state| {
        let id = state.apono.seed_integration(name, "okta-directory", config);
        let integration = state
            .apono
            .integrations
            .iter_mut()
            .find(|i| i.id == id)
            .expect("the seeded integration");
        integration.status = "Error".into();
        integration.details = Some(details.to_string());
    });
}

/// `status` with the Apono token alone, in human mode and with `--json`: both exit 5
/// (the integration is in `Error`) with inert, bounded output.
fn status_both_ways(h: &Harness) -> (Run, Run) {
    let human = h.run_within(h.service_command("status", None), HANG_GUARD);
    human.assert_code(5);
    assert_inert_and_bounded(&human);
    let mut command = h.service_command("status", None);
    command.arg("--json");
    let json = h.run_within(command, HANG_GUARD);
    json.assert_code(5);
    assert_inert_and_bounded(&json);
    (human, json)
}

#[test]
fn status_prints_an_integration_name_and_details_an_admin_set_inert() {
    let h = Harness::new();
    seed_failed_integration(&h, &format!("Okta {EVIL}"), &format!("sync failed {EVIL}"));
    let (human, json) = status_both_ways(&h);
    assert!(
        human
            .stdout
            .contains(&format!("  Apono integration  Okta {EVIL_SHOWN} (")),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(&format!(
            "  drift: Apono reports the integration with status Error: sync failed {EVIL_SHOWN}"
        )),
        "{}",
        human.stdout
    );
    assert!(json.stdout.contains(EVIL_JSON), "{}", json.stdout);
    let report = json.json();
    assert_eq!(report["apono"]["name"], format!("Okta {EVIL}"));
}

/// Sets the login of the super admin token's owner, as an admin could in Okta.
fn set_super_admin_login(h: &Harness, login: &str) {
    let token = h.sandbox.super_admin_token();
    h.sandbox.with_state(|state| {
        let owner = state
            .okta
            .api_token(&token)
            .expect("the token")
            .user_id
            .clone();
        let user = state
            .okta
            .users
            .iter_mut()
            .find(|u| u.id == owner)
            .expect("the token's owner");
        user.json["profile"]["login"] = json!(login);
    });
}

#[test]
fn connect_prints_an_okta_login_an_admin_set_inert() {
    let h = Harness::new();
    set_super_admin_login(&h, &format!("admin{EVIL}@example.com"));
    let run = h.connect(&["--dry-run"]);
    run.assert_code(0);
    assert_inert_and_bounded(&run);
    assert!(
        run.stderr.contains(&format!(
            "Okta token belongs to admin{EVIL_SHOWN}@example.com, a super admin"
        )),
        "{}",
        run.stderr
    );
}

/// A line that server text would forge if it kept its line breaks.
const FORGED: &str = "127.0.0.1: healthy";

/// No line of `text` starts with what server text tried to forge.
fn assert_no_forged_line(text: &str) {
    assert!(
        !text
            .lines()
            .any(|line| line.starts_with(FORGED) || line.starts_with("  drift: none")),
        "server text started a line of its own:\n{text}"
    );
}

#[test]
fn a_name_an_admin_set_cannot_forge_a_line_of_status() {
    let h = Harness::new();
    seed_failed_integration(
        &h,
        &format!("Okta\n{FORGED}\r\n"),
        &format!("sync failed\n  drift: none\n{FORGED}"),
    );
    let (human, _) = status_both_ways(&h);
    assert_no_forged_line(&human.stdout);
}

#[test]
fn a_login_an_admin_set_cannot_forge_a_line_of_connect() {
    let h = Harness::new();
    set_super_admin_login(&h, &format!("admin@example.com\n{FORGED}"));
    let run = h.connect(&["--dry-run"]);
    run.assert_code(0);
    assert_no_forged_line(&run.stderr);
}
