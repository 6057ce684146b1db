//! The org check before the token (DESIGN.md §3.2): on a host outside Okta's own domains
//! (here, the sandbox on loopback) the first Okta request is the unauthenticated
//! `GET /.well-known/okta-organization`, and a host that does not answer as an Okta org
//! never gets the token: exit 8, whichever command sends it.

use serde_json::{Value, json};

use apono_okta_sandbox::{Exchange, Fault, FaultAction, Service};

use crate::support::harness::{Harness, Run};
use crate::support::plain_site::PlainSite;

const ORG_METADATA: &str = "/.well-known/okta-organization";

fn okta_exchanges(h: &Harness) -> Vec<Exchange> {
    h.sandbox
        .exchanges()
        .into_iter()
        .filter(|e| e.service == Service::Okta)
        .collect()
}

/// The run stopped with exit 8 because the Okta URL is not an Okta org, and said so in
/// its `--json` object (with `needle`) and with a hint naming `--okta-url`.
fn assert_not_an_okta_org(run: &Run, needle: &str) {
    run.assert_code(8);
    let failure = run.json();
    assert_eq!(failure["result"], "failed", "{failure}");
    assert_eq!(failure["exit_code"], 8, "{failure}");
    let error = failure["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("is not an Okta org: GET /.well-known/okta-organization answered")
            && error.contains(needle),
        "{error}"
    );
    assert!(
        run.stderr.contains("hint: check --okta-url"),
        "{}",
        run.stderr
    );
}

/// Okta saw the org metadata request alone, without any `Authorization`, and no request
/// to either service carried the Okta token; nothing was written.
fn assert_the_token_stayed_home(h: &Harness, okta_token: &str) {
    let okta = okta_exchanges(h);
    let asked: Vec<(&str, &str)> = okta
        .iter()
        .map(|e| (e.method.as_str(), e.path.as_str()))
        .collect();
    assert_eq!(asked, vec![("GET", ORG_METADATA)]);
    assert_eq!(okta[0].request_header("authorization"), None);
    for e in h.sandbox.exchanges() {
        let headers = format!("{:?}", e.request_headers);
        assert!(
            !headers.contains(okta_token),
            "{} {} carried the Okta token",
            e.method,
            e.path
        );
    }
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert!(!h.token_revoked(okta_token));
}

/// An Okta error body, as the contract checker wants undocumented errors to be.
fn okta_not_found() -> Value {
    json!({
        "errorCode": "E0000007",
        "errorSummary": "Not found: Resource not found: /.well-known/okta-organization (Resource)",
        "errorLink": "E0000007",
        "errorId": "oaeOrgCheckTest",
        "errorCauses": []
    })
}

#[test]
fn connect_reads_the_org_metadata_without_the_token_before_anything_else() {
    let h = Harness::new();
    let run = h.connect(&["--json"]);
    run.assert_code(0);
    let timed: Vec<_> = h
        .sandbox
        .timed_exchanges()
        .into_iter()
        .filter(|t| t.exchange.service == Service::Okta)
        .collect();
    let (first, rest) = timed.split_first().expect("Okta was asked");
    assert_eq!(
        (first.exchange.method.as_str(), first.exchange.path.as_str()),
        ("GET", ORG_METADATA)
    );
    assert_eq!(first.exchange.status, 200);
    assert_eq!(first.exchange.request_header("authorization"), None);
    for t in rest {
        let e = &t.exchange;
        assert_ne!(e.path, ORG_METADATA, "the org is checked once");
        assert!(
            e.request_header("authorization")
                .is_some_and(|a| a.starts_with("SSWS ")),
            "{} {}",
            e.method,
            e.path
        );
        assert!(
            t.timing.started >= first.timing.finished,
            "{} {} was sent before the org metadata answered",
            e.method,
            e.path
        );
    }
    let org_id = h.sandbox.snapshot().okta.org_id;
    let line = format!("✓ {} is the Okta org {org_id}\n", h.sandbox.okta_domain());
    assert!(run.stderr.contains(&line), "{}", run.stderr);
}

#[test]
fn connect_to_a_site_that_is_not_okta_is_exit_8_and_the_token_stays_home() {
    let h = Harness::new();
    let site = PlainSite::start(
        "200 OK",
        "text/html",
        "<!DOCTYPE html>\n<title>Acme sign-in</title>",
    );
    let okta_token = h.sandbox.super_admin_token();
    let mut command = h.command();
    command
        .args(["connect", "--okta-url", &site.url(), "--apono-url"])
        .arg(h.sandbox.apono_url())
        .args(["--non-interactive", "--no-store", "--json"])
        .env("OKTA_API_TOKEN", &okta_token)
        .env("APONO_API_TOKEN", h.sandbox.apono_token());
    let run = h.run(command, None);
    assert_not_an_okta_org(
        &run,
        "200 with text/html, not the org metadata's JSON object: <!DOCTYPE html> <title>Acme sign-in</title>",
    );
    let heads = site.heads();
    assert_eq!(heads.len(), 1, "{heads:#?}");
    assert!(
        heads[0].starts_with(&format!("GET {ORG_METADATA} HTTP/1.1\r\n")),
        "{}",
        heads[0]
    );
    assert!(
        !heads[0].to_ascii_lowercase().contains("authorization:")
            && !heads[0].contains(&okta_token),
        "{}",
        heads[0]
    );
    assert!(okta_exchanges(&h).is_empty());
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert!(!h.token_revoked(&okta_token));
}

