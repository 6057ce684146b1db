//! Tests of the contract checker itself: golden cases, a few per kind of check, each
//! passing what the reference documents allow or failing with a message that names the
//! offending JSON pointer; then Okta's own examples, with the list of those upstream gets
//! wrong.

use apono_okta_sandbox::APONO_PUBLIC_JWK;
use apono_okta_sandbox::contract::Contract;
use apono_okta_sandbox::record::{Exchange, Service};
use serde_json::{Value, json};

const ORG: &str = "https://example.okta.com";
const APP: &str = "/api/v1/apps/0oa1abcdefGHIJKLM5d7";
const JWKS: &str = "/api/v1/apps/0oa1abcdefGHIJKLM5d7/credentials/jwks";
const GRANTS: &str = "/api/v1/apps/0oa1abcdefGHIJKLM5d7/grants";
const CLIENT_ROLES: &str = "/oauth2/v1/clients/0oa1abcdefGHIJKLM5d7/roles";
const INTEGRATIONS: &str = "/api/admin/v4/integrations";
const INTEGRATION: &str = "/api/admin/v4/integrations/int-123";
const TIME: &str = "2026-01-02T03:04:05.000Z";

fn apono_jwk() -> Value {
    serde_json::from_str(APONO_PUBLIC_JWK).expect("APONO_PUBLIC_JWK is JSON")
}

/// The service-app create body of DESIGN §1.
fn oidc_app_body() -> Value {
    json!({
        "name": "oidc_client",
        "label": "Apono Integration",
        "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
        "settings": {"oauthClient": {
            "application_type": "service",
            "grant_types": ["client_credentials"],
            "response_types": ["token"],
            "jwks": {"keys": [apono_jwk()]}
        }}
    })
}

/// A key as Okta answers it.
fn answered_key() -> Value {
    let mut key = apono_jwk();
    key["id"] = json!("pks1abcdefGHIJKLM5d7");
    key["status"] = json!("ACTIVE");
    key
}

/// What Okta answers to [`oidc_app_body`].
fn oidc_app_response() -> Value {
    let mut app = oidc_app_body();
    app["id"] = json!("0oa1abcdefGHIJKLM5d7");
    app["status"] = json!("ACTIVE");
    app["created"] = json!(TIME);
    app["lastUpdated"] = json!(TIME);
    app["credentials"]["oauthClient"]["client_id"] = json!("0oa1abcdefGHIJKLM5d7");
    app["credentials"]["oauthClient"]["autoKeyRotation"] = json!(true);
    app["settings"]["oauthClient"]["jwks"]["keys"] = json!([answered_key()]);
    app
}

/// `app` with the value at `pointer` (which must exist, but for the last segment)
/// replaced, or removed when `value` is `None`.
fn with(mut app: Value, pointer: &str, value: Option<Value>) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let object = app
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{parent} is an object"));
    match value {
        Some(value) => object.insert(key.to_owned(), value),
        None => object.remove(key),
    };
    app
}

fn okta_error(code: &str, summary: &str) -> Value {
    json!({"errorCode": code, "errorSummary": summary, "errorLink": code,
           "errorId": "oaeAbCdEfGhIjKlMnOpQrStUv", "errorCauses": []})
}

fn integration(status: &str) -> Value {
    json!({
        "id": "int-123", "name": "Okta Directory", "type": "okta-directory",
        "category": "IDENTITY_PROVIDER", "status": status, "connector_id": null,
        "last_sync_time": null,
        "integration_config": {"domain": "example.okta.com", "client_id": "0oa1abcdefGHIJKLM5d7"},
        "secret_store_config": null, "connected_resource_types": null,
        "custom_access_details": null, "owner": null, "owners_mapping": null
    })
}

