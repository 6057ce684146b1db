//! The imitated Apono public API: `Bearer` tokens, the integrations catalog (v2),
//! integrations (v4, and the v2 read), and what Apono's first sync of an Okta integration
//! finds ([`evaluate`]), which moves a status from `Initializing` to `Active` or `Error`.
//!
//! Errors are `{"error_code": "...", "error_details": "..."}`: `UNAUTHORIZED` (401),
//! `BAD_REQUEST` (400), `NOT_FOUND` (404), `METHOD_NOT_ALLOWED` (405),
//! `TOO_MANY_REQUESTS` (429, injected faults only).

use serde_json::{Map, Value, json};

use super::state::{Integration, OktaState, State};
use super::util::{Req, Resp, epoch_secs, iso_from_epoch, remove_where, uuid, wildcard_match};

/// An Apono error response.
pub(crate) fn error(status: u16, code: &str, details: &str) -> Resp {
    Resp::json(
        status,
        json!({"error_code": code, "error_details": details}),
    )
}

fn bad_request(details: &str) -> Resp {
    error(400, "BAD_REQUEST", details)
}

fn integration_not_found(id: &str) -> Resp {
    error(404, "NOT_FOUND", &format!("Integration '{id}' not found"))
}

/// The 429 answer of a rate-limited call.
pub(crate) fn rate_limited() -> Resp {
    error(
        429,
        "TOO_MANY_REQUESTS",
        "Too many requests, retry after the rate limit resets",
    )
}

/// When an `Initializing` integration settles (see [`SandboxOptions`](super::SandboxOptions)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settle {
    /// Reads answered `Initializing` before the next one evaluates.
    pub after_reads: u32,
    /// If set, instead: time since the create or update before a read evaluates.
    pub after_time: Option<std::time::Duration>,
}

/// Answers one Apono request.
pub(crate) fn handle(state: &mut State, req: &Req, page_size: usize, settle_after: Settle) -> Resp {
    let token = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    if !token.is_some_and(|t| state.apono.api_tokens.iter().any(|k| k == t)) {
        return error(
            401,
            "UNAUTHORIZED",
            "Missing or invalid API token (Authorization: Bearer <personal API token>)",
        );
    }
    let segments = req.segments();
    let method = req.method.as_str();
    if matches!(method, "POST" | "PUT") && !req.json.as_ref().is_some_and(Value::is_object) {
        return bad_request("The request body must be a JSON object");
    }
    match (segments.as_slice(), method) {
        (["api", "v2", "integrations-catalog"], "GET") => list_catalog(state, req, page_size),
        (["api", "v2", "integrations-catalog", t], "GET") => match state.apono.catalog_entry(t) {
            Some(e) => Resp::json(200, e.json.clone()),
            None => error(
                404,
                "NOT_FOUND",
                &format!("Integration type '{t}' not found"),
            ),
        },
        (["api", "admin", "v4", "integrations"], "GET") => list_integrations(state, req, page_size),
        (["api", "admin", "v4", "integrations"], "POST") => {
            create_integration(state, req).unwrap_or_else(|error| error)
        }
        (["api", "admin", "v4", "integrations", id], "GET") => {
            match poll(state, id, settle_after) {
                Some(i) => Resp::json(200, i.render_v4()),
                None => integration_not_found(id),
            }
        }
        (["api", "admin", "v4", "integrations", id], "PUT") => {
            update_integration(state, req, id).unwrap_or_else(|error| error)
        }
        (["api", "admin", "v4", "integrations", id], "DELETE") => {
            if remove_where(&mut state.apono.integrations, |i| i.id == *id) {
                Resp::empty(204)
            } else {
                integration_not_found(id)
            }
        }
        (["api", "v2", "integrations", id], "GET") => match poll(state, id, settle_after) {
            Some(i) => Resp::json(200, i.render_v2()),
            None => integration_not_found(id),
        },
        (
            ["api", "v2", "integrations-catalog"]
            | ["api", "v2", "integrations-catalog", _]
            | ["api", "admin", "v4", "integrations"]
            | ["api", "admin", "v4", "integrations", _]
            | ["api", "v2", "integrations", _],
            _,
        ) => error(
            405,
            "METHOD_NOT_ALLOWED",
            &format!("{method} is not supported on {}", req.path),
        ),
        _ => error(
            404,
            "NOT_FOUND",
            &format!("No route for {method} {}", req.path),
        ),
    }
}

fn parse_usize(req: &Req, name: &str) -> Result<Option<usize>, Resp> {
    match req.query_param(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map(Some)
            .map_err(|_| bad_request(&format!("'{name}' must be a non-negative integer"))),
    }
}

