//! The less travelled paths of `connect`: tokens from stdin, the catalog fallback, the
//! client-privileges warning, several integrations, and a wait that runs out.

use serde_json::json;

use apono_okta_sandbox::{Fault, SandboxOptions, Service};

use crate::support::harness::Harness;

#[test]
fn the_okta_token_can_come_from_stdin() {
    let h = Harness::new();
    let mut command = h.command();
    command
        .args(h.target_args())
        .args(["--okta-api-token-file", "-", "--json"])
        .env("APONO_API_TOKEN", h.sandbox.apono_token());
    let token = format!("  {}\n", h.sandbox.super_admin_token());
    let run = h.run(command, Some(&token));
    run.assert_code(0);
    assert_eq!(run.json()["result"], "created");
    assert!(h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn a_catalog_that_answers_404_falls_back_to_type_okta_and_says_so() {
    let h = Harness::new();
    h.sandbox.inject(Fault::respond(
        Service::Apono,
        "GET",
        "/api/v2/integrations-catalog",
        1,
        404,
        json!({"error_code": "NOT_FOUND", "error_details": "no such route"}),
    ));
    let run = h.connect(&["--dry-run", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["apono"]["type"], "okta");
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("answered 404")),
        "{report}"
    );
    let listed: Vec<String> = h
        .sandbox
        .exchanges()
        .iter()
        .filter(|e| e.path == "/api/admin/v4/integrations")
        .map(|e| e.query.clone())
        .collect();
    assert_eq!(listed, vec!["type=okta&limit=100".to_string()]);
}

#[test]
fn the_client_privileges_setting_is_warned_about_by_name() {
    let h = Harness::with_options(SandboxOptions {
        client_privileges_setting: true,
        ..SandboxOptions::default()
    });
    let run = h.connect(&["--json"]);
    run.assert_code(0);
    let warnings = run.json()["warnings"].clone();
    assert_eq!(warnings.as_array().unwrap().len(), 1, "{warnings}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("clientPrivilegesSetting")
    );
}

#[test]
fn several_integrations_for_the_org_are_listed_until_one_is_picked() {
    let h = Harness::new();
    let domain = h.sandbox.okta_domain();
    let (first, second) = h.sandbox.with_state(|state| {
        let config = |client: &str| json!({"okta_domain": domain, "client_id": client});
        (
            state
                .apono
                .seed_integration("Okta one", "okta-directory", config("0oaA")),
            state
                .apono
                .seed_integration("Okta two", "okta-directory", config("0oaB")),
        )
    });
    let run = h.connect(&["--dry-run"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&first) && run.stderr.contains(&second),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--apono-integration-id"),
        "{}",
        run.stderr
    );

    let picked = h.connect(&["--dry-run", "--json", "--apono-integration-id", &second]);
    picked.assert_code(0);
    assert_eq!(picked.json()["apono"]["integration_id"], second.as_str());
    assert!(h.writes().is_empty());
}

#[test]
fn a_wait_that_runs_out_is_exit_5_and_undoes_the_run() {
    let h = Harness::with_options(SandboxOptions {
        polls_until_settled: 1_000,
        ..SandboxOptions::default()
    });
    let run = h.connect(&["--wait", "1", "--json"]);
    run.assert_code(5);
    let failure = run.json();
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("did not report the integration"),
        "{failure}"
    );
    // The integration, the app, and the resource set and custom role of least privilege.
    assert_eq!(failure["undone"].as_array().unwrap().len(), 4, "{failure}");
    let state = h.sandbox.snapshot();
    assert!(state.okta.apps.is_empty() && state.apono.integrations.is_empty());
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn flags_beat_the_environment_for_the_org() {
    let h = Harness::new();
    let mut command = h.command();
    command
        .args(h.target_args())
        .args(["--dry-run", "--json"])
        // The Okta Terraform provider's variables, exported in a CI job.
        .env("OKTA_ORG_NAME", "someone-else")
        .env("OKTA_BASE_URL", "okta.com")
        .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
        .env("APONO_API_TOKEN", h.sandbox.apono_token());
    let run = h.run(command, None);
    run.assert_code(0);
    assert_eq!(run.json()["okta"]["domain"], h.sandbox.okta_domain());
}

#[test]
fn verbose_prints_one_line_per_request_on_stderr_and_nothing_secret() {
    let h = Harness::new();
    let run = h.connect(&["--json", "-v"]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("> Okta GET /api/v1/users/me -> 200 (request id "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("> Apono POST /api/admin/v4/integrations -> 200"),
        "{}",
        run.stderr
    );
    let requests = run.stderr.lines().filter(|l| l.starts_with("> ")).count();
    assert_eq!(requests, h.sandbox.exchanges().len(), "{}", run.stderr);
    // stdout is still exactly the one JSON object.
    assert_eq!(run.json()["result"], "created");
}

/// Waiting shows itself: a request unanswered after a second is named on stderr (one
/// line when stderr is not a terminal), and only that one.
#[test]
fn a_slow_request_is_named_while_it_waits() {
    let h = Harness::new();
    h.sandbox.inject(apono_okta_sandbox::Fault::delay(
        apono_okta_sandbox::Service::Apono,
        "GET",
        "/api/v2/integrations-catalog",
        1,
        std::time::Duration::from_millis(2500),
    ));
    let run = h.connect(&["--dry-run"]);
    run.assert_code(0);
    let waiting: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("waiting for "))
        .collect();
    assert_eq!(
        waiting,
        ["waiting for Apono GET /api/v2/integrations-catalog..."],
        "{}",
        run.stderr
    );
}
