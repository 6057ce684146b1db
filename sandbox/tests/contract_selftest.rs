//! Tests of the contract validator itself: it must pass what the reference documents
//! allow and fail what they do not, naming the offending JSON pointer.

use apono_okta_sandbox::contract::Contract;
use apono_okta_sandbox::record::{Exchange, Service};
use serde_json::{Value, json};

const ORG: &str = "https://example.okta.com";

/// Apono's public key, as DESIGN §1 gives it.
fn apono_jwk() -> Value {
    json!({
        "kty": "RSA",
        "kid": "c90fab69-f5cb-4975-97c1-87bb2688be8e",
        "e": "AQAB",
        "use": "sig",
        "n": "rlN2Sq1LPsQj4BOS1lSN6KSuQBWT_okRZVnGQmrMYtX_n3QIOTtYYwBWPgU6b3GugyUc5v51gtykRbUXeoprfXcCfU3C2UUhzPOL8ZnIOVity5pk_9aFNHhGp6k_yGjadLOLxKUNFBh7X0-W_simDSf6EFOGU3EQjO5PUkyEXipp95kDBseh-lmv5nGHDaeqLDEzCPyptgBxg8pzUQM5t9o97fbSvy7qptg-RArF759dnHmva5W94tzO03gwhMNiI_0UlIG3TTg9K8DTcVTI0lS4CFdf7BpRQnurk6kb1UC7UE2RCPZO_E-mxaenTu6ckEx-1N6v0q_x5xJRW8rp9w"
    })
}

/// The service-app create body of DESIGN §1.
fn oidc_app_body() -> Value {
    json!({
        "name": "oidc_client",
        "label": "Apono Integration",
        "signOnMode": "OPENID_CONNECT",
        "credentials": {
            "oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}
        },
        "settings": {
            "oauthClient": {
                "application_type": "service",
                "grant_types": ["client_credentials"],
                "response_types": ["token"],
                "jwks": {"keys": [apono_jwk()]}
            }
        }
    })
}

/// What Okta answers to that body.
fn oidc_app_response() -> Value {
    let mut app = oidc_app_body();
    app["id"] = json!("0oa1abcdefGHIJKLM5d7");
    app["status"] = json!("ACTIVE");
    app["created"] = json!("2026-01-02T03:04:05.000Z");
    app["lastUpdated"] = json!("2026-01-02T03:04:05.000Z");
    app["credentials"]["oauthClient"]["client_id"] = json!("0oa1abcdefGHIJKLM5d7");
    app["credentials"]["oauthClient"]["autoKeyRotation"] = json!(true);
    let mut key = apono_jwk();
    key["id"] = json!("pks1abcdefGHIJKLM5d7");
    key["status"] = json!("ACTIVE");
    app["settings"]["oauthClient"]["jwks"]["keys"] = json!([key]);
    app
}

fn okta_headers() -> Vec<(String, String)> {
    headers(&[
        ("user-agent", "apono-okta/0.1.0"),
        ("accept", "application/json"),
        (
            "authorization",
            "SSWS 00abcdefghijklmnopqrstuvwxyz0123456789ABCD",
        ),
    ])
}

fn apono_headers() -> Vec<(String, String)> {
    headers(&[
        ("user-agent", "apono-okta/0.1.0"),
        ("accept", "application/json"),
        ("authorization", "Bearer apono-personal-token"),
    ])
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// A well-formed exchange: the right headers for the service, and `content-type` when
/// there is a request body.
fn exchange(
    service: Service,
    method: &str,
    path: &str,
    request_body: Option<Value>,
    status: u16,
    response_body: Option<Value>,
) -> Exchange {
    let mut request_headers = match service {
        Service::Okta => okta_headers(),
        Service::Apono => apono_headers(),
    };
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

#[track_caller]
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

fn assert_passes(exchange: &Exchange) {
    let problems = Contract::get().check(exchange);
    assert!(
        problems.is_empty(),
        "expected no violations, got:\n{problems:#?}"
    );
}

/// Asserts at least one violation, and that some violation contains every one of `needles`.
#[track_caller]
fn assert_fails_with(exchange: &Exchange, needles: &[&str]) -> Vec<String> {
    let problems = Contract::get().check(exchange);
    assert!(!problems.is_empty(), "expected a violation, got none");
    assert!(
        problems
            .iter()
            .any(|p| needles.iter().all(|n| p.contains(n))),
        "no violation mentions all of {needles:?}:\n{problems:#?}"
    );
    problems
}

fn okta_error(code: &str, summary: &str) -> Value {
    json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oaeAbCdEfGhIjKlMnOpQrStUv",
        "errorCauses": []
    })
}

