//! Debts are not success (DESIGN.md §3): a run that connected but left something for a
//! person exits 6 and says what; a revoke is confirmed or reported; the wait is a
//! deadline; young unreferenced apps are left for the run that may own them.

use std::time::Duration;

use apono_okta_sandbox::{Fault, SandboxOptions, Service};
use serde_json::json;

use crate::support::harness::Harness;

const REVOKE: &str = "/api/v1/api-tokens/current";

fn okta_500() -> serde_json::Value {
    json!({"errorCode": "E0000009", "errorSummary": "Internal Server Error", "errorLink": "E0000009", "errorId": "oaeX", "errorCauses": []})
}

#[test]
fn a_revoke_whose_answer_was_lost_is_retried_and_a_401_confirms_it() {
    let h = Harness::new();
    h.sandbox
        .inject(Fault::lose_answer(Service::Okta, "DELETE", REVOKE, 1));
    let run = h.connect(&["--json", "--timeout", "1"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["api_token_revoked"], true, "{report}");
    assert_eq!(report["left_behind"], json!([]));
    assert!(h.token_revoked(&h.sandbox.super_admin_token()));
    let revokes = h
        .sandbox
        .exchanges()
        .into_iter()
        .filter(|e| e.path == REVOKE)
        .count();
    assert_eq!(revokes, 2, "one lost answer, one retry answered 401");
}

#[test]
fn a_revoke_that_keeps_failing_is_exit_6_with_the_token_listed() {
    let h = Harness::new();
    h.sandbox
        .inject(Fault::respond(Service::Okta, "DELETE", REVOKE, 1, 500, okta_500()).times(10));
    let run = h.connect(&["--json"]);
    run.assert_code(6);
    let report = run.json();
    // The integration works: the report is the success object, with its debt.
    assert_eq!(report["result"], "created");
    assert_eq!(report["apono"]["status"], "Active");
    assert_eq!(report["api_token_revoked"], false);
    let left = report["left_behind"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{report}");
    assert!(
        left[0]
            .as_str()
            .unwrap()
            .contains("Okta API token is still valid"),
        "{report}"
    );
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn a_previous_app_that_cannot_be_retired_is_exit_6_and_listed() {
    let h = Harness::new();
    let first = h.connect(&["--keep-api-token", "--json"]);
    first.assert_code(0);
    let old_app = first.json()["okta"]["app_id"].as_str().unwrap().to_string();
    h.sandbox.inject(
        Fault::respond(
            Service::Okta,
            "POST",
            "/api/v1/apps/*/lifecycle/deactivate",
            1,
            500,
            okta_500(),
        )
        .times(3),
    );
    let run = h.connect(&["--json"]);
    run.assert_code(6);
    let report = run.json();
    assert_eq!(report["result"], "rotated");
    assert_eq!(report["retired_app_ids"], json!([]));
    let left = report["left_behind"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{report}");
    assert!(left[0].as_str().unwrap().contains(&old_app), "{report}");
    // Apono is on the new app; the old one is still there, as the report says.
    let state = h.sandbox.snapshot();
    assert!(state.okta.apps.iter().any(|a| a.id == old_app));
    assert_eq!(
        state.apono.integrations[0].config["client_id"],
        report["okta"]["client_id"]
    );
}

#[test]
fn the_wait_is_a_deadline_even_when_a_status_read_hangs() {
    let h = Harness::with_options(SandboxOptions {
        polls_until_settled: 1_000,
        ..SandboxOptions::default()
    });
    // The second status read would hang far longer than the test runs; without a
    // deadline over the whole wait, this test would not finish.
    h.sandbox.inject(Fault::delay(
        Service::Apono,
        "GET",
        "/api/admin/v4/integrations/*",
        2,
        Duration::from_secs(3_000),
    ));
    let run = h.connect(&["--json", "--wait", "1", "--timeout", "3000"]);
    run.assert_code(5);
    let failure = run.json();
    assert!(
        failure["error"].as_str().unwrap().contains("within 1s"),
        "{failure}"
    );
    let state = h.sandbox.snapshot();
    assert!(state.okta.apps.is_empty() && state.apono.integrations.is_empty());
}

#[test]
fn a_young_unreferenced_app_is_left_for_the_run_that_may_own_it() {
    let h = Harness::new();
    let key = apono_okta::apono::public_jwk();
    let (young, old) = h.sandbox.with_state(|state| {
        let young =
            state
                .okta
                .seed_service_app("Apono Integration", std::slice::from_ref(&key), true);
        let old =
            state
                .okta
                .seed_service_app("Apono Integration", std::slice::from_ref(&key), true);
        let app = state.okta.apps.iter_mut().find(|a| a.id == old).unwrap();
        app.created = "2026-01-01T00:00:00.000Z".into();
        (young, old)
    });
    let run = h.connect(&["--json"]);
    run.assert_code(0);
    assert_eq!(run.json()["retired_app_ids"], json!([old]));
    assert!(
        run.stderr.contains(&format!("keeping the app {young}"))
            && run.stderr.contains("15 minutes"),
        "{}",
        run.stderr
    );
    assert!(h.sandbox.snapshot().okta.apps.iter().any(|a| a.id == young));
    // Said in --json too, for CI.
    assert!(
        run.json()["warnings"].to_string().contains(&young),
        "{}",
        run.stdout
    );
}

/// The undo after a failure is bounded as a whole by `--timeout`: each of its requests
/// is slow but within the bound, together they are not. What it had not finished is
/// left behind, with what to do (exit 6), and the token is kept.
#[test]
fn the_undo_has_one_deadline_and_lists_what_it_did_not_finish() {
    let h = Harness::new();
    let first = h.connect(&["--keep-api-token", "--json"]);
    first.assert_code(0);
    // The rotation's update of the integration fails; its undo puts Apono back (slow),
    // then deletes the new app (slow): 2 x 1.4 s is more than --timeout 2.
    let integration = "/api/admin/v4/integrations/*";
    let error = json!({"error_code": "INTERNAL", "error_details": "boom"});
    h.sandbox.inject(Fault::respond(
        Service::Apono,
        "PUT",
        integration,
        1,
        500,
        error,
    ));
    let slow = Duration::from_millis(1400);
    h.sandbox
        .inject(Fault::delay(Service::Apono, "GET", integration, 1, slow).times(10));
    h.sandbox.inject(Fault::delay(
        Service::Okta,
        "POST",
        "/api/v1/apps/*/lifecycle/deactivate",
        1,
        slow,
    ));
    let run = h.connect(&["--json", "--timeout", "2"]);
    run.assert_code(6);
    let failure = run.json();
    assert_eq!(failure["result"], "failed", "{failure}");
    let left = failure["left_behind"].to_string();
    assert!(left.contains("out of time (--timeout)"), "{failure}");
    assert!(left.contains("run `apono-okta connect` again"), "{failure}");
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}
