//! Benchmark: `apono-okta connect` as a user runs it (the release binary) against the
//! sandbox, with a per-request latency of 0, 50 and 100 ms and an Apono activation of
//! 0 and 2 s, for a fresh connect and for a rotation (a second connect, which moves the
//! integration to a new app and retires the first one). Then the start-up time of
//! `--version`, the binary's size and the peak memory of one connect.
//!
//! Run: `cargo bench --bench connect` (`BENCH_RUNS=N` for N runs per row, default 5).
//!
//! Per row, the median of the runs of:
//! - `requests`: every request the run made, and `polls`: how many of them were
//!   status reads of the integration (their number depends on the activation time);
//! - `waves`: dependent round trips, from the sandbox's log: the longest chain of
//!   requests besides the status reads each of which started after the previous one
//!   finished (requests in flight together count once), plus one for the status read
//!   that finds `Active` (no client can do without it). Only meaningful with a latency,
//!   so `-` at 0 ms;
//! - `wall`: from starting the process to its exit;
//! - `ratio`: wall / (waves × latency + activation), the overhead over the least a
//!   client making those dependent round trips can take (`-` when that least is 0);
//! - `target` (fresh connects): 1.15 × 8 × latency + activation: the 7 round trips of
//!   an `okta.com` org plus the org check a loopback host needs (DESIGN.md §3.2).
//!
//! The real polling cadence is measured (`APONO_OKTA_TEST_NO_RETRY_DELAY` is not set):
//! the first status read 100 ms after the write, then ×1.5 up to the poll interval.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apono_okta_sandbox::{Exchange, Sandbox, SandboxOptions, dependent_round_trips};

const LATENCIES_MS: [u64; 3] = [0, 50, 100];
/// The dependent round trips of a fresh connect against the sandbox: 7, plus the org
/// check (`GET /.well-known/okta-organization`) that a host outside Okta's own domains,
/// as loopback is, needs before the token is sent.
const FRESH_ROUND_TRIPS: f64 = 7.0 + 1.0;
const ACTIVATIONS_MS: [u64; 2] = [0, 2000];
const VERSION_RUNS: usize = 20;

/// A status read of the integration (the wait for `Active`).
fn is_status_poll(e: &Exchange) -> bool {
    let segments: Vec<&str> = e.path.trim_matches('/').split('/').collect();
    e.method == "GET"
        && matches!(
            segments.as_slice(),
            ["api", "admin", "v4", "integrations", _] | ["api", "v2", "integrations", _]
        )
}

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    Fresh,
    Rotation,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Fresh => "fresh",
            Scenario::Rotation => "rotation",
        }
    }
}

struct Figures {
    requests: usize,
    polls: usize,
    waves: usize,
    wall: Duration,
}