/// The `limit` query parameter of a list: `page_size` when absent or 0.
fn page_limit(req: &Req, page_size: usize) -> Result<usize, Resp> {
    let limit = parse_usize(req, "limit")?;
    Ok(limit.filter(|l| *l > 0).unwrap_or(page_size).max(1))
}

fn list_catalog(state: &State, req: &Req, page_size: usize) -> Resp {
    let limit = match page_limit(req, page_size) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let offset = match parse_usize(req, "offset") {
        Ok(o) => o.unwrap_or(0),
        Err(r) => return r,
    };
    let total = state.apono.catalog.len();
    let data: Vec<Value> = state
        .apono
        .catalog
        .iter()
        .skip(offset)
        .take(limit)
        .map(|e| e.json.clone())
        .collect();
    Resp::json(
        200,
        json!({"data": data, "pagination": {"total": total, "limit": limit, "offset": offset}}),
    )
}

fn list_integrations(state: &State, req: &Req, page_size: usize) -> Resp {
    let limit = match page_limit(req, page_size) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let offset = match req.query_param("page_token") {
        None => 0,
        Some(t) if t.is_empty() => 0,
        Some(t) => match t.parse::<usize>() {
            Ok(o) => o,
            Err(_) => return bad_request(&format!("Invalid page_token '{t}'")),
        },
    };
    let types = req.query_values("type");
    let categories = req.query_values("category");
    let statuses = req.query_values("status");
    let connectors = req.query_values("connector_id");
    let name = req.query_param("name").filter(|n| !n.is_empty());
    let matching: Vec<&Integration> = state
        .apono
        .integrations
        .iter()
        .filter(|i| {
            types.is_empty() || types.iter().any(|t| wildcard_match(t, &i.integration_type))
        })
        .filter(|i| {
            categories.is_empty()
                || categories
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&i.category))
        })
        .filter(|i| {
            statuses.is_empty() || statuses.iter().any(|s| s.eq_ignore_ascii_case(&i.status))
        })
        .filter(|i| {
            connectors.is_empty()
                || i.extra
                    .get("connector_id")
                    .and_then(Value::as_str)
                    .is_some_and(|c| connectors.iter().any(|x| x == c))
        })
        .filter(|i| name.as_ref().is_none_or(|n| wildcard_match(n, &i.name)))
        .collect();
    let items: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|i| i.render_v4())
        .collect();
    let next = (offset + limit < matching.len()).then(|| (offset + limit).to_string());
    Resp::json(
        200,
        json!({"items": items, "pagination": {"next_page_token": next}}),
    )
}

/// Optional fields of create/update bodies kept as given.
const EXTRA_FIELDS: &[&str] = &[
    "connector_id",
    "secret_store_config",
    "connected_resource_types",
    "custom_access_details",
    "owner",
    "owners_mapping",
];

/// Checks the body's `integration_config`: present, and as the catalog entry of
/// `integration_type` describes it.
fn check_config(state: &State, integration_type: &str, body: &Value) -> Result<(), Resp> {
    let config = &body["integration_config"];
    if config.is_null() {
        return Err(bad_request("'integration_config' is required"));
    }
    let Some(config) = config.as_object() else {
        return Err(bad_request("'integration_config' must be a JSON object"));
    };
    let Some(entry) = state.apono.catalog_entry(integration_type) else {
        return Ok(());
    };
    let params = entry.json["params"].as_array().cloned().unwrap_or_default();
    for key in config.keys() {
        if !params.iter().any(|p| p["id"] == json!(key)) {
            let known: Vec<&str> = params.iter().filter_map(|p| p["id"].as_str()).collect();
            return Err(bad_request(&format!(
                "Unknown parameter '{key}' in integration_config for type '{integration_type}' (expected: {})",
                known.join(", ")
            )));
        }
    }
    for p in &params {
        let id = p["id"].as_str().unwrap_or_default();
        let value = config.get(id);
        if let Some(v) = value
            && !v.is_string()
            && !v.is_null()
        {
            return Err(bad_request(&format!(
                "Parameter '{id}' of integration_config must be a string"
            )));
        }
        let empty = value
            .and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty());
        let required =
            p["optional"] == json!(false) && p["default"].as_str().unwrap_or("").is_empty();
        if required && empty {
            return Err(bad_request(&format!(
                "Missing required parameter '{id}' ({}) in integration_config",
                p["label"].as_str().unwrap_or(id)
            )));
        }
        if let (Some(values), Some(v)) = (p["values"].as_array(), value.and_then(Value::as_str))
            && !values.is_empty()
            && !values.iter().any(|x| x == v)
        {
            return Err(bad_request(&format!(
                "Parameter '{id}' must be one of {}",
                Value::Array(values.clone())
            )));
        }
    }
    Ok(())
}

