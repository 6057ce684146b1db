//! The end states DESIGN.md §3 allows after a `connect`, as checks on a sandbox
//! snapshot: each returns `Err(why)` instead of panicking, so a test running many
//! cells can report every cell that broke at once.
//!
//! - [`check_outcome`]: exit 0 healthy, a failure with nothing of the run left and Apono
//!   unchanged, or exit 6 naming exactly what is left.
//! - [`check_no_dangling_reference`]: Apono never references an app that does not exist.
//! - [`check_converges`]: a later plain run ends with one integration on one app.

use apono_okta_sandbox::{Integration, Snapshot};
use serde_json::Value;

use super::harness::{Harness, Run};

/// The label every test run gives its app (the default).
pub const LABEL: &str = "Apono Integration";

/// What the org looked like before the run under test, to tell "unchanged".
#[derive(Debug, Clone, Default)]
pub struct Before {
    /// The app the integration used (rotation), `None` for a fresh org.
    pub previous_app_id: Option<String>,
    /// The integration (rotation), `None` for a fresh org.
    pub integration_id: Option<String>,
}

impl Before {
    /// The org as a first successful run left it: one integration on one app.
    pub fn connected(h: &Harness) -> Before {
        let state = h.sandbox.snapshot();
        let integration = only_integration(&state, &h.sandbox.okta_domain())
            .expect("the first run connected the org");
        Before {
            previous_app_id: Some(client_id_of(integration).to_string()),
            integration_id: Some(integration.id.clone()),
        }
    }
}

fn client_id_of(integration: &Integration) -> &str {
    integration.config["client_id"].as_str().unwrap_or("")
}

fn for_domain<'a>(state: &'a Snapshot, domain: &str) -> Vec<&'a Integration> {
    state
        .apono
        .integrations
        .iter()
        .filter(|i| i.config["okta_domain"].as_str() == Some(domain))
        .collect()
}

fn only_integration<'a>(state: &'a Snapshot, domain: &str) -> Result<&'a Integration, String> {
    match for_domain(state, domain).as_slice() {
        [one] => Ok(one),
        other => Err(format!(
            "expected one integration for {domain}, found {}: {:?}",
            other.len(),
            other
                .iter()
                .map(|i| (&i.id, client_id_of(i)))
                .collect::<Vec<_>>()
        )),
    }
}

fn labelled_app_ids(state: &Snapshot) -> Vec<String> {
    state
        .okta
        .apps
        .iter()
        .filter(|a| a.label == LABEL)
        .map(|a| a.id.clone())
        .collect()
}

/// Whether `token` is revoked in this snapshot.
pub fn revoked(state: &Snapshot, token: &str) -> bool {
    state.okta.api_token(token).is_some_and(|t| t.revoked)
}

/// Every integration's client id names an app that exists.
pub fn check_no_dangling_reference(state: &Snapshot) -> Result<(), String> {
    for integration in &state.apono.integrations {
        let client_id = client_id_of(integration);
        if !state.okta.apps.iter().any(|a| a.client_id == client_id) {
            return Err(format!(
                "Apono integration {} references client id {client_id}, which no Okta app has",
                integration.id
            ));
        }
    }
    Ok(())
}

/// One integration for the domain, Active, on an app that exists, is active, has both
/// grants and exactly one role: least privilege (the default for a new connection) or
/// `READ_ONLY_ADMIN`. Returns the app's id.
pub fn check_healthy(state: &Snapshot, domain: &str) -> Result<String, String> {
    let integration = only_integration(state, domain)?;
    if integration.status != "Active" {
        return Err(format!(
            "integration {} is {}, not Active",
            integration.id, integration.status
        ));
    }
    let client_id = client_id_of(integration);
    let app = state
        .okta
        .apps
        .iter()
        .find(|a| a.client_id == client_id)
        .ok_or_else(|| format!("the integration's app {client_id} does not exist"))?;
    let mut scopes: Vec<&str> = app.grants.iter().map(|g| g.scope_id.as_str()).collect();
    scopes.sort();
    let roles: Vec<&str> = app.roles.iter().map(|r| r.role_type.as_str()).collect();
    if app.status != "ACTIVE"
        || scopes != ["okta.groups.read", "okta.users.read"]
        || !(roles == ["CUSTOM"] || roles == ["READ_ONLY_ADMIN"])
    {
        return Err(format!(
            "the integration's app {} is {} with scopes {scopes:?} and roles {roles:?}",
            app.id, app.status
        ));
    }
    Ok(app.id.clone())
}

