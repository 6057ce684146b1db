//! Tests of the sandbox through its own HTTP servers: tokens and permissions, apps and
//! their lifecycle, keys, grants, client roles, pagination, fault injection, and Apono's
//! catalog and status evaluation. That every exchange agrees with the reference
//! documents is checked in this crate's `tests/sandbox_contract.rs`.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::*;

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn links(&self) -> Vec<String> {
        self.headers
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }
    fn next_link(&self) -> Option<String> {
        self.links().into_iter().find_map(|l| {
            l.ends_with("rel=\"next\"")
                .then(|| l[1..l.find('>').unwrap_or(1)].to_string())
        })
    }
}

async fn call(url: &str, auth: Option<String>, method: Method, body: Option<Value>) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client
        .request(method, url)
        .header("accept", "application/json")
        .header("user-agent", "apono-okta/test");
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("request failed");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

async fn okta(
    sb: &Sandbox,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    call(
        &format!("{}{path}", sb.okta_url()),
        Some(format!("SSWS {token}")),
        method,
        body,
    )
    .await
}

/// An Okta call as the super admin.
async fn admin(sb: &Sandbox, method: Method, path: &str, body: Option<Value>) -> Answer {
    okta(sb, &sb.super_admin_token(), method, path, body).await
}

async fn apono(sb: &Sandbox, method: Method, path: &str, body: Option<Value>) -> Answer {
    call(
        &format!("{}{path}", sb.apono_url()),
        Some(format!("Bearer {}", sb.apono_token())),
        method,
        body,
    )
    .await
}

/// A sandbox with the default options but what `configure` changes.
fn start(configure: impl FnOnce(&mut SandboxOptions)) -> Sandbox {
    let mut options = SandboxOptions::default();
    configure(&mut options);
    Sandbox::start(options).unwrap()
}

fn apono_jwk() -> Value {
    serde_json::from_str(APONO_PUBLIC_JWK).unwrap()
}

/// The OpenID Connect service app of DESIGN §1, as the real client sends it.
fn service_app_body_with(label: &str, public_key: &Value) -> Value {
    crate::service_app_request(label, public_key)
}

/// The body the real client sends (DESIGN §1).
fn service_app_body(label: &str) -> Value {
    service_app_body_with(label, &apono_jwk())
}

async fn create_app(sb: &Sandbox, label: &str) -> Value {
    let a = admin(
        sb,
        Method::POST,
        "/api/v1/apps",
        Some(service_app_body(label)),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

async fn grant(sb: &Sandbox, app_id: &str, scope: &str) -> Answer {
    admin(
        sb,
        Method::POST,
        &format!("/api/v1/apps/{app_id}/grants"),
        Some(json!({"scopeId": scope, "issuer": sb.okta_url()})),
    )
    .await
}

async fn assign_role(sb: &Sandbox, client_id: &str, role: &str) -> Answer {
    admin(
        sb,
        Method::POST,
        &format!("/oauth2/v1/clients/{client_id}/roles"),
        Some(json!({"type": role})),
    )
    .await
}

fn assert_okta_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["errorCode"], code, "{}", a.body);
    assert_eq!(a.body["errorLink"], code);
    assert!(a.body["errorSummary"].is_string());
    assert!(a.body["errorId"].as_str().unwrap().starts_with("oae"));
    assert!(a.body["errorCauses"].is_array());
}

/// `value` is a string containing `part`.
fn assert_contains(value: &Value, part: &str) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    assert!(text.contains(part), "{text:?} does not contain {part:?}");
}