// ---------------------------------------------------------------------------------------
// App creation

#[test]
fn oidc_service_app_create_body_passes() {
    assert_passes(&app_create(oidc_app_body()));
}

#[test]
fn oidc_app_replace_body_passes() {
    assert_passes(&okta(
        "PUT",
        "/api/v1/apps/0oa1abcdefGHIJKLM5d7",
        Some(oidc_app_body()),
        200,
        Some(oidc_app_response()),
    ));
}

#[test]
fn misspelled_field_in_app_body_fails_with_its_pointer() {
    let mut body = oidc_app_body();
    let client = body["settings"]["oauthClient"]
        .as_object_mut()
        .expect("object");
    let grants = client.remove("grant_types").expect("grant_types");
    client.insert("grant_type".to_owned(), grants);
    let problems = assert_fails_with(
        &app_create(body),
        &[
            "POST /api/v1/apps -> 200",
            "\"/settings/oauthClient/grant_type\"",
            "unknown field \"grant_type\"",
        ],
    );
    // `grant_types` is also required by the schema.
    assert!(
        problems.iter().any(|p| p.contains("grant_types")),
        "{problems:#?}"
    );
}

#[test]
fn misspelled_optional_field_fails_although_the_schema_alone_would_allow_it() {
    let mut body = oidc_app_body();
    body["credentials"]["oauthClient"]["token_endpoint_auth_methods"] = json!("private_key_jwt");
    assert_fails_with(
        &app_create(body),
        &[
            "\"/credentials/oauthClient/token_endpoint_auth_methods\"",
            "unknown field",
        ],
    );
}

#[test]
fn misspelled_field_inside_a_jwk_fails() {
    let mut body = oidc_app_body();
    body["settings"]["oauthClient"]["jwks"]["keys"][0]["kyd"] = json!("abc");
    assert_fails_with(
        &app_create(body),
        &[
            "\"/settings/oauthClient/jwks/keys/0/kyd\"",
            "unknown field \"kyd\"",
        ],
    );
}

#[test]
fn wrong_sign_on_mode_fails() {
    let mut body = oidc_app_body();
    body["signOnMode"] = json!("OPENID");
    assert_fails_with(
        &app_create(body),
        &["request body", "\"/signOnMode\"", "OPENID"],
    );
}

#[test]
fn wrong_enum_deep_in_the_oidc_settings_fails() {
    // `Application` alone would let this through: only `OpenIdConnectApplication`
    // describes `settings.oauthClient`.
    let mut body = oidc_app_body();
    body["settings"]["oauthClient"]["application_type"] = json!("daemon");
    assert_fails_with(
        &app_create(body),
        &["\"/settings/oauthClient/application_type\"", "daemon"],
    );
}

#[test]
fn missing_required_body_fails() {
    assert_fails_with(
        &okta(
            "POST",
            "/api/v1/apps",
            None,
            400,
            Some(okta_error(
                "E0000003",
                "The request body was not well-formed.",
            )),
        ),
        &["required request body is missing"],
    );
}

#[test]
fn body_on_an_operation_that_takes_none_fails() {
    assert_fails_with(
        &okta(
            "POST",
            "/api/v1/apps/0oa1abcdefGHIJKLM5d7/lifecycle/deactivate",
            Some(json!({"status": "INACTIVE"})),
            200,
            Some(json!({})),
        ),
        &["takes none"],
    );
}

