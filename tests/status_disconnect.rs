//! `status` and `disconnect` against the sandbox.

use serde_json::json;

use crate::support::harness::{Harness, Run};

fn run(h: &Harness, command: &str, extra: &[&str], with_okta_token: bool) -> Run {
    let mut cmd = h.command();
    cmd.args([
        command,
        "--okta-url",
        &h.sandbox.okta_url(),
        "--apono-url",
        &h.sandbox.apono_url(),
        "--non-interactive",
        "--json",
    ])
    .args(extra)
    .env("APONO_API_TOKEN", h.sandbox.apono_token());
    if with_okta_token {
        cmd.env("OKTA_API_TOKEN", h.sandbox.super_admin_token());
    }
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
    h.connect(&["--keep-api-token"]).assert_code(0);
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
            "warnings": []
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
        let key = serde_json::from_str(apono_okta::sandbox::APONO_PUBLIC_JWK).unwrap();
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

    let mut text = h.command();
    text.args([
        "status",
        "--okta-url",
        &h.sandbox.okta_url(),
        "--apono-url",
        &h.sandbox.apono_url(),
        "--non-interactive",
    ])
    .env("APONO_API_TOKEN", h.sandbox.apono_token())
    .env("OKTA_API_TOKEN", h.sandbox.super_admin_token());
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