fn assert_okta_headers(a: &Answer) {
    for h in [
        "x-okta-request-id",
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
        "date",
    ] {
        assert!(a.header(h).is_some(), "missing {h}");
    }
    assert!(
        a.header("x-rate-limit-reset")
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
}

#[tokio::test]
async fn okta_rejects_missing_unknown_and_revoked_tokens() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let none = call(
        &format!("{}/api/v1/users/me", sb.okta_url()),
        None,
        Method::GET,
        None,
    )
    .await;
    assert_okta_error(&none, 401, "E0000011");
    assert_eq!(none.body["errorSummary"], "Invalid token provided");
    assert_eq!(none.body["errorCauses"], json!([]));
    assert_okta_headers(&none);
    assert_eq!(none.header("content-type"), Some("application/json"));

    let unknown = okta(&sb, "00nope", Method::GET, "/api/v1/users/me", None).await;
    assert_okta_error(&unknown, 401, "E0000011");

    let token = sb.super_admin_token();
    assert!(token.starts_with("00") && token.len() == 42);
    let me = admin(&sb, Method::GET, "/api/v1/users/me", None).await;
    assert_eq!(me.status, 200);
    assert_okta_headers(&me);
    let id = me.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("00u"));
    let roles = admin(&sb, Method::GET, &format!("/api/v1/users/{id}/roles"), None).await;
    assert_eq!(roles.status, 200);
    assert_eq!(roles.body[0]["type"], "SUPER_ADMIN");
    assert_eq!(roles.body[0]["assignmentType"], "USER");

    let revoke = admin(&sb, Method::DELETE, "/api/v1/api-tokens/current", None).await;
    assert_eq!(revoke.status, 204);
    let after = admin(&sb, Method::GET, "/api/v1/users/me", None).await;
    assert_okta_error(&after, 401, "E0000011");
    let snap = sb.snapshot();
    let record = snap.okta.api_token(&token).unwrap();
    assert!(record.revoked);
    assert!(
        !snap
            .okta
            .api_token(&sb.read_only_admin_token())
            .unwrap()
            .revoked
    );
}

