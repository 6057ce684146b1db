//! `status` and `disconnect` against the sandbox.

use serde_json::json;

use apono_okta_sandbox::{Fault, Service};

use crate::support::harness::{Harness, Run};

fn run(h: &Harness, command: &str, extra: &[&str], with_okta_token: bool) -> Run {
    let okta_token = with_okta_token.then(|| h.sandbox.super_admin_token());
    let mut cmd = h.service_command(command, okta_token.as_deref());
    cmd.arg("--json").args(extra);
    h.run(cmd, None)
}

#[test]
fn status_is_healthy_after_connect_and_names_every_drift() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    let app_id = h.sandbox.snapshot().okta.apps[0].id.clone();

    let healthy = run(&h, "status", &[], true);
    healthy.assert_code(0);
    let report = healthy.json();
    assert_eq!(report["healthy"], true);
    assert_eq!(report["drifts"], json!([]));
    assert_eq!(report["okta"]["app_id"], app_id.as_str());
    assert_eq!(report["okta"]["checked"], true);
    assert_eq!(report["apono"]["status"], "Active");

    h.drift_app(&app_id);
    let drifted = run(&h, "status", &[], true);
    drifted.assert_code(5);
    let drifts = drifted.json()["drifts"].clone();
    assert_eq!(
        drifts,
        json!([
            format!("the Okta app {app_id} is not granted okta.groups.read"),
            format!(
                "the Okta app {app_id} has no admin role (Okta answers its reads with 403 E0000006)"
            ),
        ])
    );

    // The Apono token alone looks at Apono only, and writes nothing.
    h.sandbox.clear_exchanges();
    let apono_only = run(&h, "status", &[], false);
    apono_only.assert_code(0);
    assert_eq!(apono_only.json()["okta"]["checked"], false);
    assert!(h.writes().is_empty());
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn status_without_an_integration_is_unhealthy() {
    let h = Harness::new();
    let run = run(&h, "status", &[], false);
    run.assert_code(5);
    assert_eq!(run.json()["healthy"], false);
    assert!(
        run.stdout.contains("has no Okta integration"),
        "{}",
        run.stdout
    );
}

#[test]
fn disconnect_deletes_apono_first_then_the_app_and_revokes() {
    let h = Harness::new();
    // A standard role: no custom role or resource set to delete after the app.
    h.connect(&["--keep-api-token", "--admin-role", "READ_ONLY_ADMIN"])
        .assert_code(0);
    let app_id = h.sandbox.snapshot().okta.apps[0].id.clone();
    let integration_id = h.sandbox.snapshot().apono.integrations[0].id.clone();

    h.sandbox.clear_exchanges();
    let planned = run(&h, "disconnect", &["--dry-run"], true);
    planned.assert_code(0);
    assert_eq!(planned.json()["result"], "planned");
    assert!(h.writes().is_empty());

    let done = run(&h, "disconnect", &["--yes"], true);
    done.assert_code(0);
    assert_eq!(
        done.json(),
        json!({
            "result": "disconnected",
            "domain": h.sandbox.okta_domain(),
            "integration_id": integration_id,
            "deleted_app_ids": [app_id],
            "api_token_revoked": true,
            "warnings": [],
            "left_behind": [],
            "deleted_least_privilege_ids": []
        })
    );
    let writes: Vec<String> = h
        .writes()
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(
        writes,
        vec![
            format!("DELETE /api/admin/v4/integrations/{integration_id}"),
            format!("POST /api/v1/apps/{app_id}/lifecycle/deactivate"),
            format!("DELETE /api/v1/apps/{app_id}"),
            "DELETE /api/v1/api-tokens/current".to_string(),
        ]
    );
    let state = h.sandbox.snapshot();
    assert!(state.okta.apps.is_empty() && state.apono.integrations.is_empty());
}

/// `disconnect` with a given Okta token (the read-only admin's, say).
fn disconnect_with(h: &Harness, okta_token: &str, extra: &[&str]) -> Run {
    let mut cmd = h.service_command("disconnect", Some(okta_token));
    cmd.args(["--json", "--yes"]).args(extra);
    h.run(cmd, None)
}

#[test]
fn disconnect_with_a_token_that_cannot_delete_the_app_writes_nothing() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    let before = h.sandbox.snapshot();
    h.sandbox.clear_exchanges();
    let run = disconnect_with(&h, &h.sandbox.read_only_admin_token(), &[]);
    run.assert_code(3);
    assert!(run.stderr.contains("not a super admin"), "{}", run.stderr);
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    let after = h.sandbox.snapshot();
    assert_eq!(after.okta.apps.len(), before.okta.apps.len());
    assert_eq!(after.apono.integrations.len(), 1);
}