/// The end state of a `connect --json` run is one DESIGN.md §3 allows:
/// (a) exit 0, healthy, nothing left behind, the token revoked unless `token_kept`;
/// (b) exit 1 or 5, nothing of the run left, Apono unchanged, the token alive;
/// (c) exit 6, `left_behind` naming exactly what is left.
pub fn check_outcome(
    h: &Harness,
    run: &Run,
    before: &Before,
    token: &str,
    token_kept: bool,
) -> Result<(), String> {
    let state = h.sandbox.snapshot();
    let domain = h.sandbox.okta_domain();
    check_no_dangling_reference(&state)?;
    let report: Value = serde_json::from_str(run.stdout.trim())
        .map_err(|e| format!("stdout is not one JSON object ({e}): {}", run.stdout))?;
    let left_behind: Vec<String> = report["left_behind"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let failed = report["result"] == "failed";
    match run.code {
        0 => {
            let app_id = check_healthy(&state, &domain)?;
            if report["okta"]["app_id"].as_str() != Some(app_id.as_str()) {
                return Err(format!(
                    "reported app {} but Apono uses {app_id}",
                    report["okta"]["app_id"]
                ));
            }
            let extra: Vec<String> = labelled_app_ids(&state)
                .into_iter()
                .filter(|id| *id != app_id)
                .collect();
            if !extra.is_empty() || !left_behind.is_empty() {
                return Err(format!(
                    "exit 0 but apps {extra:?} are left, left_behind {left_behind:?}"
                ));
            }
            let token_revoked = revoked(&state, token);
            if token_revoked == token_kept || report["api_token_revoked"] != token_revoked {
                return Err(format!(
                    "exit 0: token revoked {token_revoked}, reported {}, kept asked {token_kept}",
                    report["api_token_revoked"]
                ));
            }
            Ok(())
        }
        1 | 5 | 8 => {
            if !failed || !left_behind.is_empty() {
                return Err(format!(
                    "exit {} reports {} with left_behind {left_behind:?}",
                    run.code, report["result"]
                ));
            }
            check_unchanged(&state, &domain, before)?;
            if revoked(&state, token) {
                return Err("a failed run revoked the token".into());
            }
            Ok(())
        }
        6 => check_debts(&state, &domain, before, token, failed, &left_behind),
        other => Err(format!("exit {other} is not allowed here")),
    }
}

/// Apono as `before` had it and no app of the run left.
fn check_unchanged(state: &Snapshot, domain: &str, before: &Before) -> Result<(), String> {
    let apps = labelled_app_ids(state);
    let expected_apps: Vec<String> = before.previous_app_id.iter().cloned().collect();
    if apps != expected_apps {
        return Err(format!(
            "labelled apps {apps:?} after a failure, expected {expected_apps:?}"
        ));
    }
    check_unchanged_integration(state, domain, before)
}

/// Exit 6: every app of ours Apono does not use is named, every named app exists, a
/// live token after a success is named, and a named token is live; after a success the
/// integration is healthy, after a failure Apono is unchanged or its change is named.
fn check_debts(
    state: &Snapshot,
    domain: &str,
    before: &Before,
    token: &str,
    failed: bool,
    left_behind: &[String],
) -> Result<(), String> {
    if left_behind.is_empty() {
        return Err("exit 6 with an empty left_behind".into());
    }
    let all = left_behind.join("\n");
    let in_use: Vec<String> = state
        .apono
        .integrations
        .iter()
        .map(|i| client_id_of(i).to_string())
        .collect();
    let unused = labelled_app_ids(state)
        .into_iter()
        .filter(|id| !in_use.contains(id));
    for app_id in unused {
        if !all.contains(&app_id) {
            return Err(format!(
                "the app {app_id} is left but left_behind does not name it: {left_behind:?}"
            ));
        }
    }
    for named in all
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| word.starts_with("0oa") && word.len() == 20)
    {
        if !state.okta.apps.iter().any(|a| a.id == named) {
            return Err(format!(
                "left_behind names the app {named}, which does not exist: {left_behind:?}"
            ));
        }
    }
    let token_named = all.contains("API token");
    let token_live = !revoked(state, token);
    if token_named && !token_live {
        return Err(format!(
            "left_behind names the token, which is revoked: {left_behind:?}"
        ));
    }
    if failed {
        if !all.contains("Apono integration") {
            check_unchanged_integration(state, domain, before)?;
        }
        return Ok(());
    }
    if token_live && !token_named {
        return Err(format!(
            "the token is live but left_behind does not say so: {left_behind:?}"
        ));
    }
    check_healthy(state, domain).map(drop)
}