#[tokio::test]
async fn read_only_admin_reads_but_cannot_write() {
    let sb = start(|o| o.client_privileges_setting = true);
    let ro = sb.read_only_admin_token();
    let me = okta(&sb, &ro, Method::GET, "/api/v1/users/me", None).await;
    let roles = okta(
        &sb,
        &ro,
        Method::GET,
        &format!("/api/v1/users/{}/roles", me.body["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(roles.body.as_array().unwrap().len(), 1);
    assert_eq!(roles.body[0]["type"], "READ_ONLY_ADMIN");
    let setting = okta(
        &sb,
        &ro,
        Method::GET,
        "/api/v1/org/settings/clientPrivilegesSetting",
        None,
    )
    .await;
    assert_eq!(setting.body, json!({"clientPrivilegesSetting": true}));
    let create = okta(
        &sb,
        &ro,
        Method::POST,
        "/api/v1/apps",
        Some(service_app_body("x")),
    )
    .await;
    assert_okta_error(&create, 403, "E0000006");
    assert_eq!(
        create.body["errorSummary"],
        "You do not have permission to perform the requested action"
    );
    let app = create_app(&sb, "Apono Integration").await;
    let id = app["id"].as_str().unwrap();
    let g = okta(
        &sb,
        &ro,
        Method::POST,
        &format!("/api/v1/apps/{id}/grants"),
        Some(json!({"scopeId": "okta.users.read", "issuer": sb.okta_url()})),
    )
    .await;
    assert_okta_error(&g, 403, "E0000006");
    let r = okta(
        &sb,
        &ro,
        Method::POST,
        &format!("/oauth2/v1/clients/{id}/roles"),
        Some(json!({"type": "READ_ONLY_ADMIN"})),
    )
    .await;
    assert_okta_error(&r, 403, "E0000006");
    assert!(sb.snapshot().okta.app(id).unwrap().grants.is_empty());
}

#[tokio::test]
async fn app_create_answers_the_full_app() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let app = create_app(&sb, "Apono Integration").await;
    let id = app["id"].as_str().unwrap();
    assert!(id.starts_with("0oa") && id.len() == 20);
    assert_eq!(app["status"], "ACTIVE");
    assert_eq!(app["credentials"]["oauthClient"]["client_id"], id);
    assert_eq!(
        app["credentials"]["oauthClient"]["token_endpoint_auth_method"],
        "private_key_jwt"
    );
    assert!(app["created"].as_str().unwrap().ends_with('Z'));
    assert!(app["_links"]["deactivate"]["href"].is_string());
    let key = &app["settings"]["oauthClient"]["jwks"]["keys"][0];
    assert!(key["id"].as_str().unwrap().starts_with("pks"));
    assert_eq!(key["status"], "ACTIVE");
    assert_eq!(key["kid"], apono_jwk()["kid"]);
    assert_eq!(key["n"], apono_jwk()["n"]);

    let got = admin(&sb, Method::GET, &format!("/api/v1/apps/{id}"), None).await;
    assert_eq!(got.body, app);
    let snap = sb.snapshot();
    let stored = snap.okta.app(id).unwrap();
    assert_eq!(stored.label, "Apono Integration");
    assert_eq!(stored.keys[0].status, "ACTIVE");
    assert_eq!(stored.json, app);

    // private_key_jwt without a key, and a chosen client id.
    let mut body = service_app_body("No key");
    body["settings"]["oauthClient"]["jwks"] = json!({"keys": []});
    let bad = admin(&sb, Method::POST, "/api/v1/apps", Some(body)).await;
    assert_okta_error(&bad, 400, "E0000001");
    assert!(!bad.body["errorCauses"].as_array().unwrap().is_empty());
    let mut body = service_app_body("Chosen");
    body["credentials"]["oauthClient"]["client_id"] = json!("my-client-id");
    let chosen = admin(&sb, Method::POST, "/api/v1/apps?activate=false", Some(body)).await;
    assert_eq!(chosen.status, 200);
    assert_eq!(
        chosen.body["credentials"]["oauthClient"]["client_id"],
        "my-client-id"
    );
    assert_eq!(chosen.body["status"], "INACTIVE");
}

#[tokio::test]
async fn app_list_filters_by_prefix_and_paginates_with_link_headers() {
    let sb = start(|o| o.page_size = 1);
    let token = sb.super_admin_token();
    let a = create_app(&sb, "Apono Integration").await;
    let b = create_app(&sb, "apono integration 2").await;
    create_app(&sb, "Something else").await;
    let inactive = create_app(&sb, "Apono Integration").await;
    let inactive_id = inactive["id"].as_str().unwrap();
    admin(
        &sb,
        Method::POST,
        &format!("/api/v1/apps/{inactive_id}/lifecycle/deactivate"),
        None,
    )
    .await;

    let mut url = format!("{}/api/v1/apps?q=Apono%20Integration", sb.okta_url());
    let mut seen = Vec::new();
    loop {
        let page = call(&url, Some(format!("SSWS {token}")), Method::GET, None).await;
        assert_eq!(page.status, 200);
        assert!(page.links().iter().any(|l| l.ends_with("rel=\"self\"")));
        for app in page.body.as_array().unwrap() {
            seen.push(app["id"].as_str().unwrap().to_string());
        }
        match page.next_link() {
            Some(next) => {
                assert!(next.contains("q=Apono"), "{next}");
                assert!(next.contains("limit=1"), "{next}");
                url = next;
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![a["id"].as_str().unwrap(), b["id"].as_str().unwrap()]
    );

    let all = admin(
        &sb,
        Method::GET,
        "/api/v1/apps?q=apono&includeNonDeleted=true&limit=10",
        None,
    )
    .await;
    assert_eq!(all.body.as_array().unwrap().len(), 3);
    assert_eq!(all.links().len(), 1, "no next link on the last page");
    let oidc = admin(&sb, Method::GET, "/api/v1/apps?q=oidc&limit=10", None).await;
    assert_eq!(
        oidc.body.as_array().unwrap().len(),
        3,
        "q also matches the name"
    );

    let users = admin(&sb, Method::GET, "/api/v1/users", None).await;
    assert_eq!(users.body.as_array().unwrap().len(), 1);
    assert!(users.next_link().is_some());
    let groups = admin(&sb, Method::GET, "/api/v1/groups?limit=50", None).await;
    assert_eq!(groups.body.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn active_apps_cannot_be_deleted() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let app = create_app(&sb, "Apono Integration").await;
    let path = format!("/api/v1/apps/{}", app["id"].as_str().unwrap());
    let refused = admin(&sb, Method::DELETE, &path, None).await;
    assert_okta_error(&refused, 403, "E0000056");
    assert_eq!(sb.snapshot().okta.apps.len(), 1);
    let deact = admin(
        &sb,
        Method::POST,
        &format!("{path}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_eq!((deact.status, deact.body.clone()), (200, json!({})));
    assert_eq!(sb.snapshot().okta.apps[0].status, "INACTIVE");
    let deleted = admin(&sb, Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.headers.get("content-type").is_none());
    let gone = admin(&sb, Method::GET, &path, None).await;
    assert_okta_error(&gone, 404, "E0000007");
    assert!(
        gone.body["errorSummary"]
            .as_str()
            .unwrap()
            .contains("(AppInstance)")
    );
    let nowhere = admin(&sb, Method::GET, "/api/v1/nowhere", None).await;
    assert_okta_error(&nowhere, 404, "E0000007");
    let wrong = admin(&sb, Method::PATCH, "/api/v1/apps", None).await;
    assert_okta_error(&wrong, 405, "E0000022");
}

#[tokio::test]
async fn grants_check_issuer_scope_and_duplicates() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let app = create_app(&sb, "Apono Integration").await;
    let id = app["id"].as_str().unwrap();
    let path = format!("/api/v1/apps/{id}/grants");
    let slash = admin(
        &sb,
        Method::POST,
        &path,
        Some(json!({"scopeId": "okta.users.read", "issuer": format!("{}/", sb.okta_url())})),
    )
    .await;
    assert_okta_error(&slash, 400, "E0000001");
    assert!(!slash.body["errorCauses"].as_array().unwrap().is_empty());
    let unknown = grant(&sb, id, "okta.nothing.read").await;
    assert_okta_error(&unknown, 400, "E0000001");

    let ok = grant(&sb, id, "okta.users.read").await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert!(ok.body["id"].as_str().unwrap().starts_with("oag"));
    assert_eq!(ok.body["scopeId"], "okta.users.read");
    assert_eq!(ok.body["issuer"], sb.okta_url());
    assert_eq!(ok.body["clientId"], id);
    assert_eq!(ok.body["status"], "ACTIVE");
    assert_eq!(ok.body["source"], "ADMIN");
    let dup = grant(&sb, id, "okta.users.read").await;
    assert_okta_error(&dup, 400, "E0000001");

    let list = admin(&sb, Method::GET, &path, None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let gid = ok.body["id"].as_str().unwrap();
    let one = admin(&sb, Method::GET, &format!("{path}/{gid}"), None).await;
    assert_eq!(one.body["id"], gid);
    let del = admin(&sb, Method::DELETE, &format!("{path}/{gid}"), None).await;
    assert_eq!(del.status, 204);
    assert!(sb.snapshot().okta.apps[0].grants.is_empty());
}

#[tokio::test]
async fn client_roles_refuse_duplicates() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let app = create_app(&sb, "Apono Integration").await;
    let client = app["credentials"]["oauthClient"]["client_id"]
        .as_str()
        .unwrap();
    let first = assign_role(&sb, client, "READ_ONLY_ADMIN").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body["id"].as_str().unwrap().starts_with("irb"));
    assert_eq!(first.body["type"], "READ_ONLY_ADMIN");
    assert_eq!(first.body["status"], "ACTIVE");
    assert_eq!(first.body["assignmentType"], "CLIENT");
    assert!(first.body["label"].is_string());
    let dup = assign_role(&sb, client, "READ_ONLY_ADMIN").await;
    assert_okta_error(&dup, 409, "E0000090");
    let bad = assign_role(&sb, client, "NOT_A_ROLE").await;
    assert_okta_error(&bad, 400, "E0000001");
    let nobody = assign_role(&sb, "0oanobody", "READ_ONLY_ADMIN").await;
    assert_okta_error(&nobody, 404, "E0000007");
    let list = admin(
        &sb,
        Method::GET,
        &format!("/oauth2/v1/clients/{client}/roles"),
        None,
    )
    .await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let snap = sb.snapshot();
    assert_eq!(snap.okta.apps[0].roles[0].role_type, "READ_ONLY_ADMIN");
    let rid = first.body["id"].as_str().unwrap();
    let del = admin(
        &sb,
        Method::DELETE,
        &format!("/oauth2/v1/clients/{client}/roles/{rid}"),
        None,
    )
    .await;
    assert_eq!(del.status, 204);
}

#[tokio::test]
async fn jwks_lifecycle_rules() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let app = create_app(&sb, "Apono Integration").await;
    let id = app["id"].as_str().unwrap();
    let first = app["settings"]["oauthClient"]["jwks"]["keys"][0]["id"]
        .as_str()
        .unwrap();
    let jwks = format!("/api/v1/apps/{id}/credentials/jwks");
    let list = admin(&sb, Method::GET, &jwks, None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);

    let only = admin(
        &sb,
        Method::POST,
        &format!("{jwks}/{first}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_okta_error(&only, 400, "E0000001");
    let active = admin(&sb, Method::DELETE, &format!("{jwks}/{first}"), None).await;
    assert_okta_error(&active, 400, "E0000001");

    let mut second = apono_jwk();
    second["kid"] = json!("second-key");
    second.as_object_mut().unwrap().remove("use");
    let no_use = admin(&sb, Method::POST, &jwks, Some(second.clone())).await;
    assert_okta_error(&no_use, 400, "E0000001");
    second["use"] = json!("sig");
    let added = admin(&sb, Method::POST, &jwks, Some(second)).await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert!(added.body["id"].as_str().unwrap().starts_with("pks"));

    let deact = admin(
        &sb,
        Method::POST,
        &format!("{jwks}/{first}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_eq!(deact.status, 200);
    assert_eq!(deact.body["status"], "INACTIVE");
    let del = admin(&sb, Method::DELETE, &format!("{jwks}/{first}"), None).await;
    assert_eq!(del.status, 204);
    let snap = sb.snapshot();
    assert_eq!(snap.okta.apps[0].keys.len(), 1);
    assert_eq!(snap.okta.apps[0].keys[0].jwk["kid"], "second-key");
    assert_eq!(
        snap.okta.apps[0].json["settings"]["oauthClient"]["jwks"]["keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn respond_fault_answers_instead_of_the_handler() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    sb.inject(Fault::respond(
        Service::Okta,
        "POST",
        "/api/v1/apps",
        2,
        500,
        json!({"errorCode": "E0000009", "errorSummary": "Internal Server Error"}),
    ));
    create_app(&sb, "first").await;
    let faulted = admin(
        &sb,
        Method::POST,
        "/api/v1/apps",
        Some(service_app_body("second")),
    )
    .await;
    assert_eq!(faulted.status, 500);
    assert_eq!(faulted.body["errorCode"], "E0000009");
    assert_okta_headers(&faulted);
    assert_eq!(sb.snapshot().okta.apps.len(), 1, "the handler did not run");
    create_app(&sb, "third").await;
    assert_eq!(sb.snapshot().okta.apps.len(), 2);
    let ex = sb.exchanges();
    let posts: Vec<u16> = ex
        .iter()
        .filter(|e| e.method == "POST")
        .map(|e| e.status)
        .collect();
    assert_eq!(posts, vec![200, 500, 200]);
    assert_eq!(ex[1].service, Service::Okta);
    assert_eq!(ex[1].request_body.as_ref().unwrap()["label"], "second");
    assert_eq!(ex[1].request_header("user-agent"), Some("apono-okta/test"));
}

#[tokio::test]
async fn delay_fault_still_runs_the_handler() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    sb.inject(Fault::delay(
        Service::Okta,
        "POST",
        "/api/v1/apps/*/grants",
        1,
        Duration::from_millis(50),
    ));
    sb.set_latency(Duration::from_millis(5));
    let app = create_app(&sb, "Apono Integration").await;
    let g = grant(&sb, app["id"].as_str().unwrap(), "okta.groups.read").await;
    assert_eq!(g.status, 201);
    assert!(sb.snapshot().okta.apps[0].has_grant("okta.groups.read"));
    sb.set_latency(Duration::ZERO);
}

#[tokio::test]
async fn drop_fault_closes_the_connection() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    sb.inject(Fault::drop_connection(
        Service::Okta,
        "POST",
        "/api/v1/apps",
        1,
    ));
    let client = reqwest::Client::new();
    let result = client
        .post(format!("{}/api/v1/apps", sb.okta_url()))
        .header("authorization", format!("SSWS {}", sb.super_admin_token()))
        .json(&service_app_body("dropped"))
        .send()
        .await;
    assert!(
        result.is_err(),
        "expected a connection error, got {result:?}"
    );
    assert!(sb.snapshot().okta.apps.is_empty());
    let ex = sb.exchanges();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].status, 0);
    assert!(ex[0].response_body.is_none());
    // The next call is served normally.
    create_app(&sb, "after").await;
}

#[tokio::test]
async fn rate_limit_fault_answers_429_with_reset() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    sb.inject(Fault::rate_limit(Service::Okta, "GET", "/api/v1/users/me", 1, 7).times(2));
    let before = util::epoch_secs();
    let limited = admin(&sb, Method::GET, "/api/v1/users/me", None).await;
    let after = util::epoch_secs();
    assert_okta_error(&limited, 429, "E0000047");
    assert_okta_headers(&limited);
    assert_eq!(limited.header("x-rate-limit-remaining"), Some("0"));
    let reset: u64 = limited
        .header("x-rate-limit-reset")
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset >= before + 7 && reset <= after + 7);
    let date = httpdate::parse_http_date(limited.header("date").unwrap()).unwrap();
    let date = date
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reset >= date + 6);
    let again = admin(&sb, Method::GET, "/api/v1/users/me", None).await;
    assert_eq!(again.status, 429);
    let ok = admin(&sb, Method::GET, "/api/v1/users/me", None).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn apono_auth_and_catalog() {
    let sb = start(|o| o.page_size = 1);
    let denied = call(
        &format!("{}/api/v2/integrations-catalog", sb.apono_url()),
        Some("Bearer wrong".into()),
        Method::GET,
        None,
    )
    .await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.body["error_code"], "UNAUTHORIZED");
    assert!(denied.body["error_details"].is_string());

    let first = apono(&sb, Method::GET, "/api/v2/integrations-catalog", None).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["data"].as_array().unwrap().len(), 1);
    let total = first.body["pagination"]["total"].as_u64().unwrap();
    assert!(total >= 5);
    let mut names = Vec::new();
    for offset in 0..total {
        let page = apono(
            &sb,
            Method::GET,
            &format!("/api/v2/integrations-catalog?offset={offset}"),
            None,
        )
        .await;
        assert_eq!(page.body["pagination"]["offset"], offset);
        names.push(page.body["data"][0]["name"].as_str().unwrap().to_string());
    }
    assert!(names.iter().any(|n| n == "Okta Directory"));
    let entry = apono(
        &sb,
        Method::GET,
        "/api/v2/integrations-catalog/okta-directory",
        None,
    )
    .await;
    assert_eq!(entry.body["name"], "Okta Directory");
    assert_eq!(entry.body["requires_secret"], false);
    let params = entry.body["params"].as_array().unwrap();
    assert_eq!(params[0]["id"], "okta_domain");
    assert_eq!(params[1]["id"], "client_id");
    assert_eq!(params[2]["optional"], true);
    let missing = apono(&sb, Method::GET, "/api/v2/integrations-catalog/nope", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error_code"], "NOT_FOUND");
}

/// Builds a complete Okta side through the API; `scopes` are the grants to add.
async fn okta_side(sb: &Sandbox, scopes: &[&str], role: bool) -> String {
    let app = create_app(sb, "Apono Integration").await;
    let id = app["id"].as_str().unwrap().to_string();
    for s in scopes {
        assert_eq!(grant(sb, &id, s).await.status, 201);
    }
    if role {
        assert_eq!(assign_role(sb, &id, "READ_ONLY_ADMIN").await.status, 200);
    }
    id
}

/// Creates an integration of type `integration_type` with this config.
async fn post_integration(
    sb: &Sandbox,
    name: &str,
    integration_type: &str,
    config: Value,
) -> Answer {
    let body = json!({"name": name, "type": integration_type, "integration_config": config});
    apono(sb, Method::POST, "/api/admin/v4/integrations", Some(body)).await
}

/// Creates an Okta Directory integration of this sandbox's Okta for this client.
async fn create_integration(sb: &Sandbox, name: &str, client_id: &str) -> Answer {
    let config = json!({"okta_domain": sb.okta_domain(), "client_id": client_id});
    post_integration(sb, name, "okta-directory", config).await
}

/// The v4 path of the integration a create answered.
fn integration_path(created: &Answer) -> String {
    let id = created.body["id"].as_str().unwrap();
    format!("/api/admin/v4/integrations/{id}")
}

#[tokio::test]
async fn integration_settles_active_when_okta_is_right() {
    let sb = start(|o| o.polls_until_settled = 2);
    let client = okta_side(&sb, &["okta.users.read", "okta.groups.read"], true).await;
    let no_client = json!({"okta_domain": sb.okta_domain()});
    let bad = post_integration(&sb, "okta", "okta-directory", no_client).await;
    assert_eq!(bad.status, 400);
    assert_contains(&bad.body["error_details"], "client_id");
    let unknown = post_integration(&sb, "x", "nope", json!({})).await;
    assert_eq!(unknown.status, 400);

    let created = create_integration(&sb, "Okta", &client).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["status"], "Initializing");
    assert_eq!(created.body["type"], "okta-directory");
    assert!(created.body["category"].is_string());
    assert!(created.body["last_sync_time"].is_null());
    let path = integration_path(&created);
    for _ in 0..2 {
        let poll = apono(&sb, Method::GET, &path, None).await;
        assert_eq!(poll.body["status"], "Initializing");
    }
    let settled = apono(&sb, Method::GET, &path, None).await;
    assert_eq!(settled.body["status"], "Active", "{}", settled.body);
    assert!(settled.body["last_sync_time"].is_string());
    assert!(settled.body.get("details").is_none());

    let list = apono(
        &sb,
        Method::GET,
        "/api/admin/v4/integrations?type=okta-directory",
        None,
    )
    .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert!(list.body["pagination"]["next_page_token"].is_null());
    let none = apono(
        &sb,
        Method::GET,
        "/api/admin/v4/integrations?type=aws*",
        None,
    )
    .await;
    assert!(none.body["items"].as_array().unwrap().is_empty());

    // Updating resets the status; pointing at a missing app settles on Error.
    let updated = apono(
        &sb,
        Method::PUT,
        &path,
        Some(json!({"name": "Okta", "integration_config": {"okta_domain": sb.okta_domain(), "client_id": "0oamissing"}})),
    )
    .await;
    assert_eq!(updated.body["status"], "Initializing");
    sb.with_state(|s| s.apono.integrations[0].polls = 2);
    let err = apono(&sb, Method::GET, &path, None).await;
    assert_eq!(err.body["status"], "Error");
    assert_contains(&err.body["details"], "0oamissing");
    let deleted = apono(&sb, Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(apono(&sb, Method::GET, &path, None).await.status, 404);
}

#[tokio::test]
async fn integration_errors_when_a_grant_is_missing() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let client = okta_side(&sb, &["okta.users.read"], true).await;
    let created = create_integration(&sb, "Okta", &client).await;
    let path = integration_path(&created);
    assert_eq!(
        apono(&sb, Method::GET, &path, None).await.body["status"],
        "Initializing"
    );
    let settled = apono(&sb, Method::GET, &path, None).await;
    assert_eq!(settled.body["status"], "Error");
    let details = settled.body["details"].as_str().unwrap();
    assert!(details.contains("okta.groups.read"), "{details}");
    assert!(!details.contains("okta.users.read"), "{details}");
    let snap = sb.snapshot();
    assert_eq!(snap.apono.integrations[0].status, "Error");
    assert_eq!(snap.apono.integrations[0].details.as_deref(), Some(details));
    let v2 = apono(
        &sb,
        Method::GET,
        &format!("/api/v2/integrations/{}", snap.apono.integrations[0].id),
        None,
    )
    .await;
    assert_eq!(v2.body["details"], details);
}

