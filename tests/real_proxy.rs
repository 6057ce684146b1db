//! A real forward proxy (Debian's tinyproxy, started by the test) between the binary and
//! the sandbox's TLS fronts (see `real_tls`). Shows which requests the binary sends
//! through `HTTPS_PROXY`, and that `NO_PROXY` takes a host out of it.
//!
//! Needs the Debian package tinyproxy, so the tests are ignored by default:
//! `cargo test --locked -- --include-ignored` runs them (`.ci/run` installs it and does);
//! without it they fail, naming it.

use std::process::Command;

use crate::support::harness::Harness;
use crate::support::real::{Tinyproxy, TlsSandbox};

/// Lines of tinyproxy's log that record a request (`CONNECT host:port` or `GET url`).
fn proxied_requests(log: &str) -> Vec<String> {
    log.lines()
        .filter(|line| line.contains("Request (file descriptor"))
        .map(|line| line.to_string())
        .collect()
}

fn tls_with_proxy() -> (TlsSandbox, Tinyproxy) {
    let t = TlsSandbox::start();
    let proxy = Tinyproxy::start("real_proxy", &[t.okta.addr.port(), t.apono.addr.port()]);
    (t, proxy)
}

fn tls_connect(t: &TlsSandbox) -> Command {
    let mut command = t.connect_command();
    command.arg("--ca-bundle").arg(&t.ca_file);
    command
}

#[test]
#[ignore = "needs tinyproxy (apt-get install tinyproxy); run with: cargo test --locked -- --include-ignored"]
fn https_proxy_carries_both_services_through_connect() {
    let (t, proxy) = tls_with_proxy();
    let mut command = tls_connect(&t);
    command.env("HTTPS_PROXY", proxy.url());
    let run = t.harness.run(command, None);
    run.assert_code(0);
    assert_eq!(run.json()["apono"]["status"], "Active");
    let log = proxy.log();
    let requests = proxied_requests(&log);
    for front in [&t.okta, &t.apono] {
        let connect = format!("CONNECT {} HTTP/1.1", front.host_port());
        assert!(
            requests.iter().any(|r| r.contains(&connect)),
            "tinyproxy's log has no '{connect}':\n{log}"
        );
    }
    // The TLS still ends at the fronts: the proxy only relayed bytes.
    assert!(t.okta.handshakes() > 0 && t.apono.handshakes() > 0);
}

#[test]
#[ignore = "needs tinyproxy (apt-get install tinyproxy); run with: cargo test --locked -- --include-ignored"]
fn lower_case_https_proxy_and_all_proxy_are_honoured() {
    for name in ["https_proxy", "ALL_PROXY"] {
        let (t, proxy) = tls_with_proxy();
        let mut command = tls_connect(&t);
        command.env(name, proxy.url());
        let run = t.harness.run(command, None);
        run.assert_code(0);
        let log = proxy.log();
        assert!(
            proxied_requests(&log)
                .iter()
                .any(|r| r.contains(&format!("CONNECT {}", t.okta.host_port()))),
            "{name}: tinyproxy saw no CONNECT:\n{log}"
        );
    }
}

#[test]
#[ignore = "needs tinyproxy (apt-get install tinyproxy); run with: cargo test --locked -- --include-ignored"]
fn no_proxy_takes_a_host_out_of_the_proxy() {
    let (t, proxy) = tls_with_proxy();
    let mut command = tls_connect(&t);
    command
        .env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "localhost");
    let run = t.harness.run(command, None);
    run.assert_code(0);
    let log = proxy.log();
    assert!(
        proxied_requests(&log).is_empty(),
        "NO_PROXY=localhost, yet tinyproxy relayed:\n{log}"
    );
    assert!(t.okta.handshakes() > 0);
}

/// The sandbox's plain-http loopback URLs: `HTTPS_PROXY` does not apply to `http://`,
/// but `HTTP_PROXY` and `ALL_PROXY` do, loopback included (no implicit bypass), until
/// `NO_PROXY` names the host.
#[test]
#[ignore = "needs tinyproxy (apt-get install tinyproxy); run with: cargo test --locked -- --include-ignored"]
fn plain_http_loopback_is_proxied_by_http_proxy_unless_no_proxy() {
    let h = Harness::new();
    // (variables, each set to the proxy's URL (true) or to "127.0.0.1"), label, proxied.
    type Case = (&'static [(&'static str, bool)], &'static str, bool);
    let cases: [Case; 5] = [
        (&[("HTTPS_PROXY", true)], "HTTPS_PROXY only", false),
        (&[("HTTP_PROXY", true)], "HTTP_PROXY", true),
        (&[("ALL_PROXY", true)], "ALL_PROXY", true),
        (
            &[("HTTP_PROXY", true), ("NO_PROXY", false)],
            "HTTP_PROXY + NO_PROXY=127.0.0.1",
            false,
        ),
        (
            &[("ALL_PROXY", true), ("no_proxy", false)],
            "ALL_PROXY + no_proxy=127.0.0.1",
            false,
        ),
    ];
    for (env, label, proxied) in cases {
        let proxy = Tinyproxy::start("real_proxy", &[]);
        let mut command = h.command();
        command
            .args(h.target_args())
            .arg("--dry-run")
            .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
            .env("APONO_API_TOKEN", h.sandbox.apono_token());
        for (name, is_proxy) in env {
            command.env(
                name,
                if *is_proxy {
                    proxy.url()
                } else {
                    "127.0.0.1".into()
                },
            );
        }
        h.run(command, None).assert_code(0);
        let log = proxy.log();
        let okta_get = format!("GET {}/api/v1/users/me ", h.sandbox.okta_url());
        let apono_get = format!("GET {}/api/", h.sandbox.apono_url());
        let requests = proxied_requests(&log);
        if proxied {
            for expected in [&okta_get, &apono_get] {
                assert!(
                    requests.iter().any(|r| r.contains(expected.as_str())),
                    "{label}: tinyproxy did not relay '{expected}':\n{log}"
                );
            }
        } else {
            assert!(requests.is_empty(), "{label}: tinyproxy relayed:\n{log}");
        }
    }
}
