//! `connect --least-privilege` (DESIGN.md §1, "Least privilege"): the custom role
//! "Apono Directory Reader" (okta.users.read, okta.groups.read) over the resource set
//! "Apono Directory" (the org's users and groups), assigned to the app's client as
//! `CUSTOM` instead of a standard role; kept by re-runs, switched by flags, its drift
//! named by `status` and converged by `connect`, undone on failure, removed by
//! `disconnect`. The harness validates every request against the reference document.

use apono_okta_sandbox::{Fault, SandboxOptions, Service, Snapshot};
use serde_json::{Value, json};

use crate::support::endstate::{age_every_app, usable_token};
use crate::support::harness::{Harness, Run};

const ROLE: &str = "Apono Directory Reader";
const SET: &str = "Apono Directory";

/// `connect --json` with a super admin token that still works, plus `extra`.
fn connect(h: &Harness, extra: &[&str]) -> Run {
    let token = usable_token(h, &h.sandbox.super_admin_token());
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    h.connect_with_tokens(&token, &h.sandbox.apono_token(), &args)
}

/// `status` or `disconnect` with a working Okta token.
fn command(h: &Harness, name: &str, extra: &[&str]) -> Run {
    let token = usable_token(h, &h.sandbox.super_admin_token());
    let mut cmd = h.service_command(name, Some(&token));
    cmd.arg("--json").args(extra);
    h.run(cmd, None)
}