/// A well-formed exchange: the service's headers, and `content-type` with a request body.
fn exchange(
    service: Service,
    method: &str,
    path: &str,
    request_body: Option<Value>,
    status: u16,
    response_body: Option<Value>,
) -> Exchange {
    let auth = match service {
        Service::Okta => "SSWS 00abcdefghijklmnopqrstuvwxyz0123456789ABCD",
        Service::Apono => "Bearer apono-personal-token",
    };
    let mut request_headers = vec![
        ("user-agent".to_owned(), "apono-okta/0.1.0".to_owned()),
        ("accept".to_owned(), "application/json".to_owned()),
        ("authorization".to_owned(), auth.to_owned()),
    ];
    if request_body.is_some() {
        request_headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    Exchange {
        service,
        method: method.to_owned(),
        path: path.to_owned(),
        query: String::new(),
        request_headers,
        request_body,
        status,
        response_headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        response_body,
    }
}

fn okta(
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
    answer: Option<Value>,
) -> Exchange {
    exchange(Service::Okta, method, path, body, status, answer)
}

fn apono(
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
    answer: Option<Value>,
) -> Exchange {
    exchange(Service::Apono, method, path, body, status, answer)
}

/// `POST /api/v1/apps` with this body, answered 200 with a valid app.
fn app_create(body: Value) -> Exchange {
    okta(
        "POST",
        "/api/v1/apps",
        Some(body),
        200,
        Some(oidc_app_response()),
    )
}

/// `POST /api/v1/apps` with a valid body, answered 200 with this app.
fn app_created(answer: Value) -> Exchange {
    okta(
        "POST",
        "/api/v1/apps",
        Some(oidc_app_body()),
        200,
        Some(answer),
    )
}

/// `GET /.well-known/okta-organization` answered with an org's metadata, sent (as every
/// [`exchange`]) with the service's token.
fn org_metadata() -> Exchange {
    let answer = json!({
        "id": "00o1abcdefGHIJKLM5d7",
        "pipeline": "idx",
        "_links": {
            "organization": {"href": ORG},
            "alternate": {"href": "https://login.example.com"}
        }
    });
    okta(
        "GET",
        "/.well-known/okta-organization",
        None,
        200,
        Some(answer),
    )
}

/// The exchange with request header `name` removed, then `value` added when given.
fn header(mut e: Exchange, name: &str, value: Option<&str>) -> Exchange {
    e.request_headers.retain(|(n, _)| n != name);
    if let Some(value) = value {
        e.request_headers.push((name.to_owned(), value.to_owned()));
    }
    e
}

/// What a golden case expects: no violation, or one violation containing every needle.
enum Expect {
    Pass,
    Fail(&'static [&'static str]),
}
use Expect::{Fail, Pass};

