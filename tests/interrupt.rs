//! Ctrl-C in the middle of the Okta writes: the run undoes what it created, keeps the
//! token, and exits 130.

#![cfg(unix)]

use std::process::Stdio;
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
    let mut command = h.command();
    command
        .args(h.target_args())
        .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
        .env("APONO_API_TOKEN", h.sandbox.apono_token())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("the binary starts");

    // Wait (bounded) until the app exists, then press Ctrl-C.
    let mut polls = 0;
    while h.sandbox.snapshot().okta.apps.is_empty() {
        polls += 1;
        assert!(polls < 3000, "the app was never created");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());

    let output = child.wait_with_output().expect("the binary finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    h.assert_no_secret_in(&stderr, "stderr");
    assert_eq!(output.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("undone: Okta app"), "{stderr}");
    assert!(
        h.sandbox.snapshot().okta.apps.is_empty(),
        "the app is undone"
    );
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}