#[tokio::test]
async fn integration_errors_without_an_admin_role() {
    let sb = start(|o| o.polls_until_settled = 0);
    let client = okta_side(&sb, &["okta.users.read", "okta.groups.read"], false).await;
    let created = create_integration(&sb, "Okta", &client).await;
    let path = integration_path(&created);
    let settled = apono(&sb, Method::GET, &path, None).await;
    assert_eq!(settled.body["status"], "Error");
    assert_contains(&settled.body["details"], "E0000006");
}

#[tokio::test]
async fn seeded_state_is_served() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let id = sb.with_state(|s| {
        let id = s
            .okta
            .seed_service_app("Apono Integration", &[apono_jwk()], false);
        s.okta.seed_grant(&id, "okta.users.read");
        s.okta.seed_role(&id, "READ_ONLY_ADMIN");
        s.apono.seed_integration(
            "Okta",
            "okta-directory",
            json!({"okta_domain": s.okta.domain, "client_id": id}),
        );
        id
    });
    let listed = admin(&sb, Method::GET, "/api/v1/apps?q=Apono", None).await;
    assert!(
        listed.body.as_array().unwrap().is_empty(),
        "inactive apps are hidden"
    );
    let got = admin(&sb, Method::GET, &format!("/api/v1/apps/{id}"), None).await;
    assert_eq!(got.body["status"], "INACTIVE");
    assert_eq!(
        got.body["settings"]["oauthClient"]["jwks"]["keys"][0]["status"],
        "ACTIVE"
    );
    let list = apono(&sb, Method::GET, "/api/admin/v4/integrations", None).await;
    assert_eq!(list.body["items"][0]["integration_config"]["client_id"], id);
}

