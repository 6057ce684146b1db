//! Pagination against the sandbox: Okta `Link` headers in every form RFC 8288 allows,
//! and the guards that turn a list that cannot be read whole into an error (a loop, the
//! page cap, a link to another origin) before anything is written.

use apono_okta::http::MAX_PAGES;
use apono_okta_sandbox::{APONO_PUBLIC_JWK, Exchange, Fault, FaultAction, Service};
use serde_json::{Value, json};

use crate::support::harness::{Harness, Run};

const APPS: &str = "/api/v1/apps";
const INTEGRATIONS: &str = "/api/admin/v4/integrations";

/// The `GET /api/v1/apps` requests the sandbox saw.
fn app_list_reads(h: &Harness) -> Vec<Exchange> {
    h.sandbox
        .exchanges()
        .into_iter()
        .filter(|e| e.service == Service::Okta && e.method == "GET" && e.path == APPS)
        .collect()
}

/// The nth matching request answers 200 with `body` and these `Link` headers (`.times(n)`
/// for more).
fn answer_with_links(
    service: Service,
    path: &str,
    nth: usize,
    body: Value,
    links: &[String],
) -> Fault {
    let headers = links
        .iter()
        .map(|link| ("link".to_string(), link.clone()))
        .collect();
    let action = FaultAction::RespondWithHeaders {
        status: 200,
        body,
        headers,
    };
    Fault::new(service, "GET", path, nth, action)
}

/// `status --json` with both tokens.
fn status(h: &Harness) -> Run {
    let mut cmd = h.service_command("status", Some(&h.sandbox.super_admin_token()));
    cmd.arg("--json");
    h.run(cmd, None)
}