fn check_unchanged_integration(
    state: &Snapshot,
    domain: &str,
    before: &Before,
) -> Result<(), String> {
    let now: Vec<(String, String)> = for_domain(state, domain)
        .iter()
        .map(|i| (i.id.clone(), client_id_of(i).to_string()))
        .collect();
    let expected: Vec<(String, String)> = before
        .integration_id
        .iter()
        .zip(&before.previous_app_id)
        .map(|(i, a)| (i.clone(), a.clone()))
        .collect();
    if now != expected {
        return Err(format!(
            "Apono changed (and no left_behind names it): integrations {now:?}, expected {expected:?}"
        ));
    }
    Ok(())
}

/// A fresh super admin token when `token` is revoked (Okta cannot mint one through its
/// API; an admin would), else `token`.
pub fn usable_token(h: &Harness, token: &str) -> String {
    h.sandbox.with_state(|state| {
        let current = state
            .okta
            .api_token(token)
            .expect("a token the sandbox issued")
            .clone();
        if current.revoked {
            state
                .okta
                .seed_api_token(&current.user_id, "apono-okta (minted by a test)")
        } else {
            current.token
        }
    })
}

/// Makes every app look created long ago. Apps of our label that Apono does not use
/// and that are younger than 15 minutes are left alone as "young" (they may belong to
/// a run in flight, DESIGN.md §3); a test's runs are seconds apart, so without this a
/// later run would keep every such app and could never show that it retires them.
pub fn age_every_app(h: &Harness) {
    h.sandbox.with_state(|state| {
        for app in &mut state.okta.apps {
            app.created = "2020-01-01T00:00:00.000Z".into();
        }
    });
}

/// After aging every app, a plain `connect --json` (with a live super admin token)
/// exits 0 with exactly one integration for the domain, on the one app of our label.
pub fn check_converges(h: &Harness, token: &str) -> Result<(), String> {
    let token = usable_token(h, token);
    age_every_app(h);
    let run = h.connect_with_tokens(&token, &h.sandbox.apono_token(), &["--json"]);
    let state = h.sandbox.snapshot();
    if run.code != 0 {
        return Err(format!(
            "the converging run exited {}:\n{}\n{}",
            run.code, run.stdout, run.stderr
        ));
    }
    check_no_dangling_reference(&state)?;
    let app_id = check_healthy(&state, &h.sandbox.okta_domain())?;
    let apps = labelled_app_ids(&state);
    if apps != [app_id.clone()] {
        return Err(format!(
            "after converging, labelled apps {apps:?}, expected only {app_id}"
        ));
    }
    Ok(())
}