fn extras(body: &Value) -> Map<String, Value> {
    EXTRA_FIELDS
        .iter()
        .filter_map(|f| {
            body.get(*f)
                .filter(|v| !v.is_null())
                .map(|v| (f.to_string(), v.clone()))
        })
        .collect()
}

/// A string field a create or update body must carry, trimmed.
fn required(body: &Value, field: &str) -> Result<String, Resp> {
    let value = body[field].as_str().unwrap_or("").trim();
    if value.is_empty() {
        return Err(bad_request(&format!("'{field}' is required")));
    }
    Ok(value.to_string())
}

/// Refuses a name another integration (other than `except_id`) already has.
fn check_unique_name(state: &State, name: &str, except_id: Option<&str>) -> Result<(), Resp> {
    let taken = state
        .apono
        .integrations
        .iter()
        .any(|i| i.name == name && Some(i.id.as_str()) != except_id);
    if taken {
        return Err(bad_request(&format!(
            "An integration named '{name}' already exists"
        )));
    }
    Ok(())
}

/// `Err` is the 400 answer.
fn create_integration(state: &mut State, req: &Req) -> Result<Resp, Resp> {
    let body = req.json.clone().unwrap_or(Value::Null);
    let name = required(&body, "name")?;
    let integration_type = required(&body, "type")?;
    let Some(entry) = state.apono.catalog_entry(&integration_type) else {
        return Err(bad_request(&format!(
            "Integration type '{integration_type}' is not supported"
        )));
    };
    let category = entry.category.clone();
    let requires_secret = entry.json["requires_secret"] == json!(true);
    check_config(state, &integration_type, &body)?;
    if requires_secret && body.get("secret_store_config").is_none_or(Value::is_null) {
        return Err(bad_request(&format!(
            "Integration type '{integration_type}' requires 'secret_store_config'"
        )));
    }
    check_unique_name(state, &name, None)?;
    let integration = Integration {
        id: uuid(),
        name,
        integration_type,
        category,
        status: "Initializing".into(),
        details: None,
        config: body["integration_config"].clone(),
        last_sync_time: None,
        last_sync_epoch: None,
        polls: 0,
        extra: extras(&body),
        changed_at: Some(std::time::Instant::now()),
    };
    let out = integration.render_v4();
    state.apono.integrations.push(integration);
    Ok(Resp::json(200, out))
}

/// `Err` is the 400 or 404 answer.
fn update_integration(state: &mut State, req: &Req, id: &str) -> Result<Resp, Resp> {
    let body = req.json.clone().unwrap_or(Value::Null);
    let Some(current) = state.apono.integration(id) else {
        return Err(integration_not_found(id));
    };
    let integration_type = current.integration_type.clone();
    let name = required(&body, "name")?;
    check_config(state, &integration_type, &body)?;
    check_unique_name(state, &name, Some(id))?;
    let Some(integration) = state.apono.integrations.iter_mut().find(|i| i.id == id) else {
        return Err(integration_not_found(id));
    };
    integration.name = name;
    integration.config = body["integration_config"].clone();
    integration.extra = extras(&body);
    integration.status = "Initializing".into();
    integration.details = None;
    integration.polls = 0;
    integration.changed_at = Some(std::time::Instant::now());
    Ok(Resp::json(200, integration.render_v4()))
}

/// A read of an integration: while `Initializing`, the first `settle_after.after_reads`
/// reads answer `Initializing` (or, with `after_time`, the reads until that much time has
/// passed since the create or update); the next one evaluates the Okta side, as Apono's
/// first sync would.
fn poll<'a>(state: &'a mut State, id: &str, settle_after: Settle) -> Option<&'a Integration> {
    let pos = state.apono.integrations.iter().position(|i| i.id == id)?;
    let needs_eval = {
        let i = &mut state.apono.integrations[pos];
        if i.status == "Initializing" {
            let waiting = match (settle_after.after_time, i.changed_at) {
                (Some(activation), Some(changed)) => changed.elapsed() < activation,
                (Some(_), None) => false,
                (None, _) => i.polls < settle_after.after_reads,
            };
            if waiting {
                i.polls += 1;
                false
            } else {
                true
            }
        } else {
            false
        }
    };
    if needs_eval {
        let verdict = evaluate(
            &state.okta,
            &state.apono.apono_public_jwk,
            &state.apono.integrations[pos],
        );
        let i = &mut state.apono.integrations[pos];
        match verdict {
            Ok(()) => {
                let now = epoch_secs();
                i.status = "Active".into();
                i.details = None;
                i.last_sync_time = Some(iso_from_epoch(now, 0));
                i.last_sync_epoch = Some(now);
            }
            Err(message) => {
                i.status = "Error".into();
                i.details = Some(message);
            }
        }
    }
    state.apono.integrations.get(pos)
}

