//! Ctrl-C in the middle of the Okta writes: the run undoes what it created, keeps the
//! token, and exits 130; a second Ctrl-C stops the undo at once and lists what is left.

#![cfg(unix)]

use std::io::BufRead;
use std::process::{Child, Stdio};
use std::time::Duration;

use apono_okta_sandbox::{Fault, FaultAction, Service};

use crate::support::harness::Harness;

#[test]
fn interrupting_after_the_app_exists_undoes_it_and_exits_130() {
    let h = Harness::new();
    // Hold the run inside step 2: the app exists, its first grant is being sent.
    h.sandbox.inject(Fault::new(
        Service::Okta,
        "POST",
        "/api/v1/apps/*/grants",
        1,
        FaultAction::Delay(Duration::from_secs(5)),
    ));
    let child = spawn_connect(&h, &[]);
    wait_until_the_app_exists(&h);
    interrupt(&child);

    let output = child.wait_with_output().expect("the binary finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    h.assert_no_secret_in(&stderr, "stderr");
    assert_eq!(output.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("undone: Okta app"), "{stderr}");
    // Said once, as it happened: no list of the same steps at the end.
    let undone_app =
        |line: &&str| line.contains("Okta app") && line.contains("created by this run");
    assert_eq!(stderr.lines().filter(undone_app).count(), 1, "{stderr}");
    assert!(!stderr.contains("Undone:"), "{stderr}");
    assert!(
        h.sandbox.snapshot().okta.apps.is_empty(),
        "the app is undone"
    );
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn a_second_ctrl_c_stops_the_undo_at_once_and_lists_what_is_left() {
    let h = Harness::new();
    let hold = |path: &str| {
        Fault::new(
            Service::Okta,
            "POST",
            path,
            1,
            FaultAction::Delay(Duration::from_secs(20)),
        )
    };
    // The first Ctrl-C comes at the first grant; the undo then hangs at the deactivate.
    h.sandbox.inject(hold("/api/v1/apps/*/grants"));
    h.sandbox
        .inject(hold("/api/v1/apps/*/lifecycle/deactivate"));
    let mut child = spawn_connect(&h, &["--json"]);
    wait_until_the_app_exists(&h);
    interrupt(&child);
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("stderr is text");
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("Undoing") {
            break;
        }
    }
    assert!(seen.contains("Undoing"), "{seen}");
    // Give the undo a moment to reach the held deactivate, then press Ctrl-C again.
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let output = child.wait_with_output().expect("the binary finishes");
    let stderr = format!("{seen}{}", rest.join("\n"));
    assert_eq!(output.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("the undo stopped: interrupted"), "{stderr}");
    let failure: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object on stdout");
    assert_eq!(failure["exit_code"], 130, "{failure}");
    let left = failure["left_behind"].to_string();
    // The app by id, or by label when its create's answer was still on its way.
    assert!(left.contains("Okta app"), "{failure}");
    assert!(left.contains("interrupted"), "{failure}");
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

/// `connect` against the sandbox, stdout and stderr piped.
fn spawn_connect(h: &Harness, extra: &[&str]) -> Child {
    let mut command = h.command();
    command
        .args(h.target_args())
        .args(extra)
        .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
        .env("APONO_API_TOKEN", h.sandbox.apono_token())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().expect("the binary starts")
}

/// Waits (bounded) until the run has created its app.
fn wait_until_the_app_exists(h: &Harness) {
    let mut polls = 0;
    while h.sandbox.snapshot().okta.apps.is_empty() {
        polls += 1;
        assert!(polls < 3000, "the app was never created");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Ctrl-C, as the terminal sends it.
fn interrupt(child: &Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Ctrl-C ends every command the same way: a non-interactive `status --json` waiting on
/// a slow Apono exits 130 with its JSON object.
#[test]
fn ctrl_c_ends_a_non_interactive_status_with_its_json_object() {
    let h = Harness::new();
    h.sandbox.inject(Fault::new(
        Service::Apono,
        "GET",
        "/api/v2/integrations-catalog",
        1,
        FaultAction::Delay(Duration::from_secs(10)),
    ));
    let mut command = h.service_command("status", None);
    command
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("the binary starts");
    // Wait (bounded) until the request is held at the sandbox.
    let mut polls = 0;
    while !h
        .sandbox
        .received()
        .iter()
        .any(|request| request.contains("integrations-catalog"))
    {
        polls += 1;
        assert!(polls < 3000, "the catalog was never asked for");
        std::thread::sleep(Duration::from_millis(10));
    }
    interrupt(&child);
    let output = child.wait_with_output().expect("the binary finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "stderr:\n{stderr}");
    let failure: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object on stdout");
    assert_eq!(failure["result"], "failed");
    assert_eq!(failure["exit_code"], 130);
}
