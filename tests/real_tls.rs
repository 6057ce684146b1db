//! The sandbox over real TLS: two TLS fronts (Okta, Apono) with a certificate for
//! `localhost` and `127.0.0.1` signed by a CA made in the test (rcgen), forwarding to the
//! sandbox's plain-http ports. The binary does not know the CA: it fails on the
//! certificate, then succeeds when given the CA with `--ca-bundle` or `SSL_CERT_FILE`.
//! No system program needed.

use crate::support::real::TlsSandbox;

#[test]
fn an_unknown_ca_fails_on_the_certificate() {
    let t = TlsSandbox::start();
    let run = t.harness.run(t.connect_command(), None);
    run.assert_code(8);
    let message = run.stderr.to_lowercase();
    assert!(
        message.contains("certificate"),
        "the message does not mention the certificate:\n{}",
        run.stderr
    );
    // The client refused the handshake: nothing reached the sandbox.
    assert!(
        !t.okta.peers().is_empty(),
        "the Okta front saw no connection"
    );
    assert_eq!(t.okta.handshakes(), 0);
    assert!(t.harness.sandbox.exchanges().is_empty());
    assert!(t.harness.writes().is_empty());
}

/// A run through both fronts succeeded: exit 0, the integration `Active`, and every
/// request went over TLS.
fn assert_connected_over_tls(t: &TlsSandbox, run: &crate::support::harness::Run) {
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["apono"]["status"], "Active", "{report:#}");
    assert!(
        t.okta.handshakes() > 0,
        "no TLS handshake on the Okta front"
    );
    assert!(
        t.apono.handshakes() > 0,
        "no TLS handshake on the Apono front"
    );
    let state = t.harness.sandbox.snapshot();
    assert_eq!(state.apono.integrations.len(), 1);
    assert_eq!(state.okta.apps.len(), 1);
}

#[test]
fn ca_bundle_trusts_the_test_ca() {
    let t = TlsSandbox::start();
    let mut command = t.connect_command();
    command.arg("--ca-bundle").arg(&t.ca_file);
    let run = t.harness.run(command, None);
    assert_connected_over_tls(&t, &run);
}

/// reqwest's `rustls-tls-native-roots` loads the system roots with rustls-native-certs,
/// which reads `SSL_CERT_FILE` instead of the system store when it is set.
#[test]
fn ssl_cert_file_trusts_the_test_ca() {
    let t = TlsSandbox::start();
    let mut command = t.connect_command();
    command.env("SSL_CERT_FILE", &t.ca_file);
    let run = t.harness.run(command, None);
    assert_connected_over_tls(&t, &run);
}
