//! The sandbox against the reference documents: a full run of the calls `connect` makes,
//! and the error answers of both services, sent over HTTP as `apono-okta` sends them.
//! Every exchange is checked by the shared validator in strict mode (2xx bodies may not
//! carry fields the document does not declare, but for the few listed in
//! [`UNDECLARED_ON_PURPOSE`]), and every answer's status is asserted, so the scenario
//! cannot drift onto a path nobody meant to check.
//!
//! The Apono sandbox has no 403 or 409 answers (its reference document declares no error
//! responses at all), so those two are covered on the Okta side only.

use apono_okta_sandbox::contract::Contract;
use apono_okta_sandbox::{APONO_PUBLIC_JWK, Fault, Sandbox, SandboxOptions, Service};
use reqwest::Method;
use serde_json::{Value, json};

/// Sends requests to a sandbox with the headers the validator checks: `User-Agent`,
/// `Accept`, the service's auth scheme, and `Content-Type` on JSON bodies.
/// What the real client sends (`apono_okta::http::USER_AGENT_VALUE` has this shape).
const USER_AGENT: &str = "apono-okta/0.1.0";

/// Okta's org metadata, the one operation that takes no token.
const ORG_METADATA: &str = "/.well-known/okta-organization";

struct Client<'a> {
    sandbox: &'a Sandbox,
    http: reqwest::Client,
}

