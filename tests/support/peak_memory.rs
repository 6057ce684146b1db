//! The peak memory (resident set) of one run of the binary, on Linux.
//!
//! The kernel keeps a process's peak RSS until its parent reaps it, then folds it into
//! the parent's `RUSAGE_CHILDREN`, the largest over every child reaped. Reading a child's
//! own figure takes `wait4`, which is unsafe to call and this workspace forbids unsafe
//! code; and this test process has many children at once. So the run goes through a
//! process of its own: this test binary again, running only [`probe`], whose one child
//! is the binary; its `RUSAGE_CHILDREN` is that child's peak.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::harness::{Harness, Run, output_within};

/// Carries the run to the probe: the command, the hang guard, and where to write back.
const PROBE_SPEC: &str = "APONO_OKTA_TEST_PEAK_PROBE";

/// The probe's name in this test binary.
const PROBE_TEST: &str = "support::peak_memory::probe";

/// Runs `command` (made by [`Harness::command`]: its environment is its own variables
/// only) through the probe, under the hang guard `limit`, with [`Harness::checked`]'s
/// checks; returns the run and the binary's peak RSS in KiB.
pub fn run_measured(h: &Harness, command: &Command, limit: Duration) -> (Run, u64) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let result = dir.path().join("run.json");
    let text = |s: &std::ffi::OsStr| s.to_str().expect("UTF-8").to_string();
    let spec = json!({
        "program": text(command.get_program()),
        "args": command.get_args().map(text).collect::<Vec<_>>(),
        "env": command
            .get_envs()
            .map(|(name, value)| json!([text(name), value.map(text)]))
            .collect::<Vec<_>>(),
        "limit_ms": limit.as_millis() as u64,
        "result": result,
    });
    let mut probe = Command::new(std::env::current_exe().expect("this test binary"));
    probe
        .args([
            PROBE_TEST,
            "--exact",
            "--ignored",
            "--test-threads=1",
            "--quiet",
        ])
        .env(PROBE_SPEC, spec.to_string());
    // The probe has its own guard on the binary; this one is for the probe itself.
    let probe_run = output_within(probe, limit + Duration::from_secs(30));
    assert!(
        result.exists(),
        "the probe did not run (exit {})\n{}\n{}",
        probe_run.code,
        probe_run.stdout,
        probe_run.stderr
    );
    let measured = read_json(&result);
    let run = Run {
        code: measured["code"].as_i64().expect("an exit code") as i32,
        stdout: measured["stdout"].as_str().unwrap_or_default().to_string(),
        stderr: measured["stderr"].as_str().unwrap_or_default().to_string(),
    };
    let peak_kib = measured["peak_rss_kib"].as_u64().expect("a peak RSS");
    (h.checked(run), peak_kib)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the probe's result");
    serde_json::from_str(&text).expect("the probe's result is JSON")
}

#[test]
#[ignore = "a helper of the peak-memory tests, which start it in a process of its own; alone it does nothing"]
fn probe() {
    let Ok(spec) = std::env::var(PROBE_SPEC) else {
        return;
    };
    let spec: Value = serde_json::from_str(&spec).expect("the probe's spec is JSON");
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect()
    };
    let mut command = Command::new(spec["program"].as_str().expect("a program"));
    command.env_clear().args(strings(&spec["args"]));
    for pair in spec["env"].as_array().expect("an environment") {
        let name = pair[0].as_str().expect("a variable name");
        match pair[1].as_str() {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let limit = Duration::from_millis(spec["limit_ms"].as_u64().expect("a limit"));
    let run = output_within(command, limit);
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage");
    let measured = json!({
        "code": run.code,
        "stdout": run.stdout,
        "stderr": run.stderr,
        // KiB on Linux.
        "peak_rss_kib": usage.max_rss(),
    });
    let result = spec["result"].as_str().expect("a result path");
    std::fs::write(result, measured.to_string()).expect("the result is written");
}