/// Lower-cased `host[:port]` of a domain or URL as a user might write it.
fn normalize_domain(d: &str) -> String {
    let d = d.trim();
    let d = d
        .strip_prefix("https://")
        .or_else(|| d.strip_prefix("http://"))
        .unwrap_or(d);
    d.split('/').next().unwrap_or("").to_lowercase()
}

/// What Apono's first sync of an Okta integration finds: `Err` says what is wrong.
/// Integrations of other types always sync.
pub(crate) fn evaluate(
    okta: &OktaState,
    apono_jwk: &Value,
    integration: &Integration,
) -> Result<(), String> {
    if integration.integration_type != "okta-directory" && integration.integration_type != "okta" {
        return Ok(());
    }
    let config = &integration.config;
    let domain = config["okta_domain"]
        .as_str()
        .or_else(|| config["domain"].as_str())
        .unwrap_or("");
    let ours = okta.domain.to_lowercase();
    if domain.contains("://") || domain.trim_end_matches('/').contains('/') {
        return Err(format!(
            "Invalid Okta domain '{domain}': expected a host name such as example.okta.com, without scheme or path"
        ));
    }
    if normalize_domain(domain) != ours {
        return Err(format!(
            "Could not connect to Okta at '{domain}': it is not this organization's domain ('{ours}')"
        ));
    }
    let client_id = config["client_id"].as_str().unwrap_or("").trim();
    let Some(app) = okta.app_by_client_id(client_id) else {
        return Err(format!(
            "Okta rejected the client credentials (invalid_client): no app has client id '{client_id}'"
        ));
    };
    if !app.is_active() {
        return Err(format!(
            "Okta rejected the client credentials (invalid_client): the app '{}' ({}) is {}",
            app.label, app.id, app.status
        ));
    }
    if app.token_endpoint_auth_method != "private_key_jwt" {
        return Err(format!(
            "Okta rejected the client assertion (invalid_client): the app '{}' authenticates with {}, not private_key_jwt",
            app.label, app.token_endpoint_auth_method
        ));
    }
    if !app.has_active_key(apono_jwk) {
        return Err(format!(
            "Okta rejected the client assertion (invalid_client): the app '{}' has no active JSON Web Key matching Apono's public key (kid {})",
            app.label,
            apono_jwk["kid"].as_str().unwrap_or("?")
        ));
    }
    let missing: Vec<&str> = ["okta.users.read", "okta.groups.read"]
        .into_iter()
        .filter(|s| !app.has_grant(s))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Okta answered 400 invalid_scope: the app '{}' has not been granted {}",
            app.label,
            missing.join(" and ")
        ));
    }
    if app.roles.is_empty() {
        return Err(format!(
            "Okta answered 403 E0000006: the app '{}' has no admin role (assign READ_ONLY_ADMIN to client {})",
            app.label, app.client_id
        ));
    }
    if app.roles.iter().any(|r| r.role_type != "CUSTOM") {
        return Ok(());
    }
    // Only custom roles: one of them must reach users and groups.
    let reasons: Vec<String> = app
        .roles
        .iter()
        .map(|r| custom_role_gap(okta, &r.custom))
        .collect::<Option<Vec<String>>>()
        .unwrap_or_default();
    if reasons.is_empty() {
        return Ok(());
    }
    Err(format!(
        "Okta answered 403 E0000006: the app '{}' cannot read users and groups: {}",
        app.label,
        reasons.join("; ")
    ))
}

/// What keeps a `CUSTOM` assignment (`{"role", "resource-set"}`) from reading users and
/// groups, or `None` when it can.
fn custom_role_gap(okta: &OktaState, assignment: &Value) -> Option<String> {
    let role_id = assignment["role"].as_str().unwrap_or("");
    let set_id = assignment["resource-set"].as_str().unwrap_or("");
    let Some(role) = okta.custom_role(role_id) else {
        return Some(format!("its custom role {role_id} does not exist"));
    };
    let Some(set) = okta.resource_set(set_id) else {
        return Some(format!("its resource set {set_id} does not exist"));
    };
    let mut gaps = Vec::new();
    for kind in ["users", "groups"] {
        let permission = format!("okta.{kind}.read");
        let manage = format!("okta.{kind}.manage");
        if !role
            .permissions
            .iter()
            .any(|p| *p == permission || *p == manage)
        {
            gaps.push(format!("the role '{}' lacks {permission}", role.label));
        }
        if !set.has_resource(&format!("{}/api/v1/{kind}", okta.org_url)) {
            gaps.push(format!(
                "the resource set '{}' does not hold the {kind}",
                set.label
            ));
        }
    }
    (!gaps.is_empty()).then(|| gaps.join(", "))
}