#[test]
fn app_lifecycle_and_delete_pass() {
    assert_passes(&okta(
        "POST",
        "/api/v1/apps/0oa1abcdefGHIJKLM5d7/lifecycle/deactivate",
        None,
        200,
        Some(json!({})),
    ));
    assert_passes(&okta(
        "DELETE",
        "/api/v1/apps/0oa1abcdefGHIJKLM5d7",
        None,
        204,
        None,
    ));
}

#[test]
fn list_apps_response_is_validated() {
    assert_passes(&okta(
        "GET",
        "/api/v1/apps",
        None,
        200,
        Some(json!([oidc_app_response()])),
    ));
    let mut app = oidc_app_response();
    app["status"] = json!("GONE");
    let mut listing = okta("GET", "/api/v1/apps", None, 200, Some(json!([app])));
    listing.query = "q=Apono%20Integration&includeNonDeleted=true".to_owned();
    assert_fails_with(
        &listing,
        &[
            "GET /api/v1/apps?q=Apono%20Integration&includeNonDeleted=true -> 200",
            "response body",
            "\"/0/status\"",
        ],
    );
    // The apps of a list are checked as OIDC apps too (discriminated by `signOnMode`).
    let mut app = oidc_app_response();
    app["settings"]["oauthClient"]["application_type"] = json!("daemon");
    assert_fails_with(
        &okta(
            "GET",
            "/api/v1/apps",
            None,
            200,
            Some(json!([oidc_app_response(), app])),
        ),
        &[
            "response body",
            "\"/1/settings/oauthClient/application_type\"",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Scope grants and the admin role

#[test]
fn grant_body_passes() {
    assert_passes(&okta(
        "POST",
        "/api/v1/apps/0oa1abcdefGHIJKLM5d7/grants",
        Some(json!({"scopeId": "okta.users.read", "issuer": ORG})),
        201,
        Some(json!({
            "id": "oag1abcdefGHIJKLM5d7",
            "clientId": "0oa1abcdefGHIJKLM5d7",
            "scopeId": "okta.users.read",
            "issuer": ORG,
            "source": "ADMIN",
            "status": "ACTIVE",
            "created": "2026-01-02T03:04:05.000Z",
            "lastUpdated": "2026-01-02T03:04:05.000Z"
        })),
    ));
}

#[test]
fn grant_body_without_scope_id_fails() {
    // `scopeId` and `issuer` are both required by `OAuth2ScopeConsentGrant`.
    assert_fails_with(
        &okta(
            "POST",
            "/api/v1/apps/0oa1abcdefGHIJKLM5d7/grants",
            Some(json!({"issuer": ORG})),
            400,
            Some(okta_error("E0000001", "Api validation failed: scopeId")),
        ),
        &["request body", "scopeId", "required"],
    );
}

#[test]
fn undocumented_success_status_fails() {
    // Grants answer 201, not 200.
    assert_fails_with(
        &okta(
            "POST",
            "/api/v1/apps/0oa1abcdefGHIJKLM5d7/grants",
            Some(json!({"scopeId": "okta.users.read", "issuer": ORG})),
            200,
            Some(json!({"scopeId": "okta.users.read", "issuer": ORG})),
        ),
        &["status 200 is not documented"],
    );
}

#[test]
fn client_role_body_passes() {
    assert_passes(&okta(
        "POST",
        "/oauth2/v1/clients/0oa1abcdefGHIJKLM5d7/roles",
        Some(json!({"type": "READ_ONLY_ADMIN"})),
        200,
        Some(json!({
            "id": "irb1abcdefGHIJKLM5d7",
            "label": "Read-only Administrator",
            "type": "READ_ONLY_ADMIN",
            "status": "ACTIVE",
            "assignmentType": "CLIENT",
            "created": "2026-01-02T03:04:05.000Z",
            "lastUpdated": "2026-01-02T03:04:05.000Z"
        })),
    ));
}

#[test]
fn client_role_body_with_unknown_role_fails() {
    assert_fails_with(
        &okta(
            "POST",
            "/oauth2/v1/clients/0oa1abcdefGHIJKLM5d7/roles",
            Some(json!({"type": "NOT_A_ROLE"})),
            400,
            Some(okta_error("E0000001", "Api validation failed")),
        ),
        &["request body", "\"/type\"", "NOT_A_ROLE"],
    );
}

#[test]
fn duplicate_role_conflict_passes_as_an_okta_error() {
    // 409 is not documented for this operation: accepted, as an Okta error body.
    assert_passes(&okta(
        "POST",
        "/oauth2/v1/clients/0oa1abcdefGHIJKLM5d7/roles",
        Some(json!({"type": "READ_ONLY_ADMIN"})),
        409,
        Some(okta_error(
            "E0000090",
            "Duplicate role assignment exception.",
        )),
    ));
}

// ---------------------------------------------------------------------------------------
// JWKS

#[test]
fn add_jwk_needs_use() {
    // Reference README: an RSA key without `use` matches both the signing and the
    // encryption key schemas, so it fails `oneOf`.
    let path = "/api/v1/apps/0oa1abcdefGHIJKLM5d7/credentials/jwks";
    let mut answer = apono_jwk();
    answer["id"] = json!("pks1abcdefGHIJKLM5d7");
    answer["status"] = json!("ACTIVE");
    assert_passes(&okta(
        "POST",
        path,
        Some(apono_jwk()),
        201,
        Some(answer.clone()),
    ));
    let mut without_use = apono_jwk();
    without_use.as_object_mut().expect("object").remove("use");
    assert_fails_with(
        &okta("POST", path, Some(without_use), 201, Some(answer)),
        &["request body", "oneOf"],
    );
}

#[test]
fn list_jwks_accepts_the_three_documented_shapes() {
    // Reference README: documented as a bare array, `{"keys": [...]}` and
    // `{"jwks": {"keys": [...]}}`; the keys are validated in each.
    let mut key = apono_jwk();
    key["id"] = json!("pks1abcdefGHIJKLM5d7");
    key["status"] = json!("ACTIVE");
    let path = "/api/v1/apps/0oa1abcdefGHIJKLM5d7/credentials/jwks";
    for shape in [
        json!([key.clone()]),
        json!({"keys": [key.clone()]}),
        json!({"jwks": {"keys": [key.clone()]}}),
    ] {
        assert_passes(&okta("GET", path, None, 200, Some(shape)));
    }
    let mut bad = key.clone();
    bad["status"] = json!("RETIRED");
    assert_fails_with(
        &okta("GET", path, None, 200, Some(json!({"keys": [bad]}))),
        &["response body", "\"/keys/0", "RETIRED"],
    );
    assert_fails_with(
        &okta("GET", path, None, 200, Some(json!({"items": [key]}))),
        &["response body", "array"],
    );
}

#[test]
fn optional_response_fields_may_be_null_but_request_fields_may_not() {
    // Okta answers `null` for optional fields it has no value for.
    let mut answer = oidc_app_response();
    answer["accessibility"] =
        json!({"selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null});
    answer["settings"]["notes"] = json!({"admin": null, "enduser": null});
    assert_passes(&okta(
        "POST",
        "/api/v1/apps",
        Some(oidc_app_body()),
        200,
        Some(answer),
    ));
    // Required ones may not.
    let mut answer = oidc_app_response();
    answer["label"] = Value::Null;
    assert_fails_with(
        &okta(
            "POST",
            "/api/v1/apps",
            Some(oidc_app_body()),
            200,
            Some(answer),
        ),
        &["response body", "\"/label\""],
    );
    // Nor may request fields.
    let mut body = oidc_app_body();
    body["settings"]["oauthClient"]["jwks_uri"] = Value::Null;
    assert_fails_with(
        &app_create(body),
        &["request body", "\"/settings/oauthClient/jwks_uri\"", "null"],
    );
}

#[test]
fn errors_inside_nullable_references_name_the_innermost_value() {
    let mut answer = oidc_app_response();
    answer["credentials"]["oauthClient"]["client_id"] = json!("abc");
    assert_fails_with(
        &okta(
            "POST",
            "/api/v1/apps",
            Some(oidc_app_body()),
            200,
            Some(answer),
        ),
        &[
            "response body at \"/credentials/oauthClient/client_id\"",
            "shorter than 6",
        ],
    );
}

#[test]
fn api_token_durations_pass_despite_the_broken_upstream_pattern() {
    let token = |window: &str| {
        json!([{
            "id": "00T1abcdefGHIJKLM5d7",
            "name": "apono-okta",
            "userId": "00u1abcdefGHIJKLM5d7",
            "clientName": "Okta API",
            "tokenWindow": window,
            "created": "2026-01-02T03:04:05.000Z",
            "lastUpdated": "2026-01-02T03:04:05.000Z",
            "expiresAt": "2026-02-01T03:04:05.000Z"
        }])
    };
    assert_passes(&okta(
        "GET",
        "/api/v1/api-tokens",
        None,
        200,
        Some(token("P30D")),
    ));
    assert_passes(&okta(
        "GET",
        "/api/v1/api-tokens",
        None,
        200,
        Some(token("PT5M")),
    ));
    assert_fails_with(
        &okta(
            "GET",
            "/api/v1/api-tokens",
            None,
            200,
            Some(token("30 days")),
        ),
        &["\"/0/tokenWindow\""],
    );
    assert_fails_with(
        &okta("GET", "/api/v1/api-tokens", None, 200, Some(token("P"))),
        &["\"/0/tokenWindow\""],
    );
}

// ---------------------------------------------------------------------------------------
// Routes

#[test]
fn unknown_route_fails() {
    assert_fails_with(
        &okta("GET", "/api/v1/nope", None, 200, Some(json!({}))),
        &[
            "GET /api/v1/nope -> 200",
            "operation not in the reference document",
        ],
    );
    // A known path with a method the document does not list.
    assert_fails_with(
        &okta(
            "PATCH",
            "/api/v1/apps/0oa1abcdefGHIJKLM5d7",
            None,
            200,
            Some(json!({})),
        ),
        &["operation not in the reference document"],
    );
    // An Okta route asked of Apono.
    assert_fails_with(
        &apono("GET", "/api/v1/apps", None, 200, Some(json!([]))),
        &["[apono]", "operation not in the reference document"],
    );
}

#[test]
fn literal_segments_win_over_templates() {
    assert_passes(&okta(
        "DELETE",
        "/api/v1/api-tokens/current",
        None,
        204,
        None,
    ));
    // Only `current` is in the subset: any other token id is not.
    assert_fails_with(
        &okta(
            "DELETE",
            "/api/v1/api-tokens/00T1abcdefGHIJKLM5d7",
            None,
            204,
            None,
        ),
        &["operation not in the reference document"],
    );
}

#[test]
fn users_me_and_roles_pass() {
    assert_passes(&okta(
        "GET",
        "/api/v1/users/me",
        None,
        200,
        Some(json!({
            "id": "00u1abcdefGHIJKLM5d7",
            "status": "ACTIVE",
            "created": "2026-01-02T03:04:05.000Z",
            "activated": null,
            "statusChanged": null,
            "lastLogin": null,
            "lastUpdated": "2026-01-02T03:04:05.000Z",
            "passwordChanged": null,
            "profile": {
                "firstName": "Ada",
                "lastName": "Admin",
                "email": "ada@example.com",
                "login": "ada@example.com"
            }
        })),
    ));
    assert_passes(&okta(
        "GET",
        "/api/v1/users/00u1abcdefGHIJKLM5d7/roles",
        None,
        200,
        Some(json!([{
            "id": "ra1abcdefGHIJKLM5d7",
            "label": "Super Administrator",
            "type": "SUPER_ADMIN",
            "status": "ACTIVE",
            "assignmentType": "USER",
            "created": "2026-01-02T03:04:05.000Z",
            "lastUpdated": "2026-01-02T03:04:05.000Z"
        }])),
    ));
    assert_passes(&okta(
        "GET",
        "/api/v1/org/settings/clientPrivilegesSetting",
        None,
        200,
        Some(json!({"clientPrivilegesSetting": false})),
    ));
}

#[test]
fn dropped_connections_are_skipped() {
    // Status 0: the sandbox dropped the connection; even an unknown route is not judged.
    let mut e = okta("GET", "/api/v1/nope", None, 0, None);
    e.request_headers.clear();
    assert!(Contract::get().check(&e).is_empty());
}

// ---------------------------------------------------------------------------------------
// Errors

#[test]
fn okta_401_error_body_passes() {
    // 401 is not documented for `GET /api/v1/users/{id}`: accepted as an Okta error.
    assert_passes(&okta(
        "GET",
        "/api/v1/users/me",
        None,
        401,
        Some(okta_error("E0000011", "Invalid token provided")),
    ));
    assert_passes(&okta(
        "GET",
        "/api/v1/apps",
        None,
        429,
        Some(okta_error(
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )),
    ));
}

#[test]
fn malformed_okta_error_body_fails() {
    assert_fails_with(
        &okta(
            "GET",
            "/api/v1/users/me",
            None,
            401,
            Some(json!({"errorCode": 11, "errorSummary": "Invalid token provided"})),
        ),
        &[
            "GET /api/v1/users/me -> 401",
            "response body",
            "\"/errorCode\"",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Headers

#[test]
fn missing_user_agent_fails() {
    let mut e = okta("GET", "/api/v1/apps", None, 200, Some(json!([])));
    e.request_headers.retain(|(n, _)| n != "user-agent");
    assert_fails_with(&e, &["GET /api/v1/apps -> 200", "user-agent is missing"]);
}

#[test]
fn foreign_user_agent_fails() {
    let mut e = apono(
        "GET",
        "/api/admin/v4/integrations",
        None,
        200,
        Some(json!({"items": [], "pagination": {}})),
    );
    e.request_headers.retain(|(n, _)| n != "user-agent");
    e.request_headers
        .push(("user-agent".to_owned(), "reqwest/0.12".to_owned()));
    assert_fails_with(&e, &["user-agent", "reqwest/0.12"]);
}

#[test]
fn missing_accept_fails() {
    let mut e = okta("GET", "/api/v1/apps", None, 200, Some(json!([])));
    e.request_headers.retain(|(n, _)| n != "accept");
    assert_fails_with(&e, &["accept is missing"]);
}

#[test]
fn wrong_auth_scheme_fails_without_leaking_the_token() {
    let mut e = apono(
        "GET",
        "/api/admin/v4/integrations",
        None,
        200,
        Some(json!({"items": [], "pagination": {}})),
    );
    e.request_headers.retain(|(n, _)| n != "authorization");
    e.request_headers
        .push(("authorization".to_owned(), "SSWS secret-value".to_owned()));
    let problems = assert_fails_with(&e, &["authorization", "Bearer"]);
    assert!(
        problems.iter().all(|p| !p.contains("secret-value")),
        "{problems:#?}"
    );

    let mut e = okta("GET", "/api/v1/apps", None, 200, Some(json!([])));
    e.request_headers.retain(|(n, _)| n != "authorization");
    assert_fails_with(&e, &["authorization is missing"]);
}

#[test]
fn json_body_without_content_type_fails() {
    let mut e = okta(
        "POST",
        "/api/v1/apps/0oa1abcdefGHIJKLM5d7/grants",
        Some(json!({"scopeId": "okta.users.read", "issuer": ORG})),
        201,
        Some(json!({"scopeId": "okta.users.read", "issuer": ORG})),
    );
    e.request_headers.retain(|(n, _)| n != "content-type");
    assert_fails_with(&e, &["content-type"]);
    e.request_headers.push((
        "content-type".to_owned(),
        "application/json; charset=utf-8".to_owned(),
    ));
    assert!(Contract::get().check(&e).is_empty());
}

// ---------------------------------------------------------------------------------------
// Apono

fn integration(status: &str) -> Value {
    json!({
        "id": "int-123",
        "name": "Okta Directory",
        "type": "okta-directory",
        "category": "IDENTITY_PROVIDER",
        "status": status,
        "connector_id": null,
        "last_sync_time": null,
        "integration_config": {"domain": "example.okta.com", "client_id": "0oa1abcdefGHIJKLM5d7"},
        "secret_store_config": null,
        "connected_resource_types": null,
        "custom_access_details": null,
        "owner": null,
        "owners_mapping": null
    })
}

#[test]
fn apono_v4_create_body_passes() {
    assert_passes(&apono(
        "POST",
        "/api/admin/v4/integrations",
        Some(json!({
            "name": "Okta Directory",
            "type": "okta-directory",
            "integration_config": {"domain": "example.okta.com", "client_id": "0oa1abcdefGHIJKLM5d7"}
        })),
        200,
        Some(integration("Initializing")),
    ));
}

#[test]
fn apono_create_body_missing_config_or_misspelled_fails() {
    assert_fails_with(
        &apono(
            "POST",
            "/api/admin/v4/integrations",
            Some(json!({"name": "Okta Directory", "type": "okta-directory"})),
            200,
            Some(integration("Initializing")),
        ),
        &["request body", "integration_config", "required"],
    );
    assert_fails_with(
        &apono(
            "POST",
            "/api/admin/v4/integrations",
            Some(json!({
                "name": "Okta Directory",
                "type": "okta-directory",
                "integration_config": {},
                "integrationConfig": {}
            })),
            200,
            Some(integration("Initializing")),
        ),
        &["\"/integrationConfig\"", "unknown field"],
    );
}

#[test]
fn apono_nullable_fields_accept_null_and_their_type() {
    // `nullable: true` converted: `secret_store_config` is `type: object` + `allOf`.
    assert_passes(&apono(
        "GET",
        "/api/admin/v4/integrations/int-123",
        None,
        200,
        Some(integration("Active")),
    ));
    let mut with_values = integration("Active");
    with_values["last_sync_time"] = json!("2026-01-02T03:04:05Z");
    with_values["secret_store_config"] = json!({"aws": {"region": "us-east-1", "secret_id": "s"}});
    assert_passes(&apono(
        "GET",
        "/api/admin/v4/integrations/int-123",
        None,
        200,
        Some(with_values),
    ));
    // A non-nullable field is still not nullable.
    let mut bad = integration("Active");
    bad["name"] = Value::Null;
    assert_fails_with(
        &apono(
            "GET",
            "/api/admin/v4/integrations/int-123",
            None,
            200,
            Some(bad),
        ),
        &["response body", "\"/name\""],
    );
}

#[test]
fn apono_list_update_delete_and_catalog_pass() {
    assert_passes(&apono(
        "GET",
        "/api/admin/v4/integrations",
        None,
        200,
        Some(json!({"items": [integration("Active")], "pagination": {"next_page_token": null}})),
    ));
    assert_passes(&apono(
        "PUT",
        "/api/admin/v4/integrations/int-123",
        Some(json!({
            "name": "Okta Directory",
            "integration_config": {"domain": "example.okta.com", "client_id": "0oa2"}
        })),
        200,
        Some(integration("Refreshing")),
    ));
    assert_passes(&apono(
        "DELETE",
        "/api/admin/v4/integrations/int-123",
        None,
        204,
        None,
    ));
    let entry = json!({
        "name": "Okta Directory",
        "type": "okta-directory",
        "description": "Okta users and groups",
        "params": [
            {"id": "domain", "label": "Okta domain", "values": [], "default": "", "optional": false},
            {"id": "client_id", "label": "Client ID", "values": [], "default": "", "optional": false}
        ],
        "requires_secret": false,
        "supported_secret_types": []
    });
    assert_passes(&apono(
        "GET",
        "/api/v2/integrations-catalog",
        None,
        200,
        Some(
            json!({"data": [entry.clone()], "pagination": {"total": 1, "limit": 100, "offset": 0}}),
        ),
    ));
    assert_passes(&apono(
        "GET",
        "/api/v2/integrations-catalog/okta-directory",
        None,
        200,
        Some(entry),
    ));
}

#[test]
fn apono_undocumented_errors_are_accepted() {
    assert_passes(&apono(
        "GET",
        "/api/admin/v4/integrations",
        None,
        401,
        Some(json!({"error_code": "UNAUTHORIZED", "error_details": "bad token"})),
    ));
    assert_passes(&apono(
        "GET",
        "/api/v2/integrations-catalog",
        None,
        404,
        None,
    ));
}

// ---------------------------------------------------------------------------------------
// Reporting

#[test]
fn assert_all_passes_good_exchanges_and_reports_every_bad_one() {
    let contract = Contract::get();
    let good = vec![
        app_create(oidc_app_body()),
        okta("DELETE", "/api/v1/api-tokens/current", None, 204, None),
    ];
    contract.assert_all(&good);

    let mut misspelled = oidc_app_body();
    misspelled["lable"] = json!("Apono Integration");
    let bad = vec![
        good[0].clone(),
        app_create(misspelled),
        okta("GET", "/api/v1/nope", None, 404, None),
    ];
    let panic = std::panic::catch_unwind(|| contract.assert_all(&bad)).expect_err("must panic");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("in 3 exchange(s)"), "{message}");
    assert!(
        message.contains("[okta] POST /api/v1/apps -> 200"),
        "{message}"
    );
    assert!(message.contains("\"/lable\""), "{message}");
    assert!(
        message.contains("[okta] GET /api/v1/nope -> 404"),
        "{message}"
    );
}

#[test]
fn strict_mode_also_checks_response_field_names() {
    let contract = Contract::get();
    let good = app_create(oidc_app_body());
    assert!(contract.check_strict(&good).is_empty());
    contract.assert_all_strict(std::slice::from_ref(&good));

    let mut answer = oidc_app_response();
    answer["credentials"]["oauthClient"]["clientId"] = json!("0oa1abcdefGHIJKLM5d7");
    let sloppy = okta(
        "POST",
        "/api/v1/apps",
        Some(oidc_app_body()),
        200,
        Some(answer),
    );
    // Plain `check` accepts undeclared response fields (real Okta sends many)...
    assert!(contract.check(&sloppy).is_empty());
    // ...strict mode does not.
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
/// by name, resolved through `$ref`.
fn okta_examples() -> Vec<(String, String, String, String, Value)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/okta-management-2026.06.3-subset.yaml"
    ))
    .expect("read the Okta document");
    let doc: Value = serde_yaml::from_str(&text).expect("parse the Okta document");
    let resolve = |v: &Value| -> Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(target) => doc
                .pointer(target.trim_start_matches('#'))
                .cloned()
                .expect("resolvable $ref"),
            None => v.clone(),
        }
    };
    let mut out = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if method == "parameters" {
                continue;
            }
            let mut sources = Vec::new();
            if let Some(body) = op.get("requestBody") {
                sources.push(("request".to_owned(), resolve(body)));
            }
            for (status, response) in op["responses"].as_object().expect("responses") {
                sources.push((status.clone(), resolve(response)));
            }
            for (status, source) in sources {
                let examples = source
                    .pointer("/content/application~1json/examples")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (name, example) in examples {
                    let value = resolve(&example)["value"].clone();
                    out.push((
                        method.clone(),
                        template.clone(),
                        status.clone(),
                        name,
                        value,
                    ));
                }
            }
        }
    }
    out
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