fn connect(binary: &str, home: &std::path::Path, sandbox: &Sandbox, extra: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .args([
            "connect",
            "--okta-url",
            &sandbox.okta_url(),
            "--apono-url",
            &sandbox.apono_url(),
            "--non-interactive",
            "--no-store",
            "--json",
        ])
        .args(extra)
        .env_remove("APONO_OKTA_TEST_NO_RETRY_DELAY")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("OKTA_API_TOKEN", sandbox.super_admin_token())
        .env("APONO_API_TOKEN", sandbox.apono_token())
        .env("APONO_OKTA_KEYRING", "none")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn run_ok(mut command: Command, what: &str) {
    let output = command.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn once(binary: &str, scenario: Scenario, latency: Duration, activation: Duration) -> Figures {
    let home = tempfile::tempdir().expect("a temporary home");
    let options = SandboxOptions {
        activation: Some(activation),
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(options).expect("the sandbox starts");
    if scenario == Scenario::Rotation {
        // The first connect, untimed and without latency, keeps the token for the second.
        let first = connect(binary, home.path(), &sandbox, &["--keep-api-token"]);
        run_ok(first, "the first connect");
        sandbox.clear_exchanges();
    }
    sandbox.set_latency(latency);
    let command = connect(binary, home.path(), &sandbox, &[]);
    let started = Instant::now();
    run_ok(command, scenario.name());
    let wall = started.elapsed();
    let log = sandbox.timed_exchanges();
    let polls = log.iter().filter(|t| is_status_poll(&t.exchange)).count();
    let waves = dependent_round_trips(log.iter().filter(|t| !is_status_poll(&t.exchange))) + 1;
    Figures {
        requests: log.len(),
        polls,
        waves,
        wall,
    }
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// The peak resident set of one connect, from `/usr/bin/time -v`, in KiB.
fn peak_rss_kib(binary: &str) -> Option<u64> {
    let time = std::path::Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let home = tempfile::tempdir().ok()?;
    let sandbox = Sandbox::start(SandboxOptions::default()).ok()?;
    let inner = connect(binary, home.path(), &sandbox, &[]);
    let mut command = Command::new(time);
    command
        .arg("-v")
        .arg(inner.get_program())
        .args(inner.get_args());
    for (name, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.stdin(Stdio::null()).output().ok()?;
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

fn main() {
    let binary = env!("CARGO_BIN_EXE_apono-okta");
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    println!("connect against the sandbox, median of {runs} runs per row ({binary})");
    println!(
        "{:>9} {:>8} {:>10} {:>9} {:>6} {:>6} {:>9} {:>7} {:>9}",
        "scenario",
        "latency",
        "activation",
        "requests",
        "polls",
        "waves",
        "wall",
        "ratio",
        "target"
    );
    for scenario in [Scenario::Fresh, Scenario::Rotation] {
        for activation_ms in ACTIVATIONS_MS {
            for latency_ms in LATENCIES_MS {
                let latency = Duration::from_millis(latency_ms);
                let activation = Duration::from_millis(activation_ms);
                let all: Vec<Figures> = (0..runs)
                    .map(|_| once(binary, scenario, latency, activation))
                    .collect();
                let wall = median(all.iter().map(|f| f.wall).collect());
                let requests = median(all.iter().map(|f| f.requests).collect());
                let polls = median(all.iter().map(|f| f.polls).collect());
                let waves = median(all.iter().map(|f| f.waves).collect());
                let least = latency * waves as u32 + activation;
                let ratio = if least.is_zero() {
                    "-".to_string()
                } else {
                    format!("{:.2}", wall.as_secs_f64() / least.as_secs_f64())
                };
                let target = match scenario {
                    Scenario::Fresh => ms(latency.mul_f64(1.15 * FRESH_ROUND_TRIPS) + activation),
                    Scenario::Rotation => "-".to_string(),
                };
                println!(
                    "{:>9} {:>8} {:>10} {:>9} {:>6} {:>6} {:>9} {:>7} {:>9}",
                    scenario.name(),
                    format!("{latency_ms} ms"),
                    format!("{activation_ms} ms"),
                    requests,
                    polls,
                    if latency_ms == 0 {
                        "-".to_string()
                    } else {
                        waves.to_string()
                    },
                    ms(wall),
                    ratio,
                    target,
                );
            }
        }
    }

    let version: Vec<Duration> = (0..VERSION_RUNS)
        .map(|_| {
            let started = Instant::now();
            let status = Command::new(binary)
                .arg("--version")
                .stdout(Stdio::null())
                .status()
                .expect("the binary runs");
            assert!(status.success());
            started.elapsed()
        })
        .collect();
    let version = median(version);
    println!(
        "--version start-up: {:.2} ms (median of {VERSION_RUNS})",
        version.as_secs_f64() * 1000.0
    );

    let size = |path: &std::path::Path| {
        std::fs::metadata(path)
            .map(|m| format!("{:.2} MB ({} bytes)", m.len() as f64 / 1e6, m.len()))
            .unwrap_or_else(|_| "not built".to_string())
    };
    let release = std::path::Path::new(binary);
    println!("binary size, release: {}", size(release));
    if let Some(target) = release.parent().and_then(|p| p.parent()) {
        println!(
            "binary size, dist (`cargo build --profile dist`): {}",
            size(&target.join("dist").join("apono-okta"))
        );
    }
    match peak_rss_kib(binary) {
        Some(kib) => println!(
            "peak RSS of a connect: {:.1} MB ({kib} KiB, /usr/bin/time -v)",
            kib as f64 / 1024.0
        ),
        None => println!("peak RSS of a connect: not measured (no /usr/bin/time)"),
    }
}
