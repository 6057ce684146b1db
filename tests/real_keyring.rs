//! The Apono token in a real Secret Service: gnome-keyring-daemon on a private D-Bus
//! session bus, started by the test (see `support::real`). The binary runs with that bus
//! and the OS keyring on (no `APONO_OKTA_KEYRING=none`); what it stored is read back
//! with `secret-tool` (libsecret), independent of the binary's keyring crate.
//!
//! The test that needs the Debian packages dbus, dbus-x11, gnome-keyring and
//! libsecret-tools is ignored by default: `cargo test --locked -- --include-ignored` runs
//! it (`.ci/run` installs them and does); without them it fails, naming them.

use std::process::Command;

use crate::support::harness::{Harness, Run};
use crate::support::secret_service::SecretService;

const SERVICE: &str = "apono-okta";

/// `connect` against the sandbox with the OS keyring on, on the private bus.
fn connect(h: &Harness, bus: &str, apono_token: Option<&str>) -> Run {
    h.run(connect_command(h, bus, apono_token), None)
}

/// The command of [`connect`].
fn connect_command(h: &Harness, bus: &str, apono_token: Option<&str>) -> Command {
    let mut command: Command = h.command();
    command
        .env_remove("APONO_OKTA_KEYRING")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .args([
            "connect",
            "--okta-url",
            &h.sandbox.okta_url(),
            "--apono-url",
            &h.sandbox.apono_url(),
            "--non-interactive",
            // The same Okta token serves every run of this test.
            "--keep-api-token",
        ])
        .env("OKTA_API_TOKEN", h.sandbox.super_admin_token());
    if let Some(token) = apono_token {
        command.env("APONO_API_TOKEN", token);
    }
    command
}

#[test]
#[ignore = "needs dbus-daemon, gnome-keyring-daemon, secret-tool (apt-get install dbus dbus-x11 gnome-keyring libsecret-tools); run with: cargo test --locked -- --include-ignored"]
fn the_apono_token_is_stored_in_the_secret_service_and_reused() {
    let keyring = SecretService::start("real_keyring");
    let h = Harness::new();
    // The account is the Apono API host:port.
    let account = h
        .sandbox
        .apono_url()
        .trim_start_matches("http://")
        .to_string();
    assert_eq!(keyring.lookup(SERVICE, &account), None);

    let first = connect(&h, &keyring.address, Some(&h.sandbox.apono_token()));
    first.assert_code(0);
    assert!(
        first.stderr.contains(&format!(
            "Stored the Apono token in the OS keyring (service apono-okta, account {account})."
        )),
        "no store message:\n{}",
        first.stderr
    );
    assert_eq!(
        keyring.lookup(SERVICE, &account).as_deref(),
        Some(h.sandbox.apono_token().as_str()),
        "secret-tool does not find the token under service {SERVICE}, account {account}"
    );

    // No APONO_API_TOKEN: the stored token is used, and the run succeeds with it.
    let second = connect(&h, &keyring.address, None);
    second.assert_code(0);
    assert!(
        second
            .stderr
            .contains("Using the Apono API token stored in the OS keyring"),
        "the stored token was not used:\n{}",
        second.stderr
    );
    assert_eq!(h.sandbox.snapshot().apono.integrations.len(), 1);

    // `logout` forgets it; then the binary finds nothing stored and, non-interactive,
    // stops with exit 2 naming the input.
    let mut logout = h.command();
    logout
        .env_remove("APONO_OKTA_KEYRING")
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
        .args(["logout", "--apono-url", &h.sandbox.apono_url(), "--json"]);
    let logout = h.run(logout, None);
    logout.assert_code(0);
    assert_eq!(logout.json()["result"], "removed");
    assert_eq!(keyring.lookup(SERVICE, &account), None);
    let third = connect(&h, &keyring.address, None);
    third.assert_code(2);
    assert!(
        third.stderr.contains("no Apono API token given"),
        "unexpected message:\n{}",
        third.stderr
    );
}

/// A D-Bus session address where nothing listens: no programs needed, and the keyring
/// crate finds no Secret Service there.
fn no_bus() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let bus = format!("unix:path={}", dir.path().join("no-bus").display());
    (dir, bus)
}

/// The lines of `text` that mention the keyring.
fn keyring_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| line.to_lowercase().contains("keyring"))
        .collect()
}

#[test]
fn a_bus_without_a_secret_service_is_reported_once_and_the_run_goes_on() {
    let h = Harness::new();
    let (_dir, bus) = no_bus();
    let started = std::time::Instant::now();
    let mut command = connect_command(&h, &bus, Some(&h.sandbox.apono_token()));
    command.arg("--json");
    let run = h.run(command, None);
    run.assert_code(0);
    let said = keyring_lines(&run.stderr);
    assert_eq!(
        said.len(),
        1,
        "not one line about the keyring:\n{}",
        run.stderr
    );
    assert!(
        said[0].contains("could not store the Apono token in the OS keyring")
            && said[0].contains("nothing was written to disk")
            && said[0].contains("APONO_OKTA_KEYRING=none"),
        "{}",
        said[0]
    );
    let warnings = run.json()["warnings"].clone();
    let kept: Vec<&serde_json::Value> = warnings
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w.as_str().unwrap().contains("keyring"))
        .collect();
    assert_eq!(kept.len(), 1, "{warnings}");
    // Every keyring call is bounded (3 s each).
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    // No Apono token at all: the keyring is looked in, said once, then the token is
    // asked for by name (non-interactive: exit 2).
    let run = h.run(connect_command(&h, &bus, None), None);
    run.assert_code(2);
    assert_eq!(keyring_lines(&run.stderr).len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("no Apono API token given"),
        "{}",
        run.stderr
    );
}

#[test]
fn logout_says_the_keyring_could_not_be_reached_and_exits_1() {
    let h = Harness::new();
    let (_dir, bus) = no_bus();
    let logout = |json: bool| {
        let mut command = h.command();
        command
            .env_remove("APONO_OKTA_KEYRING")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .args(["logout", "--apono-url", "https://api.apono.io"])
            .args(json.then_some("--json"));
        h.run(command, None)
    };
    let text = logout(false);
    text.assert_code(1);
    assert!(
        text.stdout
            .starts_with("The OS keyring could not be reached: ")
            && text.stdout.contains("nothing was removed for api.apono.io"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("No Apono API token was stored"));
    let json = logout(true);
    json.assert_code(1);
    let report = json.json();
    assert_eq!(report["result"], "keyring_unavailable", "{report}");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .starts_with("the OS keyring could not be reached: "),
        "{report}"
    );
}
