//! Benchmark: one whole `apono-okta connect` (the release binary, as a user runs it)
//! against the sandbox, at several per-call network latencies.
//!
//! Run: `cargo bench --bench connect`
//!
//! It reports, per latency, the median/min/max wall time of a run over several runs,
//! the number of HTTP requests, and what the run would take if every request waited
//! for the previous one (requests × latency). The gap between the two is what the
//! concurrent preflight and the concurrent grants/role save. The wait between two
//! status reads of Apono is shortened (`APONO_OKTA_TEST_NO_RETRY_DELAY`), so the
//! figures measure the tool, not the polling cadence.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apono_okta::sandbox::{Sandbox, SandboxOptions};

const RUNS: usize = 5;
const LATENCIES_MS: [u64; 3] = [0, 25, 50];

fn main() {
    let binary = env!("CARGO_BIN_EXE_apono-okta");
    println!("connect against the sandbox, {RUNS} runs per latency ({binary})");
    println!(
        "{:>10} {:>10} {:>10} {:>10} {:>9} {:>16}",
        "latency", "median", "min", "max", "requests", "if sequential"
    );
    for latency_ms in LATENCIES_MS {
        let latency = Duration::from_millis(latency_ms);
        let mut times = Vec::with_capacity(RUNS);
        let mut requests = 0;
        for _ in 0..RUNS {
            let sandbox = Sandbox::start(SandboxOptions::default()).expect("the sandbox starts");
            sandbox.set_latency(latency);
            let started = Instant::now();
            let status = Command::new(binary)
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
                .env("OKTA_API_TOKEN", sandbox.super_admin_token())
                .env("APONO_API_TOKEN", sandbox.apono_token())
                .env("APONO_OKTA_KEYRING", "none")
                .env("APONO_OKTA_TEST_NO_RETRY_DELAY", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("the binary runs");
            times.push(started.elapsed());
            assert!(
                status.success(),
                "connect failed at latency {latency_ms} ms"
            );
            requests = sandbox.exchanges().len();
        }
        times.sort();
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        println!(
            "{:>10} {:>10} {:>10} {:>10} {:>9} {:>16}",
            format!("{latency_ms} ms"),
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1]),
            requests,
            ms(latency * requests as u32),
        );
    }
}