impl<'a> Client<'a> {
    fn new(sandbox: &'a Sandbox) -> Client<'a> {
        Client {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    /// An Okta call as the super admin; panics unless it is answered `expected`.
    async fn okta(&self, method: Method, path: &str, body: Option<Value>, expected: u16) -> Value {
        let token = self.sandbox.super_admin_token();
        self.call(Service::Okta, &token, method, path, body, expected)
            .await
    }

    /// An Apono call with the sandbox's valid token.
    async fn apono(&self, method: Method, path: &str, body: Option<Value>, expected: u16) -> Value {
        let token = self.sandbox.apono_token();
        self.call(Service::Apono, &token, method, path, body, expected)
            .await
    }

    /// A call to either service with this token.
    async fn call(
        &self,
        service: Service,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        expected: u16,
    ) -> Value {
        let (base, scheme) = match service {
            Service::Okta => (self.sandbox.okta_url(), "SSWS"),
            Service::Apono => (self.sandbox.apono_url(), "Bearer"),
        };
        let url = format!("{base}{path}");
        self.send(
            url,
            Some(format!("{scheme} {token}")),
            method,
            body,
            expected,
        )
        .await
    }

    /// An Okta GET with no `Authorization` header, as the org metadata is read before
    /// the token may be sent.
    async fn okta_without_token(&self, path: &str, expected: u16) -> Value {
        let url = format!("{}{path}", self.sandbox.okta_url());
        self.send(url, None, Method::GET, None, expected).await
    }

    async fn send(
        &self,
        url: String,
        auth: Option<String>,
        method: Method,
        body: Option<Value>,
        expected: u16,
    ) -> Value {
        let what = format!("{method} {url}");
        let mut request = self
            .http
            .request(method, url)
            .header("user-agent", USER_AGENT)
            .header("accept", "application/json");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        if let Some(body) = body {
            // `.json` also sets `Content-Type: application/json`.
            request = request.json(&body);
        }
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        assert_eq!(status, expected, "{what}: {body}");
        body
    }
}

fn apono_jwk() -> Value {
    serde_json::from_str(APONO_PUBLIC_JWK).expect("APONO_PUBLIC_JWK is JSON")
}

/// The OpenID Connect service app of DESIGN §1, as the real client sends it.
fn service_app_body_with(label: &str, public_key: &Value) -> Value {
    apono_okta_sandbox::service_app_request(label, public_key)
}

fn service_app_body() -> Value {
    service_app_body_with("Apono Integration", &apono_jwk())
}

/// The create body of an Okta Directory integration.
fn okta_directory_body(sandbox: &Sandbox, name: &str, client_id: &str) -> Value {
    let mut body = update_body(sandbox, name, client_id);
    body["type"] = json!("okta-directory");
    body
}

/// The update body of an Okta Directory integration (the type cannot change).
fn update_body(sandbox: &Sandbox, name: &str, client_id: &str) -> Value {
    json!({
        "name": name,
        "integration_config": {"okta_domain": sandbox.okta_domain(), "client_id": client_id},
    })
}

/// A field the sandbox answers in a 2xx body that the reference document does not declare
/// there, on purpose. Anything else undeclared fails the test.
struct Undeclared {
    service: Service,
    method: &'static str,
    /// A part of the request path.
    path: &'static str,
    field: &'static str,
}

const UNDECLARED_ON_PURPOSE: &[Undeclared] = &[
    // Okta's `ApiToken` schema names its links `_link`; Okta answers `_links`.
    Undeclared {
        service: Service::Okta,
        method: "GET",
        path: "/api/v1/api-tokens",
        field: "_links",
    },
    // A key's lifecycle answers are documented as signing keys, whose schema lacks `use`;
    // Okta sends it, and the document declares it on every other key answer.
    Undeclared {
        service: Service::Okta,
        method: "POST",
        path: "/lifecycle/deactivate",
        field: "use",
    },
    // The v4 integration carries Apono's status message as `details` when there is one,
    // the v2 body's name for it (src/lib.rs, "Apono"). Not in the v4 schema.
    Undeclared {
        service: Service::Apono,
        method: "GET",
        path: "/api/admin/v4/integrations",
        field: "details",
    },
];

/// Every exchange so far agrees with the reference documents (strictly: no undeclared
/// fields in 2xx answers but those listed above), and the statuses listed were answered.
fn assert_contract(sandbox: &Sandbox, expected_statuses: &[(Service, u16)]) {
    let exchanges = sandbox.exchanges();
    for (service, status) in expected_statuses {
        assert!(
            exchanges
                .iter()
                .any(|e| e.service == *service && e.status == *status),
            "no {service:?} exchange answered {status}"
        );
    }
    let contract = Contract::get();
    contract.assert_all(&exchanges);
    let problems: Vec<String> = exchanges
        .iter()
        .flat_map(|e| {
            contract.check_strict(e).into_iter().filter(|problem| {
                !UNDECLARED_ON_PURPOSE.iter().any(|u| {
                    u.service == e.service
                        && u.method == e.method
                        && e.path.contains(u.path)
                        && problem.contains(&format!(": unknown field {:?}", u.field))
                })
            })
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A full run: preflight, create, converge, register, verify, retire, revoke.
#[tokio::test]
async fn a_full_run_agrees_with_the_reference_documents() {
    let sandbox = Sandbox::start(SandboxOptions::default()).unwrap();
    let c = Client::new(&sandbox);

    // Preflight: the org metadata first, with no token, then the token's reads.
    let org = c.okta_without_token(ORG_METADATA, 200).await;
    assert!(org["id"].as_str().unwrap().starts_with("00o"), "{org}");
    assert_eq!(org["_links"]["organization"]["href"], sandbox.okta_url());
    let me = c.okta(Method::GET, "/api/v1/users/me", None, 200).await;
    let me = me["id"].as_str().unwrap();
    c.okta(Method::GET, &format!("/api/v1/users/{me}/roles"), None, 200)
        .await;
    c.okta(
        Method::GET,
        "/api/v1/org/settings/clientPrivilegesSetting",
        None,
        200,
    )
    .await;
    c.okta(
        Method::GET,
        "/api/v1/apps?q=Apono%20Integration&includeNonDeleted=true",
        None,
        200,
    )
    .await;
    c.okta(Method::GET, "/api/v1/users?limit=2", None, 200)
        .await;
    c.okta(Method::GET, "/api/v1/groups", None, 200).await;
    c.okta(Method::GET, "/api/v1/api-tokens", None, 200).await;

    // The app, replaced with itself.
    let app = c
        .okta(Method::POST, "/api/v1/apps", Some(service_app_body()), 200)
        .await;
    let id = app["id"].as_str().unwrap().to_string();
    let app_path = format!("/api/v1/apps/{id}");
    let current = c.okta(Method::GET, &app_path, None, 200).await;
    c.okta(Method::PUT, &app_path, Some(current), 200).await;

    // Grants.
    let grants = format!("{app_path}/grants");
    c.okta(Method::GET, &grants, None, 200).await;
    for scope in ["okta.users.read", "okta.groups.read"] {
        let body = json!({"scopeId": scope, "issuer": sandbox.okta_url()});
        c.okta(Method::POST, &grants, Some(body), 201).await;
    }
    let listed = c.okta(Method::GET, &grants, None, 200).await;
    let grant = listed[0]["id"].as_str().unwrap();
    c.okta(Method::GET, &format!("{grants}/{grant}"), None, 200)
        .await;
    let wrong_issuer = json!({"scopeId": "okta.users.read", "issuer": "https://wrong.example.com"});
    c.okta(Method::POST, &grants, Some(wrong_issuer), 400).await;

    // The client's admin role; a second assignment is a duplicate.
    let roles = format!("/oauth2/v1/clients/{id}/roles");
    let read_only = json!({"type": "READ_ONLY_ADMIN"});
    c.okta(Method::GET, &roles, None, 200).await;
    let role = c
        .okta(Method::POST, &roles, Some(read_only.clone()), 200)
        .await;
    let role = role["id"].as_str().unwrap();
    c.okta(Method::GET, &format!("{roles}/{role}"), None, 200)
        .await;
    c.okta(Method::POST, &roles, Some(read_only), 409).await;

    // Keys: add a second, cycle it, delete it; the active first key cannot be deleted.
    let jwks = format!("{app_path}/credentials/jwks");
    let keys = c.okta(Method::GET, &jwks, None, 200).await;
    let first = keys[0]["id"].as_str().unwrap().to_string();
    c.okta(Method::GET, &format!("{jwks}/{first}"), None, 200)
        .await;
    let mut second = apono_jwk();
    second["kid"] = json!("second");
    let added = c.okta(Method::POST, &jwks, Some(second), 201).await;
    let added = format!("{jwks}/{}", added["id"].as_str().unwrap());
    for op in ["deactivate", "activate", "deactivate"] {
        c.okta(Method::POST, &format!("{added}/lifecycle/{op}"), None, 200)
            .await;
    }
    c.okta(Method::DELETE, &added, None, 204).await;
    c.okta(Method::DELETE, &format!("{jwks}/{first}"), None, 400)
        .await;

    // Apono: catalog, register, verify (Initializing, then Active), break, retire.
    c.apono(Method::GET, "/api/v2/integrations-catalog", None, 200)
        .await;
    c.apono(
        Method::GET,
        "/api/v2/integrations-catalog/okta-directory",
        None,
        200,
    )
    .await;
    c.apono(
        Method::GET,
        "/api/admin/v4/integrations?type=okta-directory",
        None,
        200,
    )
    .await;
    let body = okta_directory_body(&sandbox, "Okta", &id);
    let integration = c
        .apono(Method::POST, "/api/admin/v4/integrations", Some(body), 200)
        .await;
    let iid = integration["id"].as_str().unwrap().to_string();
    let integration_path = format!("/api/admin/v4/integrations/{iid}");
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let read = c.apono(Method::GET, &integration_path, None, 200).await;
        statuses.push(read["status"].clone());
    }
    assert_eq!(statuses, [json!("Initializing"), json!("Active")]);
    c.apono(
        Method::GET,
        &format!("/api/v2/integrations/{iid}"),
        None,
        200,
    )
    .await;
    let broken = update_body(&sandbox, "Okta", "0oamissing");
    c.apono(Method::PUT, &integration_path, Some(broken), 200)
        .await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let read = c.apono(Method::GET, &integration_path, None, 200).await;
        statuses.push(read["status"].clone());
    }
    assert_eq!(statuses, [json!("Initializing"), json!("Error")]);
    c.apono(Method::GET, "/api/admin/v4/integrations", None, 200)
        .await;
    c.apono(Method::DELETE, &integration_path, None, 204).await;

    // Okta: an active app cannot be deleted; deactivate, delete, revoke the token.
    c.okta(Method::DELETE, &app_path, None, 403).await;
    for op in ["deactivate", "activate", "deactivate"] {
        c.okta(
            Method::POST,
            &format!("{app_path}/lifecycle/{op}"),
            None,
            200,
        )
        .await;
    }
    c.okta(Method::DELETE, &app_path, None, 204).await;
    c.okta(Method::GET, &app_path, None, 404).await;
    c.okta(Method::DELETE, "/api/v1/api-tokens/current", None, 204)
        .await;
    c.okta(Method::GET, "/api/v1/users/me", None, 401).await;

    assert_eq!(
        sandbox.exchanges().len(),
        49,
        "every call of the run is recorded"
    );
    assert_contract(
        &sandbox,
        &[
            (Service::Okta, 200),
            (Service::Okta, 201),
            (Service::Okta, 204),
            (Service::Apono, 200),
            (Service::Apono, 204),
        ],
    );
}

/// The error answers of both services: 401, 403, 404, 409, 400 validation, and an
/// injected 429.
#[tokio::test]
async fn error_answers_agree_with_the_reference_documents() {
    let sandbox = Sandbox::start(SandboxOptions::default()).unwrap();
    let c = Client::new(&sandbox);

    // 429 from an injected rate-limit fault, then the call is served.
    sandbox.inject(Fault::rate_limit(
        Service::Okta,
        "GET",
        "/api/v1/users/me",
        1,
        30,
    ));
    sandbox.inject(Fault::rate_limit(
        Service::Apono,
        "GET",
        "/api/v2/integrations-catalog",
        1,
        30,
    ));
    c.okta(Method::GET, "/api/v1/users/me", None, 429).await;
    c.okta(Method::GET, "/api/v1/users/me", None, 200).await;
    // The org metadata's one documented error, and faults reach that route too.
    sandbox.inject(Fault::rate_limit(Service::Okta, "GET", ORG_METADATA, 1, 30));
    c.okta_without_token(ORG_METADATA, 429).await;
    c.okta_without_token(ORG_METADATA, 200).await;
    let not_found = json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found: /.well-known/okta-organization (Resource)", "errorLink": "E0000007", "errorId": "oae1", "errorCauses": []});
    sandbox.inject(Fault::respond(
        Service::Okta,
        "GET",
        ORG_METADATA,
        1,
        404,
        not_found,
    ));
    c.okta_without_token(ORG_METADATA, 404).await;
    c.apono(Method::GET, "/api/v2/integrations-catalog", None, 429)
        .await;
    c.apono(Method::GET, "/api/v2/integrations-catalog", None, 200)
        .await;

    // 401: a token neither service issued.
    c.call(
        Service::Okta,
        "00unknown",
        Method::GET,
        "/api/v1/users/me",
        None,
        401,
    )
    .await;
    c.call(
        Service::Apono,
        "unknown",
        Method::GET,
        "/api/admin/v4/integrations",
        None,
        401,
    )
    .await;

    // 403: a read-only admin may read but not write.
    let read_only = sandbox.read_only_admin_token();
    c.call(
        Service::Okta,
        &read_only,
        Method::GET,
        "/api/v1/apps",
        None,
        200,
    )
    .await;
    c.call(
        Service::Okta,
        &read_only,
        Method::POST,
        "/api/v1/apps",
        Some(service_app_body()),
        403,
    )
    .await;

    // 400: validation of an app and of a grant (bodies the schemas allow, which the
    // service refuses).
    let mut no_key = service_app_body();
    no_key["settings"]["oauthClient"]["jwks"] = json!({"keys": []});
    c.okta(Method::POST, "/api/v1/apps", Some(no_key), 400)
        .await;
    let app = c
        .okta(Method::POST, "/api/v1/apps", Some(service_app_body()), 200)
        .await;
    let id = app["id"].as_str().unwrap().to_string();
    let unknown_scope = json!({"scopeId": "okta.nothing.read", "issuer": sandbox.okta_url()});
    c.okta(
        Method::POST,
        &format!("/api/v1/apps/{id}/grants"),
        Some(unknown_scope),
        400,
    )
    .await;

    // 409: the same role twice.
    let roles = format!("/oauth2/v1/clients/{id}/roles");
    let role = json!({"type": "READ_ONLY_ADMIN"});
    c.okta(Method::POST, &roles, Some(role.clone()), 200).await;
    c.okta(Method::POST, &roles, Some(role), 409).await;

    // 404: an unknown app, key, grant and client.
    c.okta(Method::GET, "/api/v1/apps/0oaunknown", None, 404)
        .await;
    c.okta(
        Method::GET,
        &format!("/api/v1/apps/{id}/credentials/jwks/pksunknown"),
        None,
        404,
    )
    .await;
    c.okta(
        Method::GET,
        &format!("/api/v1/apps/{id}/grants/oagunknown"),
        None,
        404,
    )
    .await;
    c.okta(
        Method::GET,
        "/oauth2/v1/clients/0oaunknown/roles",
        None,
        404,
    )
    .await;

    // Apono 400: a missing required parameter, an unknown one, a duplicate name.
    let integrations = "/api/admin/v4/integrations";
    let mut missing_client = okta_directory_body(&sandbox, "Okta", &id);
    missing_client["integration_config"]
        .as_object_mut()
        .unwrap()
        .remove("client_id");
    c.apono(Method::POST, integrations, Some(missing_client), 400)
        .await;
    let mut unknown_param = okta_directory_body(&sandbox, "Okta", &id);
    unknown_param["integration_config"]["domain"] = json!(sandbox.okta_domain());
    c.apono(Method::POST, integrations, Some(unknown_param), 400)
        .await;
    let body = okta_directory_body(&sandbox, "Okta", &id);
    c.apono(Method::POST, integrations, Some(body.clone()), 200)
        .await;
    c.apono(Method::POST, integrations, Some(body), 400).await;

    // Apono 404: an unknown catalog entry and an unknown integration, on every route.
    let unknown = "00000000-0000-4000-8000-000000000000";
    c.apono(Method::GET, "/api/v2/integrations-catalog/nope", None, 404)
        .await;
    let unknown_path = format!("{integrations}/{unknown}");
    c.apono(Method::GET, &unknown_path, None, 404).await;
    let update = update_body(&sandbox, "Okta", &id);
    c.apono(Method::PUT, &unknown_path, Some(update), 404).await;
    c.apono(Method::DELETE, &unknown_path, None, 404).await;
    c.apono(
        Method::GET,
        &format!("/api/v2/integrations/{unknown}"),
        None,
        404,
    )
    .await;

    assert_contract(
        &sandbox,
        &[
            (Service::Okta, 400),
            (Service::Okta, 401),
            (Service::Okta, 403),
            (Service::Okta, 404),
            (Service::Okta, 409),
            (Service::Okta, 429),
            (Service::Apono, 400),
            (Service::Apono, 401),
            (Service::Apono, 404),
            (Service::Apono, 429),
        ],
    );
}
