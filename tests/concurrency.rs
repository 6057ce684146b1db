//! Two `connect` runs at once on one org (DESIGN.md §3, "Concurrent runs"): on a fresh
//! org and on a connected one (rotation), with the second run started 0, 50, 150 or
//! 300 ms after the first. Apono answers `Initializing` for a few reads and every call
//! has some latency, so the two runs overlap.
//!
//! Whatever interleaving happens: each run exits 0, 5, 6 or 7; Apono never references a
//! missing app; if a run exited 0, the integration uses the app of the one that
//! finished last, and that app is alive; and a third run converges to one integration
//! on one app with no other app of our label.

use std::process::Command;
use std::time::Duration;

use apono_okta_sandbox::SandboxOptions;
use serde_json::Value;

use crate::support::endstate;
use crate::support::harness::{Harness, Run};

/// Exits a racing run may end with: success, unhealthy, debts, or "another run".
const ALLOWED_EXITS: [i32; 4] = [0, 5, 6, 7];

#[derive(Debug, Clone, Copy)]
enum Flow {
    Fresh,
    Rotate,
}

fn racing_command(h: &Harness, okta_token: &str) -> Command {
    let mut command = h.command();
    command
        .args(h.target_args())
        .args(["--json", "--timeout", "5"])
        .env("OKTA_API_TOKEN", okta_token)
        .env("APONO_API_TOKEN", h.sandbox.apono_token());
    command
}

/// Races two runs, the second started `stagger` after the first, each with its own
/// super admin token (the first to finish revokes its own; the other's stays valid).
fn race(flow: Flow, stagger: Duration) {
    let mut h = Harness::with_options(SandboxOptions {
        polls_until_settled: 6,
        ..SandboxOptions::default()
    });
    let first_token = h.sandbox.super_admin_token();
    let second_token = h.sandbox.with_state(|state| {
        let admin = state.okta.api_tokens[0].user_id.clone();
        state.okta.seed_api_token(&admin, "apono-okta (second run)")
    });
    h.secret(&second_token);
    if let Flow::Rotate = flow {
        h.connect(&["--json", "--keep-api-token"]).assert_code(0);
    }
    h.sandbox.set_latency(Duration::from_millis(40));

    let h = &h;
    let [first, second] = std::thread::scope(|scope| {
        let racers =
            [(&first_token, Duration::ZERO), (&second_token, stagger)].map(|(token, delay)| {
                scope.spawn(move || {
                    std::thread::sleep(delay);
                    h.run(racing_command(h, token), None)
                })
            });
        racers.map(|racer| racer.join().expect("a racing run finishes"))
    });
    h.sandbox.set_latency(Duration::ZERO);
    eprintln!(
        "{flow:?}, stagger {stagger:?}: exits {} and {}",
        first.code, second.code
    );

    let context = format!(
        "{flow:?}, stagger {stagger:?}\n--- first (exit {})\n{}\n{}\n--- second (exit {})\n{}\n{}",
        first.code, first.stdout, first.stderr, second.code, second.stdout, second.stderr
    );
    for run in [&first, &second] {
        assert!(
            ALLOWED_EXITS.contains(&run.code),
            "exit {} is not one a racing run may end with\n{context}",
            run.code
        );
    }
    let state = h.sandbox.snapshot();
    if let Err(why) = endstate::check_no_dangling_reference(&state) {
        panic!("{why}\n{context}");
    }
    if let Err(why) = check_successes(h, [&first, &second]) {
        panic!("{why}\n{context}");
    }
    if let Err(why) = endstate::check_converges(h, &first_token) {
        panic!("a third run did not converge: {why}\n{context}");
    }
}

macro_rules! races {
    ($($name:ident: $flow:ident, $stagger_ms:expr;)*) => {
        $(
            #[test]
            fn $name() {
                race(Flow::$flow, Duration::from_millis($stagger_ms));
            }
        )*
    };
}

races! {
    fresh_started_together: Fresh, 0;
    fresh_started_50ms_apart: Fresh, 50;
    fresh_started_150ms_apart: Fresh, 150;
    fresh_started_300ms_apart: Fresh, 300;
    rotate_started_together: Rotate, 0;
    rotate_started_50ms_apart: Rotate, 50;
    rotate_started_150ms_apart: Rotate, 150;
    rotate_started_300ms_apart: Rotate, 300;
}

/// When a run exited 0, Apono uses the app of a run that exited 0 and that app is alive;
/// a run that succeeded earlier and whose app Apono no longer uses was rotated away by
/// that later run (listed in its `retired_app_ids`).
fn check_successes(h: &Harness, runs: [&Run; 2]) -> Result<(), String> {
    let reports: Vec<Value> = runs
        .iter()
        .filter(|run| run.code == 0)
        .map(|run| run.json())
        .collect();
    if reports.is_empty() {
        return Ok(());
    }
    let state = h.sandbox.snapshot();
    let app_id = endstate::check_healthy(&state, &h.sandbox.okta_domain())?;
    let in_use = reports
        .iter()
        .find(|r| r["okta"]["app_id"] == app_id.as_str())
        .ok_or_else(|| {
            format!("Apono uses the app {app_id}, which no run that exited 0 reported")
        })?;
    for report in &reports {
        let reported = &report["okta"]["app_id"];
        let rotated_away = in_use["retired_app_ids"]
            .as_array()
            .is_some_and(|ids| ids.contains(reported));
        if *reported != app_id.as_str() && !rotated_away {
            return Err(format!(
                "a run exited 0 with the app {reported}, which Apono does not use and no later run retired"
            ));
        }
    }
    Ok(())
}

/// A `disconnect --yes` started while a `connect` sits between creating its app and
/// registering it with Apono leaves that app (it is young and may be the connect's):
/// exit 6, the app named with the time after which a disconnect removes it; the
/// connect then finishes.
#[test]
fn disconnect_leaves_the_app_of_a_connect_in_flight() {
    use apono_okta_sandbox::{Fault, Service};
    let h = Harness::new();
    h.sandbox.inject(Fault::delay(
        Service::Apono,
        "POST",
        "/api/admin/v4/integrations",
        1,
        Duration::from_secs(3),
    ));
    let connect_token = h.sandbox.super_admin_token();
    let connect = racing_command(&h, &connect_token)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("connect starts");
    let mut polls = 0;
    while h.sandbox.snapshot().okta.apps.is_empty() {
        polls += 1;
        assert!(polls < 3000, "the connect never created its app");
        std::thread::sleep(Duration::from_millis(10));
    }
    let app_id = h.sandbox.snapshot().okta.apps[0].id.clone();
    let disconnect_token = h.sandbox.with_state(|state| {
        let admin = state.okta.users[0].id.clone();
        state.okta.seed_api_token(&admin, "disconnect")
    });
    let mut command = h.service_command("disconnect", Some(&disconnect_token));
    command.args(["--json", "--yes"]);
    let disconnect = h.run(command, None);
    disconnect.assert_code(6);
    let report = disconnect.json();
    assert_eq!(report["deleted_app_ids"], serde_json::json!([]), "{report}");
    let left = report["left_behind"].to_string();
    assert!(
        left.contains(&app_id) && left.contains("removes it after"),
        "{report}"
    );

    let connect = connect.wait_with_output().expect("connect finishes");
    assert_eq!(
        connect.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&connect.stderr)
    );
    let state = h.sandbox.snapshot();
    assert_eq!(state.okta.apps.len(), 1);
    assert_eq!(state.apono.integrations.len(), 1);
}