#[test]
fn connect_stops_with_exit_8_at_every_answer_that_is_not_an_orgs_metadata() {
    let h = Harness::new();
    let okta_token = h.sandbox.super_admin_token();
    let okta_url = h.sandbox.okta_url();
    let respond = |status, body| FaultAction::Respond { status, body };
    let cases = [
        (
            respond(404, okta_not_found()),
            "answered 404 (application/json)",
        ),
        (
            respond(
                200,
                json!({"id": "0oa1abcdefGHIJKLM5d7", "_links": {"organization": {"href": okta_url}}}),
            ),
            "its \"id\" \"0oa1abcdefGHIJKLM5d7\" is not an Okta org id (00o...)",
        ),
        (
            respond(
                200,
                json!({"id": "00o1abcdefGHIJKLM5d7", "_links": {"organization": {"href": "http://example.okta.com"}}}),
            ),
            "its _links.organization.href \"http://example.okta.com\" is not an https:// URL",
        ),
        (
            FaultAction::RespondWithHeaders {
                status: 302,
                body: Value::Null,
                headers: vec![("location".into(), "https://example.okta.com/".into())],
            },
            "answered 302, a redirect to https://example.okta.com/",
        ),
    ];
    for (action, needle) in cases {
        h.sandbox.clear_exchanges();
        h.sandbox
            .inject(Fault::new(Service::Okta, "GET", ORG_METADATA, 1, action));
        let run = h.connect(&["--json"]);
        assert_not_an_okta_org(&run, needle);
        assert_the_token_stayed_home(&h, &okta_token);
    }
}

#[test]
fn status_and_disconnect_send_no_token_to_a_host_that_is_not_okta() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    let okta_token = h.sandbox.super_admin_token();
    for (command, extra) in [("status", None), ("disconnect", Some("--yes"))] {
        h.sandbox.clear_exchanges();
        h.sandbox.inject(Fault::respond(
            Service::Okta,
            "GET",
            ORG_METADATA,
            1,
            404,
            okta_not_found(),
        ));
        let mut cmd = h.service_command(command, Some(&okta_token));
        cmd.arg("--json").args(extra);
        let run = h.run(cmd, None);
        assert_not_an_okta_org(&run, "answered 404");
        assert_the_token_stayed_home(&h, &okta_token);
    }
    let state = h.sandbox.snapshot();
    assert_eq!(state.apono.integrations.len(), 1, "still connected");
    assert_eq!(state.okta.apps.len(), 1);

    // Without an Okta token, `status` does not ask Okta anything.
    h.sandbox.clear_exchanges();
    let mut apono_only = h.service_command("status", None);
    apono_only.arg("--json");
    h.run(apono_only, None).assert_code(0);
    assert!(okta_exchanges(&h).is_empty());

    // Answered, both check the org once and say which one it is.
    let line = format!(
        "✓ {} is the Okta org {}\n",
        h.sandbox.okta_domain(),
        state.okta.org_id
    );
    for (command, extra) in [("status", None), ("disconnect", Some("--yes"))] {
        h.sandbox.clear_exchanges();
        let mut cmd = h.service_command(command, Some(&okta_token));
        cmd.arg("--json").args(extra);
        let run = h.run(cmd, None);
        run.assert_code(0);
        assert!(run.stderr.contains(&line), "{command}: {}", run.stderr);
        let okta = okta_exchanges(&h);
        assert_eq!(okta[0].path, ORG_METADATA, "{command}");
        assert_eq!(
            okta.iter().filter(|e| e.path == ORG_METADATA).count(),
            1,
            "{command}"
        );
    }
}

#[test]
fn demo_confirms_its_sandbox_org() {
    let h = Harness::new();
    let mut command = h.command();
    command.arg("demo");
    let run = h.run(command, None);
    run.assert_code(0);
    let confirmed = run
        .stderr
        .lines()
        .find(|l| l.contains(" is the Okta org 00o"));
    assert!(
        confirmed.is_some_and(|l| l.starts_with("✓ 127.0.0.1:")),
        "{}",
        run.stderr
    );
}
