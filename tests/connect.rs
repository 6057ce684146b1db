//! `connect` end to end: the built binary against the sandbox.

use serde_json::json;

use apono_okta_sandbox::{Fault, FaultAction, SandboxOptions, Service};

use crate::support::harness::Harness;

const APONO_KID: &str = "c90fab69-f5cb-4975-97c1-87bb2688be8e";

/// Apono's public key has two copies: the product's (what `connect` puts on the app) and
/// the sandbox's (what its fake Apono expects); the sandbox crate does not depend on the
/// product, so this keeps them equal.
#[test]
fn the_product_and_the_sandbox_agree_on_aponos_public_key_and_the_app_body() {
    assert_eq!(
        apono_okta::apono::PUBLIC_JWK,
        apono_okta_sandbox::APONO_PUBLIC_JWK
    );
    let key = apono_okta::apono::public_jwk();
    assert_eq!(
        apono_okta::okta::service_app_body("Apono Integration", &key),
        apono_okta_sandbox::service_app_request("Apono Integration", &key)
    );
}

#[test]
fn fresh_connect_leaves_exactly_the_designed_state() {
    let h = Harness::new();
    let run = h.connect(&[]);
    run.assert_code(0);

    let state = h.sandbox.snapshot();
    assert_eq!(state.okta.apps.len(), 1, "one app: {:?}", state.okta.apps);
    let app = &state.okta.apps[0];
    let body = &app.json;
    assert_eq!(body["name"], "oidc_client");
    assert_eq!(body["label"], "Apono Integration");
    assert_eq!(body["signOnMode"], "OPENID_CONNECT");
    assert_eq!(body["status"], "ACTIVE");
    assert_eq!(
        body["credentials"]["oauthClient"]["token_endpoint_auth_method"],
        "private_key_jwt"
    );
    let oauth = &body["settings"]["oauthClient"];
    assert_eq!(oauth["application_type"], "service");
    assert_eq!(oauth["grant_types"], json!(["client_credentials"]));
    assert_eq!(oauth["response_types"], json!(["token"]));
    let client_id = body["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap();
    assert_eq!(client_id, app.id, "client id equals app id");

    assert_eq!(app.keys.len(), 1);
    let key = &app.keys[0].jwk;
    assert_eq!(key["kid"], APONO_KID);
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["e"], "AQAB");
    assert!(
        key["n"]
            .as_str()
            .unwrap()
            .starts_with("rlN2Sq1LPsQj4BOS1lSN6KSuQBWT")
    );

    let mut scopes: Vec<(&str, &str)> = app
        .grants
        .iter()
        .map(|g| (g.scope_id.as_str(), g.issuer.as_str()))
        .collect();
    scopes.sort();
    let issuer = h.sandbox.okta_url();
    assert_eq!(
        scopes,
        vec![
            ("okta.groups.read", issuer.as_str()),
            ("okta.users.read", issuer.as_str())
        ]
    );
    // Least privilege is the default for a new connection: exactly one assignment, of
    // the custom role over the resource set, both made by this run.
    assert_eq!(state.okta.custom_roles.len(), 1);
    assert_eq!(state.okta.resource_sets.len(), 1);
    let roles: Vec<(&str, &serde_json::Value)> = app
        .roles
        .iter()
        .map(|r| (r.role_type.as_str(), &r.custom))
        .collect();
    let custom = json!({
        "role": state.okta.custom_roles[0].id,
        "resource-set": state.okta.resource_sets[0].id,
    });
    assert_eq!(roles, vec![("CUSTOM", &custom)]);

    assert_eq!(state.apono.integrations.len(), 1);
    let integration = &state.apono.integrations[0];
    assert_eq!(integration.status, "Active");
    let config = integration.config.clone();
    assert_eq!(config["okta_domain"], h.sandbox.okta_domain());
    assert_eq!(config["client_id"], client_id);

    assert!(h.token_revoked(&h.sandbox.super_admin_token()));
    assert!(!h.token_revoked(&h.sandbox.read_only_admin_token()));

    // The revoked token is refused afterwards: a second run stops at preflight.
    let again = h.connect(&["--dry-run"]);
    again.assert_code(3);
    assert!(again.stderr.contains("E0000011"), "{}", again.stderr);

    assert!(
        run.stdout
            .starts_with(&format!("Connected {} to Apono.", h.sandbox.okta_domain())),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("client id          {client_id}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Okta API token     revoked"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_summary_is_the_designed_object() {
    let h = Harness::new();
    let run = h.connect(&["--json"]);
    run.assert_code(0);
    let state = h.sandbox.snapshot();
    let app = &state.okta.apps[0];
    let integration = &state.apono.integrations[0];
    assert_eq!(
        run.json(),
        json!({
            "result": "created",
            "okta": {
                "domain": h.sandbox.okta_domain(),
                "app_id": app.id,
                "client_id": app.id,
                "label": "Apono Integration",
                "scopes": ["okta.groups.read", "okta.users.read"],
                "admin_role": {"custom": "Apono Directory Reader", "resource_set": "Apono Directory"}
            },
            "apono": {
                "integration_id": integration.id,
                "name": format!("Okta {}", h.sandbox.okta_domain()),
                "type": "okta-directory",
                "status": "Active"
            },
            "retired_app_ids": [],
            "api_token_revoked": true,
            "warnings": [],
            "left_behind": []
        })
    );
}

/// `APONO_OKTA_KEYRING=none` (the harness's) turns the keyring off, `--no-store` or not:
/// no run says a word about it, and no report keeps a warning about it.
#[test]
fn a_keyring_turned_off_is_never_mentioned() {
    let h = Harness::new();
    let connect = |okta_token: String, json: bool| {
        let mut command = h.command();
        command
            .args(h.target_args().iter().filter(|arg| *arg != "--no-store"))
            .args(json.then_some("--json"))
            .env("OKTA_API_TOKEN", okta_token)
            .env("APONO_API_TOKEN", h.sandbox.apono_token());
        h.run(command, None)
    };
    let created = connect(h.sandbox.super_admin_token(), true);
    created.assert_code(0);
    assert_eq!(created.json()["warnings"], json!([]));
    let rotated = connect(h.sandbox.mint_super_admin_token(), false);
    rotated.assert_code(0);
    let mut status = h.command();
    status.args([
        "status",
        "--okta-url",
        &h.sandbox.okta_url(),
        "--apono-url",
        &h.sandbox.apono_url(),
        "--non-interactive",
    ]);
    // No Apono token: the keyring is not looked in, and the token is asked for by name.
    let status = h.run(status, None);
    status.assert_code(2);
    for (what, text) in [
        ("connect --json", &created.stderr),
        ("connect", &rotated.stderr),
        ("connect's summary", &rotated.stdout),
        ("status", &status.stderr),
    ] {
        assert!(
            !text.to_lowercase().contains("keyring") && !text.contains("not stored"),
            "{what} mentions the keyring:\n{text}"
        );
    }
}

#[test]
fn dry_run_writes_nothing() {
    let h = Harness::new();
    let run = h.connect(&["--dry-run", "--json"]);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "planned");
    assert!(h.writes().is_empty(), "writes: {:?}", h.writes());
    assert!(
        run.stderr.contains("create the Okta service app"),
        "{}",
        run.stderr
    );
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

/// A dry run of a rotation lists the app its plan deletes, in the summary and in
/// `retired_app_ids`, never "none".
#[test]
fn a_dry_run_names_the_apps_it_would_retire() {
    let h = Harness::new();
    h.connect(&[]).assert_code(0);
    let previous = h.sandbox.snapshot().okta.apps[0].id.clone();
    let okta = h.sandbox.mint_super_admin_token();
    let text = h.connect_with_tokens(&okta, &h.sandbox.apono_token(), &["--dry-run"]);
    text.assert_code(0);
    assert!(
        text.stderr.contains("deactivate and delete") && text.stderr.contains(&previous),
        "the plan does not retire {previous}:\n{}",
        text.stderr
    );
    let line = text
        .stdout
        .lines()
        .find(|line| line.trim_start().starts_with("retired apps"))
        .unwrap_or_else(|| panic!("{}", text.stdout));
    assert_eq!(
        line,
        format!("  retired apps       would retire {previous}")
    );
    let json = h.connect_with_tokens(&okta, &h.sandbox.apono_token(), &["--dry-run", "--json"]);
    json.assert_code(0);
    assert_eq!(json.json()["result"], "planned");
    assert_eq!(json.json()["retired_app_ids"], json!([previous]));
    assert_eq!(h.sandbox.snapshot().okta.apps.len(), 1, "a dry run wrote");
}

#[test]
fn a_token_without_super_admin_is_exit_3_before_any_write() {
    let h = Harness::new();
    let run = h.connect_with_tokens(
        &h.sandbox.read_only_admin_token(),
        &h.sandbox.apono_token(),
        &[],
    );
    run.assert_code(3);
    assert!(run.stderr.contains("not a super admin"), "{}", run.stderr);
    assert!(
        run.stderr.contains("requires super admin privileges"),
        "{}",
        run.stderr
    );
    assert!(h.writes().is_empty(), "writes: {:?}", h.writes());
}

#[test]
fn a_bad_okta_token_is_exit_3_and_a_bad_apono_token_exit_4() {
    let mut h = Harness::new();
    let bogus = h.secret("00bogusTokenThatOktaNeverIssued0000000000");
    let okta_run = h.connect_with_tokens(&bogus, &h.sandbox.apono_token(), &[]);
    okta_run.assert_code(3);
    assert!(okta_run.stderr.contains("E0000011"), "{}", okta_run.stderr);
    assert!(
        okta_run.stderr.contains("request id"),
        "{}",
        okta_run.stderr
    );

    let bogus_apono = h.secret("apono-bogus-token-123456");
    let apono_run = h.connect_with_tokens(&h.sandbox.super_admin_token(), &bogus_apono, &[]);
    apono_run.assert_code(4);
    assert!(
        apono_run.stderr.contains("Apono answered 401"),
        "{}",
        apono_run.stderr
    );
    assert!(h.writes().is_empty(), "writes: {:?}", h.writes());
}

#[test]
fn a_missing_input_under_non_interactive_is_exit_2_naming_the_flag() {
    let h = Harness::new();
    let mut command = h.command();
    command
        .args(h.target_args())
        .env("APONO_API_TOKEN", h.sandbox.apono_token());
    let run = h.run(command, None);
    run.assert_code(2);
    assert!(
        run.stderr.contains("no Okta API token given"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--okta-api-token-file"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("OKTA_API_TOKEN"), "{}", run.stderr);

    let mut no_url = h.command();
    no_url
        .args(["connect", "--non-interactive", "--json"])
        .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
        .env("APONO_API_TOKEN", h.sandbox.apono_token());
    let run = h.run(no_url, None);
    run.assert_code(2);
    assert!(run.stderr.contains("--okta-url"), "{}", run.stderr);
    assert_eq!(run.json()["exit_code"], 2);
    assert!(
        h.sandbox.exchanges().is_empty(),
        "no request before the inputs are complete"
    );
}

#[test]
fn a_failed_apono_create_undoes_the_app_and_keeps_the_token() {
    let h = Harness::new();
    h.sandbox.inject(Fault {
        service: Service::Apono,
        method: "POST".into(),
        path: "/api/admin/v4/integrations".into(),
        nth: 1,
        times: 1,
        action: FaultAction::Respond {
            status: 500,
            body: json!({"error_code": "INTERNAL", "error_details": "database unavailable"}),
        },
    });
    let run = h.connect(&["--json"]);
    run.assert_code(1);
    let failure = run.json();
    assert_eq!(failure["result"], "failed");
    assert_eq!(failure["exit_code"], 1);
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("database unavailable"),
        "{failure}"
    );
    assert_eq!(failure["left_behind"], json!([]));
    // The app, the resource set and the custom role this run created.
    assert_eq!(failure["undone"].as_array().unwrap().len(), 3, "{failure}");
    assert!(
        state_has_no_custom_objects(&h),
        "the custom role and set are undone"
    );

    let state = h.sandbox.snapshot();
    assert!(
        state.okta.apps.is_empty(),
        "no app left: {:?}",
        state.okta.apps
    );
    assert!(state.apono.integrations.is_empty());
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
    assert!(
        run.stderr.contains("the Okta API token was kept"),
        "{}",
        run.stderr
    );
}

/// Each undone step is said once: as it happens, or with `--quiet` (which hides that)
/// in the list at the end.
#[test]
fn undone_steps_are_listed_once_and_at_the_end_only_when_quiet() {
    let failed_run = |extra: &[&str]| {
        let h = Harness::new();
        h.sandbox
            .inject(crate::support::harness::apono_create_fails(
                "something broke",
            ));
        let run = h.connect(extra);
        run.assert_code(1);
        run.stderr
    };
    let undone_app =
        |line: &&str| line.contains("Okta app") && line.contains("created by this run");
    let shown = failed_run(&[]);
    let lines: Vec<&str> = shown.lines().filter(undone_app).collect();
    assert_eq!(lines.len(), 1, "{shown}");
    assert!(lines[0].starts_with("✓ undone: Okta app "), "{shown}");
    assert!(!shown.contains("Undone:"), "{shown}");

    let quiet = failed_run(&["--quiet"]);
    let lines: Vec<&str> = quiet.lines().filter(undone_app).collect();
    assert_eq!(lines.len(), 1, "{quiet}");
    assert!(lines[0].starts_with("  - Okta app "), "{quiet}");
    assert!(quiet.contains("\nUndone:\n  - "), "{quiet}");
    assert!(!quiet.contains('✓'), "{quiet}");
}

#[test]
fn apono_reporting_error_is_exit_5_with_the_token_alive() {
    let h = Harness::new();
    // Okta answers the grant as if it were made, but makes none: Apono's first sync
    // then finds the app cannot read groups.
    h.sandbox.inject(Fault {
        service: Service::Okta,
        method: "POST".into(),
        path: "/api/v1/apps/*/grants".into(),
        nth: 1,
        times: 2,
        action: FaultAction::Respond {
            status: 201,
            body: json!({"id": "oagFAKE", "scopeId": "okta.groups.read", "issuer": h.sandbox.okta_url(), "status": "ACTIVE"}),
        },
    });
    let run = h.connect(&["--json"]);
    run.assert_code(5);
    let failure = run.json();
    assert_eq!(failure["exit_code"], 5);
    assert!(
        failure["error"].as_str().unwrap().contains("Error"),
        "{failure}"
    );
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
    let state = h.sandbox.snapshot();
    assert!(state.okta.apps.is_empty(), "the new app is undone");
    assert!(
        state.apono.integrations.is_empty(),
        "the new integration is undone"
    );
}

#[test]
fn rate_limits_are_waited_out_and_retried_with_okta_headers() {
    let h = Harness::new();
    h.sandbox.inject(Fault {
        service: Service::Okta,
        method: "GET".into(),
        path: "/api/v1/users/me".into(),
        nth: 1,
        times: 2,
        action: FaultAction::RateLimit {
            reset_after_secs: 2,
        },
    });
    h.connect(&[]).assert_code(0);
    let me: Vec<_> = h
        .sandbox
        .exchanges()
        .into_iter()
        .filter(|e| e.path == "/api/v1/users/me")
        .collect();
    assert_eq!(me.len(), 3);
    assert_eq!((me[0].status, me[1].status, me[2].status), (429, 429, 200));
    let first_id = me[0]
        .response_headers
        .iter()
        .find(|(n, _)| n == "x-okta-request-id")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(
        me[1].request_header("x-okta-retry-for"),
        Some(first_id.as_str())
    );
    assert_eq!(me[1].request_header("x-okta-retry-count"), Some("1"));
    // Every retry names the first rate-limited request.
    assert_eq!(
        me[2].request_header("x-okta-retry-for"),
        Some(first_id.as_str())
    );
    assert_eq!(me[2].request_header("x-okta-retry-count"), Some("2"));
}

#[test]
fn a_rerun_rotates_to_a_new_app_and_retires_the_previous_one() {
    let h = Harness::with_options(SandboxOptions {
        page_size: 1,
        ..SandboxOptions::default()
    });
    let first = h.connect(&["--keep-api-token", "--json"]);
    first.assert_code(0);
    let old_app = first.json()["okta"]["app_id"].as_str().unwrap().to_string();

    let second = h.connect(&["--json"]);
    second.assert_code(0);
    let report = second.json();
    assert_eq!(report["result"], "rotated");
    let new_app = report["okta"]["app_id"].as_str().unwrap().to_string();
    assert_ne!(new_app, old_app);
    assert_eq!(report["retired_app_ids"], json!([old_app]));

    let state = h.sandbox.snapshot();
    let ids: Vec<&str> = state.okta.apps.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec![new_app.as_str()]);
    assert_eq!(state.apono.integrations.len(), 1);
    let config = state.apono.integrations[0].config.clone();
    assert_eq!(config["client_id"], new_app);
    assert!(h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn reuse_app_repairs_drift_in_place_then_finds_nothing_to_do() {
    let h = Harness::new();
    let first = h.connect(&["--keep-api-token", "--json"]);
    first.assert_code(0);
    let app_id = first.json()["okta"]["app_id"].as_str().unwrap().to_string();
    // Someone removed a grant and the role by hand.
    h.drift_app(&app_id);

    let repair = h.connect(&["--reuse-app", "--keep-api-token", "--json"]);
    repair.assert_code(0);
    let report = repair.json();
    assert_eq!(report["result"], "repaired");
    assert_eq!(report["okta"]["app_id"], app_id.as_str());
    assert!(
        repair.stderr.contains("grant it okta.groups.read"),
        "{}",
        repair.stderr
    );
    let state = h.sandbox.snapshot();
    assert_eq!(state.okta.apps.len(), 1);
    let app = &state.okta.apps[0];
    assert!(app.has_grant("okta.groups.read") && app.has_grant("okta.users.read"));
    assert!(app.has_role("READ_ONLY_ADMIN"));
    assert_eq!(state.apono.integrations[0].status, "Active");

    h.sandbox.clear_exchanges();
    let again = h.connect(&["--reuse-app", "--json"]);
    again.assert_code(0);
    assert_eq!(again.json()["result"], "unchanged");
    let writes: Vec<String> = h
        .writes()
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(
        writes,
        vec!["DELETE /api/v1/api-tokens/current".to_string()]
    );
}

#[test]
fn orphans_left_by_an_interrupted_run_are_retired_unless_kept() {
    let h = Harness::new();
    let key = apono_okta::apono::public_jwk();
    let (active, inactive) = h.sandbox.with_state(|state| {
        let ids = (
            state
                .okta
                .seed_service_app("Apono Integration", std::slice::from_ref(&key), true),
            state
                .okta
                .seed_service_app("Apono Integration", std::slice::from_ref(&key), false),
        );
        // Left by a run long gone: older than the 15-minute grace for runs in flight.
        for app in &mut state.okta.apps {
            app.created = "2026-01-01T00:00:00.000Z".into();
        }
        ids
    });
    let kept = h.connect(&["--keep-orphans", "--keep-api-token", "--json"]);
    kept.assert_code(0);
    assert_eq!(kept.json()["retired_app_ids"], json!([]));
    assert_eq!(h.sandbox.snapshot().okta.apps.len(), 3);

    // The second run rotates; both orphans go, and so does the first run's app.
    let run = h.connect(&["--json"]);
    run.assert_code(0);
    let report = run.json();
    let retired: Vec<&str> = report["retired_app_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(retired.len(), 3, "{report}");
    assert!(retired.contains(&active.as_str()) && retired.contains(&inactive.as_str()));
    let state = h.sandbox.snapshot();
    let ids: Vec<&str> = state.okta.apps.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec![report["okta"]["app_id"].as_str().unwrap()]);
    // An active app is deactivated before it is deleted.
    let writes: Vec<String> = h
        .writes()
        .iter()
        .filter(|e| e.path.contains(active.as_str()))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(
        writes,
        vec![
            format!("POST /api/v1/apps/{active}/lifecycle/deactivate"),
            format!("DELETE /api/v1/apps/{active}"),
        ]
    );
}

#[test]
fn a_failed_rotation_points_apono_back_at_the_previous_app() {
    let h = Harness::new();
    let first = h.connect(&["--keep-api-token", "--json"]);
    first.assert_code(0);
    let old_app = first.json()["okta"]["app_id"].as_str().unwrap().to_string();
    h.sandbox.inject(Fault::drop_connection(
        Service::Apono,
        "PUT",
        "/api/admin/v4/integrations/*",
        1,
    ));

    let run = h.connect(&["--json", "--timeout", "2"]);
    run.assert_code(8);
    let failure = run.json();
    assert_eq!(failure["left_behind"], json!([]), "{failure}");
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{failure}"
    );

    let state = h.sandbox.snapshot();
    let ids: Vec<&str> = state.okta.apps.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![old_app.as_str()],
        "the new app is undone, the old one kept"
    );
    assert_eq!(
        state.apono.integrations[0].config["client_id"],
        old_app.as_str()
    );
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn when_pointing_apono_back_fails_the_new_app_is_kept_and_listed() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    // The rotation's new app gets no grants (Okta answers as if it made them), so
    // Apono reports Error; then pointing Apono back fails too.
    h.sandbox.inject(
        Fault::respond(
            Service::Okta,
            "POST",
            "/api/v1/apps/*/grants",
            1,
            201,
            json!({"id": "oagFAKE", "scopeId": "okta.users.read", "issuer": h.sandbox.okta_url(), "status": "ACTIVE"}),
        )
        .times(2),
    );
    h.sandbox.inject(Fault::respond(
        Service::Apono,
        "PUT",
        "/api/admin/v4/integrations/*",
        2,
        503,
        json!({"error_code": "UNAVAILABLE", "error_details": "try later"}),
    ));
    let run = h.connect(&["--json"]);
    run.assert_code(6);
    let failure = run.json();
    assert_eq!(failure["exit_code"], 6);
    let left: Vec<&str> = failure["left_behind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(left.len(), 2, "{failure}");
    assert!(
        left[0].contains("may still point at client id") && left[0].contains("503"),
        "{failure}"
    );
    assert!(
        left[1].contains("kept, because Apono may still use it"),
        "{failure}"
    );

    // Apono points at the new app, and that app still exists.
    let state = h.sandbox.snapshot();
    let client_id = state.apono.integrations[0].config["client_id"]
        .as_str()
        .unwrap();
    assert!(state.okta.apps.iter().any(|a| a.client_id == client_id));
    assert_eq!(state.okta.apps.len(), 2);
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn reuse_app_resyncs_an_integration_apono_reports_broken() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    h.sandbox
        .with_state(|state| state.apono.integrations[0].status = "Error".into());
    let run = h.connect(&["--reuse-app", "--json"]);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "repaired");
    assert!(
        run.stderr.contains("point the Apono integration"),
        "{}",
        run.stderr
    );
    assert_eq!(h.sandbox.snapshot().apono.integrations[0].status, "Active");
}

/// Whether the sandbox org holds no custom role and no resource set.
fn state_has_no_custom_objects(h: &Harness) -> bool {
    let state = h.sandbox.snapshot();
    state.okta.custom_roles.is_empty() && state.okta.resource_sets.is_empty()
}