/// A run that stopped on a list it could not read whole: exit 1, the reason in the
/// message, nothing written, the token kept.
fn assert_stopped_unwritten(h: &Harness, run: &Run, list: &str, reason: &str) {
    run.assert_code(1);
    assert!(
        run.stderr
            .contains(&format!("list {list} could not be read whole"))
            && run.stderr.contains(reason),
        "{}",
        run.stderr
    );
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert!(!h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn an_okta_next_link_to_itself_stops_the_run_before_any_write() {
    let h = Harness::new();
    let looping = format!(
        "<{}{APPS}?after=loop&limit=200>; rel=\"next\"",
        h.sandbox.okta_url()
    );
    h.sandbox
        .inject(answer_with_links(Service::Okta, APPS, 1, json!([]), &[looping]).times(1000));

    let run = h.connect(&[]);

    assert_stopped_unwritten(&h, &run, APPS, "the pagination loops");
    // The first page, then the page that names itself: not 2,060 requests.
    let reads = app_list_reads(&h).len();
    assert!(reads <= 3, "{reads} reads of {APPS}");
}

#[test]
fn an_okta_list_longer_than_the_cap_is_an_error_not_a_short_list() {
    let h = Harness::new();
    for page in 1..=MAX_PAGES + 1 {
        let next = format!(
            "<{}{APPS}?after={page}&limit=200>; rel=\"next\"",
            h.sandbox.okta_url()
        );
        h.sandbox.inject(answer_with_links(
            Service::Okta,
            APPS,
            page,
            json!([]),
            &[next],
        ));
    }

    let run = h.connect(&[]);

    assert_stopped_unwritten(&h, &run, APPS, &format!("after {MAX_PAGES} pages"));
    assert_eq!(app_list_reads(&h).len(), MAX_PAGES);
}

/// Seeds two apps with our label, answers the first page with the first of them and
/// `links(next)`, where `next` is the real second page's URL with a comma in it; the
/// walk must reach the second page and `status` list both apps as unreferenced.
fn assert_second_page_is_reached(links: impl Fn(&str, &str) -> Vec<String>) {
    let h = Harness::new();
    let key: Value = serde_json::from_str(APONO_PUBLIC_JWK).unwrap();
    let (first, second) = h.sandbox.with_state(|state| {
        let label = "Apono Integration";
        let first = state
            .okta
            .seed_service_app(label, std::slice::from_ref(&key), true);
        (first, state.okta.seed_service_app(label, &[key], true))
    });
    let (first_json, first_seq) = {
        let state = h.sandbox.snapshot();
        let app = state.okta.app(&first).unwrap();
        (app.json.clone(), app.seq)
    };
    let base = format!("{}{APPS}", h.sandbox.okta_url());
    let this_page = format!("{base}?q=Apono+Integration&includeNonDeleted=true&limit=200");
    let next_page = format!(
        "{base}?after={first_seq}&limit=1&q=Apono+Integration&includeNonDeleted=true&marker=a,b"
    );
    h.sandbox.inject(answer_with_links(
        Service::Okta,
        APPS,
        1,
        json!([first_json]),
        &links(&this_page, &next_page),
    ));

    let run = status(&h);

    // No integration: unhealthy (5), but both apps are found and listed.
    run.assert_code(5);
    assert_eq!(run.json()["unreferenced_app_ids"], json!([first, second]));
    let reads = app_list_reads(&h);
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(reads[1].query.contains("marker=a,b"), "{}", reads[1].query);
}

#[test]
fn a_next_link_with_a_comma_in_its_url_is_followed() {
    assert_second_page_is_reached(|this_page, next_page| {
        vec![
            format!("<{this_page}>; rel=\"self\""),
            format!("<{next_page}>; rel=\"next\""),
        ]
    });
}

#[test]
fn a_comma_joined_link_header_with_an_upper_case_rel_is_followed() {
    assert_second_page_is_reached(|this_page, next_page| {
        vec![format!(
            "<{this_page}>; rel=\"self\", <{next_page}>; rel=\"NEXT\""
        )]
    });
}

#[test]
fn a_link_with_several_rels_is_followed() {
    assert_second_page_is_reached(|this_page, next_page| {
        vec![format!(
            "<{this_page}>; title=\"page 1, of 2\"; rel=\"self\", <{next_page}>; rel=\"self next\""
        )]
    });
}

#[test]
fn an_okta_next_link_to_another_origin_is_refused_and_gets_no_token() {
    let h = Harness::new();
    // The sandbox's Apono is another origin (another port) that records what it gets.
    let foreign = format!("<{}{APPS}?after=1>; rel=\"next\"", h.sandbox.apono_url());
    h.sandbox.inject(answer_with_links(
        Service::Okta,
        APPS,
        1,
        json!([]),
        &[foreign],
    ));

    let run = h.connect(&[]);

    run.assert_code(1);
    assert!(run.stderr.contains("another origin"), "{}", run.stderr);
    assert!(h.writes().is_empty());
    let token = h.sandbox.super_admin_token();
    assert!(
        h.sandbox
            .exchanges()
            .iter()
            .filter(|e| e.service == Service::Apono)
            .all(|e| e.path != APPS && e.request_headers.iter().all(|(_, v)| !v.contains(&token)))
    );
}

#[test]
fn an_apono_page_token_that_comes_back_is_an_error() {
    let h = Harness::new();
    h.connect(&["--keep-api-token"]).assert_code(0);
    h.sandbox.clear_exchanges();
    let page = json!({"items": [], "pagination": {"next_page_token": "again"}});
    h.sandbox.inject(
        Fault::new(
            Service::Apono,
            "GET",
            INTEGRATIONS,
            1,
            FaultAction::Respond {
                status: 200,
                body: page,
            },
        )
        .times(1000),
    );

    let run = status(&h);

    assert_stopped_unwritten(&h, &run, INTEGRATIONS, "the pagination loops");
    let reads = h
        .sandbox
        .exchanges()
        .into_iter()
        .filter(|e| e.service == Service::Apono && e.path == INTEGRATIONS)
        .count();
    assert_eq!(reads, 2, "the first page and the one its token names");
}
