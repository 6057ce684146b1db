//! Snapshots of the human output of the main flows (STYLE.md: "Snapshot human output
//! with filters for what varies"): the real binary against the sandbox, non-interactive,
//! `NO_COLOR=1` (the harness's environment), with the exit code, stdout and stderr in
//! one snapshot per run. The files in `tests/snapshots/` are what a user sees.
//!
//! Filters replace what changes from run to run: the sandbox's ports, the ids Okta and
//! Apono make up, request ids, timings and dates. Update with
//! `INSTA_UPDATE=always cargo test --test integration snapshots` (or `cargo insta
//! review`) and read the diff.

use crate::support::harness::{Harness, Run};

/// What varies between runs, and what replaces it: `known` (a literal id and its
/// name, as `[OLD_APP_ID]`, to tell two ids of a kind apart) first, then patterns.
/// Order matters: the more specific patterns first.
fn filters(known: &[(&str, &str)]) -> Vec<(String, String)> {
    let known = known.iter().map(|(id, name)| {
        assert!(
            id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{id}"
        );
        (format!(r"\b{id}\b"), (*name).to_string())
    });
    let patterns = [
        // The sandbox listens on ephemeral ports.
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        // Okta's request ids, in errors and `--verbose` lines.
        (r"request id [A-Za-z0-9_-]+", "request id [REQUEST_ID]"),
        // Apono's integration ids.
        (
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "[UUID]",
        ),
        // Okta's ids: a three-character prefix and 17 base62 characters.
        (r"\b0oa[A-Za-z0-9]{17}\b", "[APP_ID]"),
        (r"\bcr0[A-Za-z0-9]{17}\b", "[CUSTOM_ROLE_ID]"),
        (r"\biam[A-Za-z0-9]{17}\b", "[RESOURCE_SET_ID]"),
        (r"\birb[A-Za-z0-9]{17}\b", "[ROLE_ID]"),
        (r"\boag[A-Za-z0-9]{17}\b", "[GRANT_ID]"),
        (r"\b00u[A-Za-z0-9]{17}\b", "[USER_ID]"),
        (r"\b00T[A-Za-z0-9]{17}\b", "[TOKEN_ID]"),
        (r"\b00g[A-Za-z0-9]{17}\b", "[GROUP_ID]"),
        (r"\b00o[A-Za-z0-9]{17}\b", "[ORG_ID]"),
        (r"\bra[A-Za-z0-9]{18}\b", "[ROLE_ASSIGNMENT_ID]"),
        // Dates and times.
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[DATETIME]",
        ),
        (r"\b\d{4}-\d{2}-\d{2}\b", "[DATE]"),
        // Durations: `(0.2s)`, `in 12 ms`, `1.5 s`, `3ms`.
        (r"\b\d+(\.\d+)?\s?(ms|s|µs)\b", "[TIME]"),
    ]
    .map(|(pattern, name)| (pattern.to_string(), name.to_string()));
    known.chain(patterns).collect()
}

/// One run as a snapshot: the exit code, then stdout and stderr.
fn render(run: &Run) -> String {
    format!(
        "exit code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// Asserts a snapshot of `run` under `name`, with [`filters`] (and, optionally, ids
/// known by name).
macro_rules! snapshot {
    ($name:expr, $run:expr) => {
        snapshot!($name, $run, &[])
    };
    ($name:expr, $run:expr, $known:expr) => {{
        let filters = filters($known);
        insta::with_settings!({
            filters => filters.iter().map(|(p, r)| (p.as_str(), r.as_str())),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, render(&$run));
        })
    }};
}

#[test]
fn snapshot_connect_fresh() {
    let h = Harness::new();
    let run = h.connect(&[]);
    run.assert_code(0);
    snapshot!("connect_fresh", run);
}

#[test]
fn snapshot_connect_rotation() {
    let mut h = Harness::new();
    h.connect(&[]).assert_code(0);
    let old_app = h.sandbox.snapshot().okta.apps[0].id.clone();
    // The first connect revoked the super admin's token: mint another for the second.
    let token = h.sandbox.mint_super_admin_token();
    let token = h.secret(&token);
    let run = h.connect_with_tokens(&token, &h.sandbox.apono_token(), &[]);
    run.assert_code(0);
    snapshot!("connect_rotation", run, &[(&old_app, "[OLD_APP_ID]")]);
}

#[test]
fn snapshot_connect_dry_run() {
    let h = Harness::new();
    let run = h.connect(&["--dry-run"]);
    run.assert_code(0);
    snapshot!("connect_dry_run", run);
}

#[test]
fn snapshot_connect_failure_undone() {
    let h = Harness::new();
    h.sandbox
        .inject(crate::support::harness::apono_create_fails(
            "something broke",
        ));
    let run = h.connect(&[]);
    snapshot!("connect_failure_undone", run);
}

#[test]
fn snapshot_status_healthy_then_drifted() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    let token = h.sandbox.super_admin_token();

    let healthy = h.run(h.service_command("status", Some(&token)), None);
    healthy.assert_code(0);
    snapshot!("status_healthy", healthy);

    let app_id = h.sandbox.snapshot().okta.apps[0].id.clone();
    h.drift_app(&app_id);
    let drifted = h.run(h.service_command("status", Some(&token)), None);
    drifted.assert_code(5);
    snapshot!("status_drifted", drifted);
}

#[test]
fn snapshot_disconnect() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    let token = h.sandbox.super_admin_token();
    let mut command = h.service_command("disconnect", Some(&token));
    command.arg("--yes");
    let run = h.run(command, None);
    run.assert_code(0);
    snapshot!("disconnect", run);
}

#[test]
fn snapshot_connect_help() {
    let h = Harness::new();
    let mut command = h.command();
    command.args(["connect", "--help"]);
    let run = h.run(command, None);
    run.assert_code(0);
    snapshot!("connect_help", run);
}