/// Checks every case and reports all the ones that disagree at once.
#[track_caller]
fn golden(cases: Vec<(&str, Exchange, Expect)>) {
    let mut wrong = Vec::new();
    for (name, exchange, expect) in cases {
        let problems = Contract::get().check(&exchange);
        let ok = match expect {
            Pass => problems.is_empty(),
            Fail(needles) => problems
                .iter()
                .any(|p| needles.iter().all(|n| p.contains(n))),
        };
        if !ok {
            let wanted = match expect {
                Pass => "no violation".to_owned(),
                Fail(needles) => format!("a violation mentioning all of {needles:?}"),
            };
            wrong.push(format!("{name}: expected {wanted}, got {problems:#?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn request_bodies() {
    golden(vec![
        ("the OIDC service app", app_create(oidc_app_body()), Pass),
        (
            "a misspelled optional field (no schema upstream forbids extra fields)",
            app_create(with(
                oidc_app_body(),
                "/credentials/oauthClient/token_endpoint_auth_methods",
                Some(json!("private_key_jwt")),
            )),
            Fail(&[
                "POST /api/v1/apps -> 200",
                "\"/credentials/oauthClient/token_endpoint_auth_methods\"",
                "unknown field",
                "did you mean \"token_endpoint_auth_method\"",
            ]),
        ),
        (
            // `Application` alone would let this through: only `OpenIdConnectApplication`
            // describes `settings.oauthClient`.
            "a wrong enum deep in the OIDC settings",
            app_create(with(
                oidc_app_body(),
                "/settings/oauthClient/application_type",
                Some(json!("daemon")),
            )),
            Fail(&[
                "request body",
                "\"/settings/oauthClient/application_type\"",
                "daemon",
            ]),
        ),
        (
            "null in a request field",
            app_create(with(
                oidc_app_body(),
                "/settings/oauthClient/jwks_uri",
                Some(Value::Null),
            )),
            Fail(&["request body", "\"/settings/oauthClient/jwks_uri\"", "null"]),
        ),
        (
            "a missing required body",
            okta(
                "POST",
                "/api/v1/apps",
                None,
                400,
                Some(okta_error(
                    "E0000003",
                    "The request body was not well-formed.",
                )),
            ),
            Fail(&["required request body is missing"]),
        ),
        (
            "a body where the operation takes none",
            okta(
                "POST",
                &format!("{APP}/lifecycle/deactivate"),
                Some(json!({"status": "INACTIVE"})),
                200,
                Some(json!({})),
            ),
            Fail(&["takes none"]),
        ),
        (
            "an unknown role type",
            okta(
                "POST",
                CLIENT_ROLES,
                Some(json!({"type": "NOT_A_ROLE"})),
                400,
                Some(okta_error("E0000001", "Api validation failed")),
            ),
            Fail(&["request body", "\"/type\"", "NOT_A_ROLE"]),
        ),
        (
            // Reference README: an RSA key without `use` matches both the signing and the
            // encryption key schemas, so it fails `oneOf`.
            "a key without use",
            okta(
                "POST",
                JWKS,
                Some(with(apono_jwk(), "/use", None)),
                201,
                Some(answered_key()),
            ),
            Fail(&["request body", "oneOf"]),
        ),
        (
            "an Apono create",
            apono(
                "POST",
                INTEGRATIONS,
                Some(json!({
                    "name": "Okta Directory", "type": "okta-directory",
                    "integration_config": {"domain": "example.okta.com", "client_id": "0oa1abcdefGHIJKLM5d7"}
                })),
                200,
                Some(integration("Initializing")),
            ),
            Pass,
        ),
        (
            "an Apono create without its config",
            apono(
                "POST",
                INTEGRATIONS,
                Some(json!({"name": "Okta Directory", "type": "okta-directory"})),
                200,
                Some(integration("Initializing")),
            ),
            Fail(&["request body", "integration_config", "required"]),
        ),
    ]);
}

#[test]
fn response_bodies() {
    let token = |window: &str| {
        let token = json!({"id": "00T1abcdefGHIJKLM5d7", "name": "apono-okta",
            "userId": "00u1abcdefGHIJKLM5d7", "clientName": "Okta API", "tokenWindow": window,
            "created": TIME, "lastUpdated": TIME, "expiresAt": "2026-02-01T03:04:05.000Z"});
        okta("GET", "/api/v1/api-tokens", None, 200, Some(json!([token])))
    };
    let null_optionals = {
        let app = with(
            oidc_app_response(),
            "/accessibility",
            Some(json!(
            {"selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null})),
        );
        with(
            app,
            "/settings/notes",
            Some(json!({"admin": null, "enduser": null})),
        )
    };
    let mut with_values = integration("Active");
    with_values["last_sync_time"] = json!("2026-01-02T03:04:05Z");
    with_values["secret_store_config"] = json!({"aws": {"region": "us-east-1", "secret_id": "s"}});
    golden(vec![
        // Okta answers `null` for optional fields it has no value for; not for required ones.
        ("null optional fields", app_created(null_optionals), Pass),
        (
            "a null required field",
            app_created(with(oidc_app_response(), "/label", Some(Value::Null))),
            Fail(&["response body", "\"/label\""]),
        ),
        (
            "an error inside a nullable reference names the innermost value",
            app_created(with(
                oidc_app_response(),
                "/credentials/oauthClient/client_id",
                Some(json!("abc")),
            )),
            Fail(&[
                "response body at \"/credentials/oauthClient/client_id\"",
                "shorter than 6",
            ]),
        ),
        (
            // The apps of a list are checked as OIDC apps too (discriminated by `signOnMode`).
            "a list with a wrong app",
            okta(
                "GET",
                "/api/v1/apps",
                None,
                200,
                Some(json!([
                    oidc_app_response(),
                    with(
                        oidc_app_response(),
                        "/settings/oauthClient/application_type",
                        Some(json!("daemon"))
                    )
                ])),
            ),
            Fail(&[
                "response body",
                "\"/1/settings/oauthClient/application_type\"",
            ]),
        ),
        (
            "an undocumented success status (grants answer 201)",
            okta(
                "POST",
                GRANTS,
                Some(json!({"scopeId": "okta.users.read", "issuer": ORG})),
                200,
                Some(json!({})),
            ),
            Fail(&["status 200 is not documented"]),
        ),
        (
            "a role answer (discriminator enforced: one of StandardRole, CustomRole)",
            okta(
                "POST",
                CLIENT_ROLES,
                Some(json!({"type": "READ_ONLY_ADMIN"})),
                200,
                Some(json!({
                "id": "irb1abcdefGHIJKLM5d7", "label": "Read-only Administrator",
                "type": "READ_ONLY_ADMIN", "status": "ACTIVE", "assignmentType": "CLIENT",
                "created": TIME, "lastUpdated": TIME})),
            ),
            Pass,
        ),
        // `listJwk` is documented as a bare array, `{"keys": [...]}` and
        // `{"jwks": {"keys": [...]}}`; the keys are validated in each.
        (
            "keys, bare",
            okta("GET", JWKS, None, 200, Some(json!([answered_key()]))),
            Pass,
        ),
        (
            "keys, with a bad key",
            okta(
                "GET",
                JWKS,
                None,
                200,
                Some(json!({"keys": [with(answered_key(), "/status", Some(json!("RETIRED")))]})),
            ),
            Fail(&["response body", "\"/keys/0", "RETIRED"]),
        ),
        // `tokenWindow`'s pattern upstream matches only "P"; it is read as meant.
        ("a token window", token("P30D"), Pass),
        (
            "a bare P token window",
            token("P"),
            Fail(&["\"/0/tokenWindow\""]),
        ),
        (
            // Undocumented error statuses are accepted, as Okta errors.
            "an undocumented Okta 401",
            okta(
                "GET",
                "/api/v1/users/me",
                None,
                401,
                Some(okta_error("E0000011", "Invalid token provided")),
            ),
            Pass,
        ),
        (
            "a malformed Okta error",
            okta(
                "GET",
                "/api/v1/users/me",
                None,
                401,
                Some(json!({"errorCode": 11, "errorSummary": "Invalid token provided"})),
            ),
            Fail(&[
                "GET /api/v1/users/me -> 401",
                "response body",
                "\"/errorCode\"",
            ]),
        ),
        (
            "an undocumented Apono error",
            apono(
                "GET",
                INTEGRATIONS,
                None,
                401,
                Some(json!({"error_code": "UNAUTHORIZED", "error_details": "bad token"})),
            ),
            Pass,
        ),
        // `nullable: true` converted.
        (
            "Apono nulls",
            apono("GET", INTEGRATION, None, 200, Some(integration("Active"))),
            Pass,
        ),
        (
            "Apono nullables with values",
            apono("GET", INTEGRATION, None, 200, Some(with_values)),
            Pass,
        ),
        (
            "a null Apono field that is not nullable",
            apono(
                "GET",
                INTEGRATION,
                None,
                200,
                Some(with(integration("Active"), "/name", Some(Value::Null))),
            ),
            Fail(&["response body", "\"/name\""]),
        ),
    ]);
}

#[test]
fn routes() {
    let mut dropped = okta("GET", "/api/v1/nope", None, 0, None);
    dropped.request_headers.clear();
    golden(vec![
        (
            "a literal segment",
            okta("DELETE", "/api/v1/api-tokens/current", None, 204, None),
            Pass,
        ),
        (
            "a template where the subset has only the literal",
            okta(
                "DELETE",
                "/api/v1/api-tokens/00T1abcdefGHIJKLM5d7",
                None,
                204,
                None,
            ),
            Fail(&["operation not in the reference document"]),
        ),
        (
            "an unknown route",
            okta("GET", "/api/v1/nope", None, 200, Some(json!({}))),
            Fail(&[
                "GET /api/v1/nope -> 200",
                "operation not in the reference document",
            ]),
        ),
        (
            "a method the path does not list",
            okta("PATCH", APP, None, 200, Some(json!({}))),
            Fail(&["operation not in the reference document"]),
        ),
        (
            "an Okta route asked of Apono",
            apono("GET", "/api/v1/apps", None, 200, Some(json!([]))),
            Fail(&["[apono]", "operation not in the reference document"]),
        ),
        // Status 0: the sandbox dropped the connection; nothing is judged.
        ("a dropped connection", dropped, Pass),
    ]);
}

#[test]
fn headers() {
    let list = || okta("GET", "/api/v1/apps", None, 200, Some(json!([])));
    let apono_list = || {
        apono(
            "GET",
            INTEGRATIONS,
            None,
            200,
            Some(json!({"items": [], "pagination": {}})),
        )
    };
    let grant = || {
        okta(
            "POST",
            GRANTS,
            Some(json!({"scopeId": "okta.users.read", "issuer": ORG})),
            201,
            Some(json!({"scopeId": "okta.users.read", "issuer": ORG})),
        )
    };
    golden(vec![
        (
            "a missing user agent",
            header(list(), "user-agent", None),
            Fail(&["GET /api/v1/apps -> 200", "user-agent is missing"]),
        ),
        (
            "a foreign user agent",
            header(apono_list(), "user-agent", Some("reqwest/0.12")),
            Fail(&["user-agent", "reqwest/0.12"]),
        ),
        (
            "a missing accept",
            header(list(), "accept", None),
            Fail(&["accept is missing"]),
        ),
        (
            "a wrong auth scheme",
            header(apono_list(), "authorization", Some("SSWS secret-value")),
            Fail(&["authorization", "Bearer"]),
        ),
        (
            "a JSON body without content type",
            header(grant(), "content-type", None),
            Fail(&["content-type"]),
        ),
        (
            "a content type with a charset",
            header(
                grant(),
                "content-type",
                Some("application/json; charset=utf-8"),
            ),
            Pass,
        ),
        (
            "the org metadata read with no token (security: [])",
            header(org_metadata(), "authorization", None),
            Pass,
        ),
        (
            "the org metadata read with the token",
            org_metadata(),
            Fail(&[
                "GET /.well-known/okta-organization -> 200",
                "carries an authorization header",
                "takes no credentials",
            ]),
        ),
    ]);
    // The message never repeats the token.
    let problems = Contract::get().check(&header(
        apono_list(),
        "authorization",
        Some("SSWS secret-value"),
    ));
    assert!(
        problems.iter().all(|p| !p.contains("secret-value")),
        "{problems:#?}"
    );
}

#[test]
fn reporting_and_strict_mode() {
    let contract = Contract::get();
    let good = app_create(oidc_app_body());
    contract.assert_all_strict(std::slice::from_ref(&good));
    let bad = vec![
        good.clone(),
        app_create(with(
            oidc_app_body(),
            "/lable",
            Some(json!("Apono Integration")),
        )),
        okta("GET", "/api/v1/nope", None, 404, None),
    ];
    let panic = std::panic::catch_unwind(|| contract.assert_all(&bad)).expect_err("must panic");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    for needle in [
        "in 3 exchange(s)",
        "[okta] POST /api/v1/apps -> 200",
        "\"/lable\"",
        "[okta] GET /api/v1/nope -> 404",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }
    // Plain `check` accepts undeclared response fields (real Okta sends many); strict
    // mode does not.
    let sloppy = app_created(with(
        oidc_app_response(),
        "/credentials/oauthClient/clientId",
        Some(json!("0oa1")),
    ));
    assert!(contract.check(&sloppy).is_empty());
    let problems = contract.check_strict(&sloppy);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("response body")
                && p.contains("\"/credentials/oauthClient/clientId\"")),
        "{problems:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// Okta's own examples

/// Every example in the Okta document for `(method, path template, status or "request")`,
/// by name, resolved through `$ref` (extracted by `scripts/generate_schemas.py`).
fn okta_examples() -> Vec<(String, String, String, String, Value)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/okta-examples.json"
    ))
    .expect("read the Okta examples");
    serde_json::from_str(&text).expect("parse the Okta examples")
}

#[test]
fn oktas_own_examples_pass_except_the_known_bad_ones() {
    // Examples the document itself gets wrong; each must keep failing, so a change in
    // the validator that starts accepting them is noticed.
    let known_bad: &[(&str, &str, &str, &str)] = &[
        // An encryption key also matches the signing-key schema, which does not
        // constrain `use`: "valid under more than one of the schemas" in `oneOf`.
        (
            "post",
            "/api/v1/apps/{appId}/credentials/jwks",
            "201",
            "newOAuth2ClientJsonActiveEncryptionKeyResponse",
        ),
        (
            "post",
            "/api/v1/apps/{appId}/credentials/jwks",
            "201",
            "newOAuth2ClientJsonInactiveEncryptionKeyResponse",
        ),
        // `id` is not a property of the add-key request schemas.
        (
            "post",
            "/api/v1/apps/{appId}/credentials/jwks",
            "request",
            "createOAuth2ClientJsonWebKeyRequestBody",
        ),
        (
            "post",
            "/api/v1/apps/{appId}/credentials/jwks",
            "request",
            "createOAuth2ClientJsonInactiveEncryptionKeyRequestBody",
        ),
        (
            "post",
            "/api/v1/apps/{appId}/credentials/jwks",
            "request",
            "createOAuth2ClientJsonActiveEncryptionKeyRequestBody",
        ),
        // A custom role whose `_links.assignee` has no `href`.
        ("get", "/api/v1/users/{userId}/roles", "200", "Custom roles"),
        // A list where the operation answers one role.
        (
            "post",
            "/oauth2/v1/clients/{clientId}/roles",
            "200",
            "IAM-based role assignment",
        ),
        // The OIDC replace example omits `credentials` and `settings`, which
        // `OpenIdConnectApplication` requires.
        ("put", "/api/v1/apps/{appId}", "request", "OPENID_CONNECT"),
        // Permission conditions: the examples give an attribute list where the schema
        // wants an object (this tool sends no conditions).
        (
            "get",
            "/api/v1/iam/roles/{roleIdOrLabel}/permissions",
            "200",
            "Example Response",
        ),
        (
            "post",
            "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
            "request",
            "Example Request with exclude",
        ),
        (
            "post",
            "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
            "request",
            "Example Request with include",
        ),
    ];
    let contract = Contract::get();
    let mut checked = 0;
    let mut unexpected = Vec::new();
    for (method, template, status, name, value) in okta_examples() {
        let is_app_body = template == "/api/v1/apps" || template == "/api/v1/apps/{appId}";
        if status == "request" && is_app_body && name != "OPENID_CONNECT" {
            // App bodies are validated as OIDC apps: the other sign-on modes' examples
            // are not this project's business.
            continue;
        }
        let path = template
            .replace("{appId}", "0oa1abcdefGHIJKLM5d7")
            .replace("{id}", "me")
            .replace("{userId}", "00u1abcdefGHIJKLM5d7")
            .replace("{clientId}", "0oa1abcdefGHIJKLM5d7")
            .replace("{keyId}", "pks1abcdefGHIJKLM5d7")
            .replace("{grantId}", "oag1abcdefGHIJKLM5d7")
            .replace("{roleAssignmentId}", "irb1abcdefGHIJKLM5d7")
            .replace("{roleIdOrLabel}", "cr01abcdefGHIJKLM5d7")
            .replace("{permissionType}", "okta.users.read")
            .replace("{resourceSetIdOrLabel}", "iam1abcdefGHIJKLM5d7")
            .replace("{resourceId}", "ire1abcdefGHIJKLM5d7");
        let method = method.to_ascii_uppercase();
        let (problems, what) = if status == "request" {
            let e = okta(&method, &path, Some(value), 299, None);
            let problems: Vec<String> = contract
                .check(&e)
                .into_iter()
                .filter(|p| p.contains("request body"))
                .collect();
            (problems, "request")
        } else {
            let code: u16 = status.parse().expect("numeric status");
            let e = okta(&method, &path, None, code, Some(value));
            let problems: Vec<String> = contract
                .check(&e)
                .into_iter()
                .filter(|p| p.contains("response body"))
                .collect();
            (problems, "response")
        };
        checked += 1;
        let expected_bad = known_bad.iter().any(|(m, t, s, n)| {
            m.eq_ignore_ascii_case(&method) && *t == template && *s == status && *n == name
        });
        match (expected_bad, problems.is_empty()) {
            (false, false) => unexpected.push(format!(
                "{method} {template} {what} example {name:?} ({status}) fails:\n    {}",
                problems.join("\n    ")
            )),
            (true, true) => unexpected.push(format!(
                "{method} {template} {what} example {name:?} ({status}) is listed as known-bad but passes"
            )),
            _ => {}
        }
    }
    assert!(checked > 40, "only {checked} examples found");
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