#[test]
fn works_from_a_plain_test_and_shuts_down_on_drop() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let url = sb.okta_url();
    assert!(url.starts_with("http://127.0.0.1:"));
    assert_eq!(url, format!("http://{}", sb.okta_domain()));
    assert_ne!(sb.okta_url(), sb.apono_url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        admin(&sb, Method::GET, "/api/v1/users/me", None)
            .await
            .status
    });
    assert_eq!(status, 200);
    let addr = sb.okta_domain();
    drop(sb);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn sandbox_handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sandbox>();
    assert_send_sync::<Snapshot>();
    assert_send_sync::<Fault>();
}

#[tokio::test]
async fn replace_app_keeps_key_ids_and_status() {
    let sb = Sandbox::start(SandboxOptions::default()).unwrap();
    let app = create_app(&sb, "Apono Integration").await;
    let id = app["id"].as_str().unwrap();
    let key_id = app["settings"]["oauthClient"]["jwks"]["keys"][0]["id"].clone();
    let mut body = app.clone();
    body["label"] = json!("Apono Integration (renamed)");
    let put = admin(
        &sb,
        Method::PUT,
        &format!("/api/v1/apps/{id}"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["label"], "Apono Integration (renamed)");
    assert_eq!(put.body["status"], "ACTIVE");
    assert_eq!(
        put.body["settings"]["oauthClient"]["jwks"]["keys"][0]["id"],
        key_id
    );
    assert_eq!(put.body["credentials"]["oauthClient"]["client_id"], id);
    body["credentials"]["oauthClient"]["client_id"] = json!("another-client");
    let changed = admin(&sb, Method::PUT, &format!("/api/v1/apps/{id}"), Some(body)).await;
    assert_okta_error(&changed, 400, "E0000001");
    assert_eq!(
        sb.snapshot().okta.apps[0].label,
        "Apono Integration (renamed)"
    );
}

#[tokio::test]
async fn integration_errors_on_a_domain_with_a_scheme() {
    let sb = start(|o| o.polls_until_settled = 0);
    let client = okta_side(&sb, &["okta.users.read", "okta.groups.read"], true).await;
    let with_scheme = json!({"okta_domain": sb.okta_url(), "client_id": client});
    let created = post_integration(&sb, "Okta", "okta-directory", with_scheme).await;
    let path = integration_path(&created);
    let settled = apono(&sb, Method::GET, &path, None).await;
    assert_eq!(settled.body["status"], "Error");
    assert_contains(&settled.body["details"], "without scheme");
    let unknown_key =
        json!({"domain": sb.okta_domain(), "okta_domain": sb.okta_domain(), "client_id": client});
    let unknown_key = post_integration(&sb, "Okta 2", "okta-directory", unknown_key).await;
    assert_eq!(unknown_key.status, 400);
    assert_contains(&unknown_key.body["error_details"], "'domain'");
}

#[tokio::test]
async fn with_an_activation_time_an_integration_settles_after_it_whatever_the_reads() {
    let sb = start(|o| {
        o.polls_until_settled = 0;
        o.activation = Some(Duration::from_millis(300));
    });
    let client = okta_side(&sb, &["okta.users.read", "okta.groups.read"], true).await;
    let created = create_integration(&sb, "Okta", &client).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let path = integration_path(&created);
    for _ in 0..3 {
        let poll = apono(&sb, Method::GET, &path, None).await;
        assert_eq!(poll.body["status"], "Initializing");
    }
    tokio::time::sleep(Duration::from_millis(350)).await;
    let settled = apono(&sb, Method::GET, &path, None).await;
    assert_eq!(settled.body["status"], "Active", "{}", settled.body);
    // The log has when each exchange started and finished, in order.
    let timed = sb.timed_exchanges();
    assert_eq!(timed.len(), sb.exchanges().len());
    let last = &timed[timed.len() - 1];
    let before = &timed[timed.len() - 2];
    assert!(last.timing.started >= before.timing.finished + Duration::from_millis(300));
    assert!(!last.timing.overlaps(&before.timing));
}