/// The one app Apono uses, its role assignments as `(type, role id, resource set id)`.
fn roles_of_app_in_use(state: &Snapshot) -> (String, Vec<(String, Value, Value)>) {
    let client_id = state.apono.integrations[0].config["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let app = state
        .okta
        .apps
        .iter()
        .find(|a| a.client_id == client_id)
        .expect("the app Apono uses exists");
    let roles = app
        .roles
        .iter()
        .map(|r| {
            (
                r.role_type.clone(),
                r.custom["role"].clone(),
                r.custom["resource-set"].clone(),
            )
        })
        .collect();
    (app.id.clone(), roles)
}

/// Asserts the org is least-privilege exactly: one role, one set, one CUSTOM assignment.
fn assert_least_privilege(state: &Snapshot) -> (String, String) {
    assert_eq!(
        state.okta.custom_roles.len(),
        1,
        "{:?}",
        state.okta.custom_roles
    );
    assert_eq!(state.okta.resource_sets.len(), 1);
    let role = &state.okta.custom_roles[0];
    let set = &state.okta.resource_sets[0];
    assert_eq!(role.label, ROLE);
    let mut permissions = role.permissions.clone();
    permissions.sort();
    assert_eq!(permissions, vec!["okta.groups.read", "okta.users.read"]);
    assert_eq!(set.label, SET);
    let mut resources: Vec<String> = set.resources.iter().map(|r| r.url.clone()).collect();
    resources.sort();
    let org = &state.okta.org_url;
    assert_eq!(
        resources,
        vec![
            format!("{org}/api/v1/groups"),
            format!("{org}/api/v1/users")
        ]
    );
    let (_, roles) = roles_of_app_in_use(state);
    assert_eq!(
        roles,
        vec![("CUSTOM".to_string(), json!(role.id), json!(set.id))],
        "exactly the custom assignment, no standard role"
    );
    assert_eq!(state.apono.integrations[0].status, "Active");
    (role.id.clone(), set.id.clone())
}

fn lp_json() -> Value {
    json!({"custom": ROLE, "resource_set": SET})
}

#[test]
fn a_fresh_least_privilege_connect_reads_users_and_groups_only() {
    let h = Harness::new();
    let run = connect(&h, &["--least-privilege"]);
    run.assert_code(0);
    assert_eq!(run.json()["okta"]["admin_role"], lp_json());
    assert_least_privilege(&h.sandbox.snapshot());
    assert!(
        run.stderr.contains("reads users and groups, nothing else"),
        "{}",
        run.stderr
    );
    assert!(h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn a_rotation_keeps_least_privilege_and_reuses_the_shared_objects() {
    let h = Harness::new();
    connect(&h, &["--least-privilege"]).assert_code(0);
    let (role_id, set_id) = assert_least_privilege(&h.sandbox.snapshot());
    age_every_app(&h);
    h.sandbox.clear_exchanges();

    let run = connect(&h, &[]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["result"], "rotated");
    assert_eq!(report["okta"]["admin_role"], lp_json());
    assert_eq!(
        assert_least_privilege(&h.sandbox.snapshot()),
        (role_id, set_id)
    );
    let creates: Vec<String> = h
        .writes()
        .iter()
        .filter(|e| e.path.starts_with("/api/v1/iam"))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(
        creates.is_empty(),
        "the shared objects are reused: {creates:?}"
    );
}

#[test]
fn switching_kinds_goes_through_rotation_and_back() {
    let h = Harness::new();
    connect(&h, &["--admin-role", "READ_ONLY_ADMIN"]).assert_code(0);
    age_every_app(&h);
    let to_custom = connect(&h, &["--least-privilege"]);
    to_custom.assert_code(0);
    assert_eq!(to_custom.json()["result"], "rotated");
    assert_least_privilege(&h.sandbox.snapshot());
    assert_eq!(h.sandbox.snapshot().okta.apps.len(), 1);

    age_every_app(&h);
    let back = connect(&h, &["--admin-role", "READ_ONLY_ADMIN"]);
    back.assert_code(0);
    assert_eq!(back.json()["okta"]["admin_role"], "READ_ONLY_ADMIN");
    let state = h.sandbox.snapshot();
    let (_, roles) = roles_of_app_in_use(&state);
    assert_eq!(
        roles,
        vec![("READ_ONLY_ADMIN".into(), Value::Null, Value::Null)]
    );
}

#[test]
fn reuse_app_switches_in_place_and_removes_the_old_role_after_active() {
    let h = Harness::new();
    connect(&h, &["--admin-role", "READ_ONLY_ADMIN"]).assert_code(0);
    let app_id = h.sandbox.snapshot().okta.apps[0].id.clone();
    h.sandbox.clear_exchanges();
    let run = connect(&h, &["--reuse-app", "--least-privilege"]);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "repaired");
    let state = h.sandbox.snapshot();
    assert_least_privilege(&state);
    assert_eq!(roles_of_app_in_use(&state).0, app_id, "the same app");
    // The old role goes only after Apono reported the integration Active.
    let order: Vec<String> = h
        .sandbox
        .exchanges()
        .iter()
        .filter(|e| {
            (e.method == "DELETE" && e.path.contains("/roles/"))
                || (e.method == "GET" && e.path.starts_with("/api/admin/v4/integrations/"))
        })
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    let unassign = order.iter().position(|e| e.starts_with("DELETE")).unwrap();
    assert!(unassign > 0, "{order:?}");
}

#[test]
fn drift_is_named_by_status_and_converged_by_connect() {
    let h = Harness::new();
    connect(&h, &["--least-privilege", "--keep-api-token"]).assert_code(0);
    command(&h, "status", &[]).assert_code(0);

    // Someone widens the role and narrows the set in the admin console.
    h.sandbox.with_state(|state| {
        state.okta.custom_roles[0]
            .permissions
            .push("okta.apps.read".into());
        state.okta.resource_sets[0]
            .resources
            .retain(|r| !r.url.ends_with("/groups"));
    });
    let status = command(&h, "status", &[]);
    status.assert_code(5);
    let drifts = status.json()["drifts"].to_string();
    assert!(drifts.contains("also grants okta.apps.read"), "{drifts}");
    assert!(
        drifts.contains("lacks") && drifts.contains("/api/v1/groups"),
        "{drifts}"
    );

    // --reuse-app repairs in place.
    let repair = connect(&h, &["--reuse-app", "--keep-api-token"]);
    repair.assert_code(0);
    assert_eq!(repair.json()["okta"]["admin_role"], lp_json());
    assert_least_privilege(&h.sandbox.snapshot());
    command(&h, "status", &[]).assert_code(0);

    // A plain re-run (rotation) converges too.
    h.sandbox.with_state(|state| {
        state.okta.custom_roles[0]
            .permissions
            .retain(|p| p != "okta.groups.read");
    });
    age_every_app(&h);
    connect(&h, &[]).assert_code(0);
    assert_least_privilege(&h.sandbox.snapshot());
}

#[test]
fn a_failed_run_removes_what_it_created_and_keeps_what_was_there() {
    let h = Harness::new();
    let fail_apono = || crate::support::harness::apono_create_fails("boom");
    h.sandbox.inject(fail_apono());
    let run = connect(&h, &["--least-privilege"]);
    run.assert_code(1);
    let undone = run.json()["undone"].to_string();
    assert!(undone.contains(ROLE) && undone.contains(SET), "{undone}");
    let state = h.sandbox.snapshot();
    assert!(state.okta.custom_roles.is_empty() && state.okta.resource_sets.is_empty());
    assert!(state.okta.apps.is_empty());

    // Objects that existed before the run are never removed by its undo.
    connect(&h, &["--least-privilege", "--keep-api-token"]).assert_code(0);
    let (role_id, set_id) = assert_least_privilege(&h.sandbox.snapshot());
    age_every_app(&h);
    h.sandbox.inject(Fault::respond(
        Service::Apono,
        "PUT",
        "/api/admin/v4/integrations/*",
        1,
        500,
        json!({"error_code": "INTERNAL", "error_details": "boom"}),
    ));
    connect(&h, &["--least-privilege"]).assert_code(1);
    let state = h.sandbox.snapshot();
    assert_eq!(state.okta.custom_roles[0].id, role_id);
    assert_eq!(state.okta.resource_sets[0].id, set_id);
    assert_least_privilege(&state);
}

#[test]
fn disconnect_removes_the_role_and_resource_set_after_the_app() {
    let h = Harness::new();
    connect(&h, &["--least-privilege", "--keep-api-token"]).assert_code(0);
    h.sandbox.clear_exchanges();
    let run = command(&h, "disconnect", &["--yes"]);
    run.assert_code(0);
    assert_eq!(
        run.json()["deleted_least_privilege_ids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let state = h.sandbox.snapshot();
    assert!(state.okta.apps.is_empty());
    assert!(state.okta.custom_roles.is_empty() && state.okta.resource_sets.is_empty());
    let writes: Vec<String> = h
        .writes()
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    let app_delete = writes
        .iter()
        .position(|w| w.starts_with("DELETE /api/v1/apps/"))
        .unwrap();
    let role_delete = writes
        .iter()
        .position(|w| w.starts_with("DELETE /api/v1/iam/roles/"))
        .unwrap();
    assert!(app_delete < role_delete, "{writes:?}");
}

#[test]
fn dry_run_names_the_role_and_writes_nothing() {
    let h = Harness::new();
    let run = connect(&h, &["--least-privilege", "--dry-run"]);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "planned");
    assert_eq!(run.json()["okta"]["admin_role"], lp_json());
    assert!(
        run.stderr
            .contains("create the custom role \"Apono Directory Reader\""),
        "{}",
        run.stderr
    );
    assert!(h.writes().is_empty());
}

/// An org that cannot use custom admin roles (`E0000015`): a new connection gets
/// `READ_ONLY_ADMIN` and says so in the summary and `warnings`; an explicit
/// `--least-privilege` stops before any write (exit 3).
#[test]
fn an_org_without_custom_roles_falls_back_unless_least_privilege_was_asked_for() {
    let h = Harness::with_options(SandboxOptions {
        custom_admin_roles: false,
        ..SandboxOptions::default()
    });
    h.sandbox.clear_exchanges();
    let explicit = connect(&h, &["--least-privilege"]);
    explicit.assert_code(3);
    let failure = explicit.json();
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("cannot use custom admin roles"),
        "{failure}"
    );
    assert!(h.writes().is_empty(), "nothing written before stopping");

    let run = connect(&h, &[]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["okta"]["admin_role"], "READ_ONLY_ADMIN");
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("cannot use custom admin roles"),
        "{report}"
    );
    assert!(warnings.contains("reads the whole org"), "{report}");
    let (_, roles) = roles_of_app_in_use(&h.sandbox.snapshot());
    assert_eq!(
        roles,
        vec![("READ_ONLY_ADMIN".into(), Value::Null, Value::Null)]
    );

    // The human summary says it too.
    let h = Harness::with_options(SandboxOptions {
        custom_admin_roles: false,
        ..SandboxOptions::default()
    });
    let text = h.connect(&[]);
    text.assert_code(0);
    assert!(
        text.stdout
            .contains("warning: this Okta org cannot use custom admin roles"),
        "{}",
        text.stdout
    );
}

/// Widens the app Apono uses by hand, as an Okta admin could: `SUPER_ADMIN` on its
/// client and a grant of `okta.apps.read`.
fn widen_app_in_use(h: &Harness) {
    let (app_id, _) = roles_of_app_in_use(&h.sandbox.snapshot());
    h.sandbox.with_state(|state| {
        let org_url = state.okta.org_url.clone();
        let app = state
            .okta
            .apps
            .iter_mut()
            .find(|a| a.id == app_id)
            .expect("the app in use exists");
        app.roles.push(apono_okta_sandbox::RoleAssignment::new(
            "SUPER_ADMIN",
            "CLIENT",
        ));
        app.grants.push(apono_okta_sandbox::Grant {
            id: "oagWidenedByHand00001".into(),
            scope_id: "okta.apps.read".into(),
            issuer: org_url,
            created_by: "00uSomeoneElse0000001".into(),
            created: "2026-01-01T00:00:00.000Z".into(),
        });
    });
}

/// Exactly these privileges: a privilege added to Apono's app by hand is named by
/// `status`, listed by `connect --reuse-app --dry-run` and removed by `connect
/// --reuse-app`; a rotation ends with a new app holding exactly the two grants and the
/// one role.
#[test]
fn privileges_added_by_hand_are_named_and_removed() {
    let h = Harness::new();
    connect(&h, &["--keep-api-token"]).assert_code(0);
    widen_app_in_use(&h);

    let status = command(&h, "status", &[]);
    status.assert_code(5);
    let report = status.json();
    let drifts = report["drifts"].to_string();
    assert!(drifts.contains("holds the role SUPER_ADMIN"), "{report}");
    assert!(
        drifts.contains("holds the grant of okta.apps.read"),
        "{report}"
    );
    let kinds: Vec<&str> = report["excess_privileges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["grant", "role"], "{report}");

    let dry = connect(&h, &["--reuse-app", "--dry-run", "--keep-api-token"]);
    dry.assert_code(0);
    assert_eq!(dry.json()["result"], "planned");
    assert!(
        dry.stderr
            .contains("what Apono does not need: the role SUPER_ADMIN"),
        "{}",
        dry.stderr
    );
    assert!(dry.stderr.contains("okta.apps.read"), "{}", dry.stderr);

    let repair = connect(&h, &["--reuse-app", "--keep-api-token"]);
    repair.assert_code(0);
    assert_eq!(repair.json()["result"], "repaired");
    assert_least_privilege(&h.sandbox.snapshot());
    let (app_id, _) = roles_of_app_in_use(&h.sandbox.snapshot());
    let scopes: Vec<String> = h
        .sandbox
        .snapshot()
        .okta
        .apps
        .iter()
        .find(|a| a.id == app_id)
        .unwrap()
        .grants
        .iter()
        .map(|g| g.scope_id.clone())
        .collect();
    assert_eq!(scopes.len(), 2, "{scopes:?}");
    command(&h, "status", &[]).assert_code(0);

    // A rotation leaves a widened app behind with the retired app.
    widen_app_in_use(&h);
    age_every_app(&h);
    let rotated = connect(&h, &[]);
    rotated.assert_code(0);
    assert_eq!(rotated.json()["result"], "rotated");
    assert_least_privilege(&h.sandbox.snapshot());
    command(&h, "status", &[]).assert_code(0);
}