#[test]
fn a_half_done_disconnect_is_finished_by_the_next() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    let app_id = h.sandbox.snapshot().okta.apps[0].id.clone();
    // The app delete fails after the integration is gone: exit 6, the app is listed.
    h.sandbox.inject(
        Fault::respond(
            Service::Okta,
            "POST",
            "/api/v1/apps/*/lifecycle/deactivate",
            1,
            500,
            json!({"errorCode": "E0000009", "errorSummary": "Internal Server Error", "errorLink": "E0000009", "errorId": "x", "errorCauses": []}),
        ),
    );
    let first = disconnect_with(&h, &h.sandbox.super_admin_token(), &["--keep-api-token"]);
    first.assert_code(6);
    let report = first.json();
    assert_eq!(report["deleted_app_ids"], json!([]));
    let left = report["left_behind"][0].as_str().unwrap();
    assert!(
        left.contains(&app_id) && left.contains("disconnect"),
        "{report}"
    );
    assert!(h.sandbox.snapshot().apono.integrations.is_empty());

    // The next disconnect finds the app by its label and removes it, once it is older
    // than the grace (a young one may belong to a connect in flight).
    crate::support::endstate::age_every_app(&h);
    let second = disconnect_with(&h, &h.sandbox.super_admin_token(), &[]);
    second.assert_code(0);
    let report = second.json();
    assert_eq!(report["result"], "disconnected");
    assert_eq!(report["integration_id"], json!(null));
    assert_eq!(report["deleted_app_ids"], json!([app_id]));
    assert_eq!(report["api_token_revoked"], true);
    assert!(h.sandbox.snapshot().okta.apps.is_empty());

    // And then there is nothing left to do.
    let okta_token = h.sandbox.with_state(|state| {
        let admin = state.okta.users[0].id.clone();
        state.okta.seed_api_token(&admin, "another")
    });
    let third = disconnect_with(&h, &okta_token, &["--keep-api-token"]);
    third.assert_code(0);
    assert_eq!(third.json()["result"], "unchanged");
}

#[test]
fn completions_and_man_page_come_from_the_clap_definitions() {
    let h = Harness::new();
    let mut bash = h.command();
    bash.args(["completions", "bash"]);
    let run = h.run(bash, None);
    run.assert_code(0);
    assert!(
        run.stdout.contains("--okta-api-token-file"),
        "{}",
        run.stdout
    );
    let mut man = h.command();
    man.arg("man");
    let run = h.run(man, None);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with(".ie"),
        "{}",
        &run.stdout[..80.min(run.stdout.len())]
    );
    assert!(run.stdout.contains("apono\\-okta"), "roff output");
}

#[test]
fn status_lists_apps_with_our_label_that_no_integration_references() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    let used = run(&h, "status", &[], true);
    used.assert_code(0);
    assert_eq!(used.json()["unreferenced_app_ids"], json!([]));

    let orphan = h.sandbox.with_state(|state| {
        let key = serde_json::from_str(apono_okta_sandbox::APONO_PUBLIC_JWK).unwrap();
        state
            .okta
            .seed_service_app("Apono Integration", &[key], true)
    });
    let with_okta = run(&h, "status", &[], true);
    // Listed, but not a drift: the exit code stays 0.
    with_okta.assert_code(0);
    let report = with_okta.json();
    assert_eq!(report["unreferenced_app_ids"], json!([orphan]));
    assert_eq!(report["drifts"], json!([]));

    let text = h.service_command("status", Some(&h.sandbox.super_admin_token()));
    let text = h.run(text, None);
    text.assert_code(0);
    assert!(
        text.stdout
            .contains(&format!("unreferenced app   {orphan}"))
            && text.stdout.contains("apono-okta disconnect"),
        "{}",
        text.stdout
    );

    let apono_only = run(&h, "status", &[], false);
    apono_only.assert_code(0);
    assert_eq!(apono_only.json()["unreferenced_app_ids"], json!([]));
}

#[test]
fn disconnect_without_a_terminal_needs_yes_and_writes_nothing() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    h.sandbox.clear_exchanges();
    let mut cmd = h.service_command("disconnect", Some(&h.sandbox.super_admin_token()));
    cmd.arg("--json");
    let run = h.run(cmd, None);
    run.assert_code(2);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(run.json()["exit_code"], 2);
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn disconnect_with_nothing_to_remove_still_revokes_the_token() {
    let h = Harness::new();
    let run = disconnect_with(&h, &h.sandbox.super_admin_token(), &[]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["result"], "unchanged");
    assert_eq!(report["api_token_revoked"], true);
    assert!(h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn status_with_several_integrations_for_the_org_is_unhealthy() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    let domain = h.sandbox.okta_domain();
    h.sandbox.with_state(|state| {
        let client_id = state.okta.apps[0].client_id.clone();
        let config = json!({"okta_domain": domain, "client_id": client_id});
        state
            .apono
            .seed_integration("Okta again", "okta-directory", config);
    });
    let status = run(&h, "status", &[], true);
    status.assert_code(5);
    let drifts = status.json()["drifts"].to_string();
    assert!(drifts.contains("2 integrations"), "{drifts}");
}
