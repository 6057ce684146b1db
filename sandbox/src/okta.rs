//! The imitated Okta Management API: who the caller is (`SSWS` tokens), what their admin
//! roles let them do, the routes, and the handler of each route, with Okta's validation
//! and error bodies. What the org holds lives in [`super::state`]; the headers every
//! answer carries are added by [`super::server`].
//!
//! Error codes (all bodies are `{errorCode, errorSummary, errorLink, errorId, errorCauses}`):
//! - 401 `E0000011` "Invalid token provided": missing, unknown or revoked `SSWS` token.
//! - 403 `E0000006` "You do not have permission to perform the requested action": a token
//!   whose user lacks the role (writes to grants and client roles need `SUPER_ADMIN`,
//!   writes to apps `SUPER_ADMIN`/`ORG_ADMIN`/`APP_ADMIN`, reads any admin role).
//! - 400 `E0000003` "The request body was not well-formed.": body not a JSON object.
//! - 400 `E0000001` "Api validation failed: {field}" with `errorCauses`: every validation
//!   error (app fields, JWKs, grant issuer, unknown scope, duplicate grant, unknown role
//!   type, the last active key of a `private_key_jwt` app, deleting an active key).
//! - 403 `E0000056` "Delete application forbidden.": deleting an `ACTIVE` app.
//! - 404 `E0000007` "Not found: Resource not found: {id} ({Kind})": unknown resource,
//!   and unknown paths.
//! - 405 `E0000022` "The endpoint does not support the provided HTTP method".
//! - 409 `E0000090` "Duplicate role assignment exception": role already assigned.
//!
//! `GET /.well-known/okta-organization` (the org metadata) needs no token and ignores
//! one: a client reads it to learn that a host is an Okta org before sending its token.

use serde_json::{Value, json};

use super::iam;
use super::state::{App, Grant, Key, OktaState, RoleAssignment, State, base_app_json, role_label};
use super::util::{Req, Resp, base62, epoch_secs, iso_from_epoch, iso_now, okta_id, remove_where};

/// The sandbox's own endpoint, not part of Okta's API and never recorded as an
/// exchange: `POST /sandbox/tokens` (no body, no auth; the server listens on loopback
/// only) answers 201 `{"token": "00...", "user": "ada.admin@example.com"}`, a fresh
/// `SUPER_ADMIN` API token. Real Okta tokens come from a person in the admin console;
/// this is how a sandbox shows more than one run (the first run revokes its token).
pub(crate) const MINT_TOKEN_PATH: &str = "/sandbox/tokens";

/// A fresh API token of the super admin the sandbox starts with (the first token's user).
pub(crate) fn mint_super_admin_token(okta: &mut OktaState) -> String {
    let user_id = okta.api_tokens[0].user_id.clone();
    okta.seed_api_token(&user_id, "apono-okta (minted by the sandbox)")
}

/// The answer of [`MINT_TOKEN_PATH`].
pub(crate) fn mint_token_response(okta: &mut OktaState) -> Resp {
    let token = mint_super_admin_token(okta);
    let user_id = okta.api_tokens[0].user_id.clone();
    let login = okta
        .users
        .iter()
        .find(|u| u.id == user_id)
        .and_then(|u| u.json["profile"]["login"].as_str().map(str::to_string))
        .unwrap_or_default();
    Resp::json(201, json!({"token": token, "user": login}))
}

/// An Okta error response.
pub(crate) fn error(status: u16, code: &str, summary: &str, causes: &[String]) -> Resp {
    Resp::json(
        status,
        json!({
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": format!("oae{}", base62(22)),
            "errorCauses": causes.iter().map(|c| json!({"errorSummary": c})).collect::<Vec<_>>(),
        }),
    )
}

fn unauthorized() -> Resp {
    error(401, "E0000011", "Invalid token provided", &[])
}

fn forbidden() -> Resp {
    error(
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
        &[],
    )
}

pub(crate) fn not_found(id: &str, kind: &str) -> Resp {
    error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {id} ({kind})"),
        &[],
    )
}

fn malformed() -> Resp {
    error(
        400,
        "E0000003",
        "The request body was not well-formed.",
        &[],
    )
}

fn method_not_allowed() -> Resp {
    error(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
        &[],
    )
}

fn invalid(what: &str, causes: &[String]) -> Resp {
    error(
        400,
        "E0000001",
        &format!("Api validation failed: {what}"),
        causes,
    )
}

fn jwk_invalid(cause: &str) -> Resp {
    invalid("JsonWebKey", &[cause.to_string()])
}

/// How many keys an app may hold.
const MAX_KEYS: usize = 50;
const TOO_MANY_KEYS: &str = "You can't create a new key. You have reached the maximum number of keys allowed (50). To add another key, you must first delete an existing one.";
const ONE_ACTIVE_ENCRYPTION_KEY: &str =
    "The client can have only one active encryption key in the 'jwks'.";

/// Whether one of the app's keys is an active encryption key.
fn has_active_encryption_key(app: &App) -> bool {
    app.keys
        .iter()
        .any(|k| k.key_use() == "enc" && k.status == "ACTIVE")
}

/// The 429 answer of a rate-limited call.
pub(crate) fn rate_limited() -> Resp {
    error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        &[],
    )
}

enum Route<'a> {
    Users,
    User(&'a str),
    UserRoles(&'a str),
    Groups,
    ClientPrivileges,
    Apps,
    App(&'a str),
    AppLifecycle(&'a str, &'a str),
    Jwks(&'a str),
    Jwk(&'a str, &'a str),
    JwkLifecycle(&'a str, &'a str, &'a str),
    Grants(&'a str),
    Grant(&'a str, &'a str),
    ClientRoles(&'a str),
    ClientRole(&'a str, &'a str),
    ApiTokens,
    ApiToken(&'a str),
    IamRoles,
    IamRole(&'a str),
    IamRolePermissions(&'a str),
    IamRolePermission(&'a str, &'a str),
    ResourceSets,
    ResourceSet(&'a str),
    ResourceSetResources(&'a str),
    ResourceSetResource(&'a str, &'a str),
}

fn route<'a>(segments: &[&'a str]) -> Option<Route<'a>> {
    use Route::*;
    Some(match segments {
        ["api", "v1", "users"] => Users,
        ["api", "v1", "users", id] => User(id),
        ["api", "v1", "users", id, "roles"] => UserRoles(id),
        ["api", "v1", "groups"] => Groups,
        ["api", "v1", "org", "settings", "clientPrivilegesSetting"] => ClientPrivileges,
        ["api", "v1", "apps"] => Apps,
        ["api", "v1", "apps", id] => App(id),
        [
            "api",
            "v1",
            "apps",
            id,
            "lifecycle",
            op @ ("activate" | "deactivate"),
        ] => AppLifecycle(id, op),
        ["api", "v1", "apps", id, "credentials", "jwks"] => Jwks(id),
        ["api", "v1", "apps", id, "credentials", "jwks", key] => Jwk(id, key),
        [
            "api",
            "v1",
            "apps",
            id,
            "credentials",
            "jwks",
            key,
            "lifecycle",
            op @ ("activate" | "deactivate"),
        ] => JwkLifecycle(id, key, op),
        ["api", "v1", "apps", id, "grants"] => Grants(id),
        ["api", "v1", "apps", id, "grants", grant] => Grant(id, grant),
        ["oauth2", "v1", "clients", client, "roles"] => ClientRoles(client),
        ["oauth2", "v1", "clients", client, "roles", role] => ClientRole(client, role),
        ["api", "v1", "api-tokens"] => ApiTokens,
        ["api", "v1", "api-tokens", id] => ApiToken(id),
        ["api", "v1", "iam", "roles"] => IamRoles,
        ["api", "v1", "iam", "roles", id] => IamRole(id),
        ["api", "v1", "iam", "roles", id, "permissions"] => IamRolePermissions(id),
        ["api", "v1", "iam", "roles", id, "permissions", p] => IamRolePermission(id, p),
        ["api", "v1", "iam", "resource-sets"] => ResourceSets,
        ["api", "v1", "iam", "resource-sets", id] => ResourceSet(id),
        ["api", "v1", "iam", "resource-sets", id, "resources"] => ResourceSetResources(id),
        ["api", "v1", "iam", "resource-sets", id, "resources", r] => ResourceSetResource(id, r),
        _ => return None,
    })
}

/// Who is calling.
struct Caller {
    user_id: String,
    token_id: String,
    roles: Vec<String>,
}

impl Caller {
    fn has(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
    fn is_admin(&self) -> bool {
        !self.roles.is_empty()
    }
    fn can_manage_apps(&self) -> bool {
        self.has("SUPER_ADMIN") || self.has("ORG_ADMIN") || self.has("APP_ADMIN")
    }
    /// The user id a path means: `me` is the caller.
    fn user_id<'a>(&'a self, id: &'a str) -> &'a str {
        if id == "me" { &self.user_id } else { id }
    }
    /// The token id a path means: `current` is the caller's token.
    fn token_id<'a>(&'a self, id: &'a str) -> &'a str {
        if id == "current" { &self.token_id } else { id }
    }
}

/// The path of the org metadata, the one route that takes no token.
pub(crate) const ORG_METADATA_PATH: &str = "/.well-known/okta-organization";

/// `GET /.well-known/okta-organization`: the org's id, its pipeline and its URL, as the
/// reference document's `WellKnownOrgMetadata` says. The sandbox has no custom domain,
/// so there is no `alternate` link.
fn org_metadata(okta: &OktaState, req: &Req) -> Resp {
    if req.method != "GET" {
        return method_not_allowed();
    }
    Resp::json(
        200,
        json!({
            "id": okta.org_id,
            "pipeline": "idx",
            "_links": {"organization": {"href": okta.org_url}}
        }),
    )
}

/// Answers one Okta request.
pub(crate) fn handle(state: &mut State, req: &Req, page_size: usize) -> Resp {
    let okta = &mut state.okta;
    if req.path.trim_end_matches('/') == ORG_METADATA_PATH {
        return org_metadata(okta, req);
    }
    let Some(token) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("SSWS "))
        .map(str::trim)
    else {
        return unauthorized();
    };
    let Some(api_token) = okta
        .api_tokens
        .iter()
        .find(|t| t.token == token && !t.revoked)
    else {
        return unauthorized();
    };
    let Some(user) = okta.user(&api_token.user_id) else {
        return unauthorized();
    };
    let caller = Caller {
        user_id: user.id.clone(),
        token_id: api_token.id.clone(),
        roles: user.roles.iter().map(|r| r.role_type.clone()).collect(),
    };
    let segments = req.segments();
    let Some(route) = route(&segments) else {
        return not_found(&req.path, "Resource");
    };
    let method = req.method.as_str();
    let is_self = |id: &str| id == "me" || id == caller.user_id;
    // Permission checks come before existence checks, as Okta does.
    let allowed = match (&route, method) {
        (Route::User(id) | Route::UserRoles(id), "GET") if is_self(id) => true,
        (Route::ApiToken("current"), _) => true,
        (Route::ApiToken(_), "DELETE") => true, // checked in place: own token or super admin
        (_, "GET") => caller.is_admin(),
        (Route::Apps | Route::App(_) | Route::AppLifecycle(..), _) => caller.can_manage_apps(),
        (Route::Jwks(_) | Route::Jwk(..) | Route::JwkLifecycle(..), _) => caller.can_manage_apps(),
        _ => caller.has("SUPER_ADMIN"),
    };
    if !allowed {
        return forbidden();
    }
    if matches!(method, "POST" | "PUT" | "PATCH")
        && (req.body_is_malformed() || req.json.as_ref().is_some_and(|j| !j.is_object()))
    {
        return malformed();
    }
    if !okta.custom_admin_roles && uses_custom_admin_roles(&route, req) {
        return feature_unavailable();
    }
    match (route, method) {
        (Route::Users, "GET") => list_users(okta, req, page_size),
        (Route::User(id), "GET") => match find_user(okta, caller.user_id(id)) {
            Some(u) => Resp::json(200, u.json.clone()),
            None => not_found(caller.user_id(id), "User"),
        },
        (Route::UserRoles(id), "GET") => match find_user(okta, caller.user_id(id)) {
            Some(u) => role_list(&u.roles, &format!("{}/api/v1/users/{}", okta.org_url, u.id)),
            None => not_found(caller.user_id(id), "User"),
        },
        (Route::Groups, "GET") => list_groups(okta, req, page_size),
        (Route::ClientPrivileges, "GET") => Resp::json(
            200,
            json!({"clientPrivilegesSetting": okta.client_privileges_setting}),
        ),
        (Route::Apps, "GET") => list_apps(okta, req, page_size),
        (Route::Apps, "POST") => create_app(okta, req),
        (Route::App(id), "GET") => match okta.app(id) {
            Some(app) => Resp::json(200, app.json.clone()),
            None => app_not_found(id),
        },
        (Route::App(id), "PUT") => replace_app(okta, req, id),
        (Route::App(id), "DELETE") => delete_app(okta, id),
        (Route::AppLifecycle(id, op), "POST") => {
            let org_url = okta.org_url.clone();
            match okta.app_mut(id) {
                Some(app) => {
                    let status = lifecycle_status(op);
                    if app.status != status {
                        app.status = status.into();
                        app.last_updated = iso_now();
                        app.refresh(&org_url);
                    }
                    Resp::json(200, json!({}))
                }
                None => app_not_found(id),
            }
        }
        (Route::Jwks(id), "GET") => match okta.app(id) {
            Some(app) => list(app.keys.iter().map(|k| k.render(&okta.org_url, &app.id))),
            None => app_not_found(id),
        },
        (Route::Jwks(id), "POST") => add_jwk(okta, req, id),
        (Route::Jwk(id, key), "GET") => match okta.app(id) {
            Some(app) => match app.key(key) {
                Some(k) => Resp::json(200, k.render(&okta.org_url, &app.id)),
                None => not_found(key, "JsonWebKey"),
            },
            None => app_not_found(id),
        },
        (Route::Jwk(id, key), "DELETE") => delete_jwk(okta, id, key),
        (Route::JwkLifecycle(id, key, op), "POST") => jwk_lifecycle(okta, id, key, op),
        (Route::Grants(id), "GET") => match okta.app(id) {
            Some(app) => list(app.grants.iter().map(|g| g.render(&okta.org_url, app))),
            None => app_not_found(id),
        },
        (Route::Grants(id), "POST") => create_grant(okta, req, id, &caller.user_id),
        (Route::Grant(id, grant), "GET") => match okta.app(id) {
            Some(app) => match app.grants.iter().find(|g| g.id == grant) {
                Some(g) => Resp::json(200, g.render(&okta.org_url, app)),
                None => not_found(grant, "OAuth2ScopeConsentGrant"),
            },
            None => app_not_found(id),
        },
        (Route::Grant(id, grant), "DELETE") => match okta.app_mut(id) {
            Some(app) => delete_where(
                &mut app.grants,
                |g| g.id == grant,
                grant,
                "OAuth2ScopeConsentGrant",
            ),
            None => app_not_found(id),
        },
        (Route::ClientRoles(client), "GET") => match okta.app_by_client_id(client) {
            Some(app) => role_list(&app.roles, &client_href(&okta.org_url, client)),
            None => not_found(client, "Client"),
        },
        (Route::ClientRoles(client), "POST") => assign_client_role(okta, req, client),
        (Route::ClientRole(client, role), "GET") => match okta.app_by_client_id(client) {
            Some(app) => match app.roles.iter().find(|r| r.id == role) {
                Some(r) => Resp::json(200, r.render(&client_href(&okta.org_url, client))),
                None => not_found(role, "RoleAssignment"),
            },
            None => not_found(client, "Client"),
        },
        (Route::ClientRole(client, role), "DELETE") => match okta.app_by_client_id_mut(client) {
            Some(app) => delete_where(&mut app.roles, |r| r.id == role, role, "RoleAssignment"),
            None => not_found(client, "Client"),
        },
        (Route::ApiTokens, "GET") => list(
            okta.api_tokens
                .iter()
                .filter(|t| !t.revoked)
                .map(|t| render_token(&okta.org_url, t)),
        ),
        (Route::ApiToken(id), "GET") => {
            let id = caller.token_id(id);
            match okta.api_tokens.iter().find(|t| t.id == id && !t.revoked) {
                Some(t) => Resp::json(200, render_token(&okta.org_url, t)),
                None => not_found(id, "ApiToken"),
            }
        }
        (Route::ApiToken(id), "DELETE") => {
            let id = caller.token_id(id);
            let super_admin = caller.has("SUPER_ADMIN");
            match okta
                .api_tokens
                .iter_mut()
                .find(|t| t.id == id && !t.revoked)
            {
                Some(t) if t.user_id == caller.user_id || super_admin => {
                    t.revoked = true;
                    Resp::empty(204)
                }
                Some(_) => forbidden(),
                None => not_found(id, "ApiToken"),
            }
        }
        (Route::IamRoles, "GET") => iam::list_roles(okta, req, page_size),
        (Route::IamRoles, "POST") => iam::create_role(okta, req),
        (Route::IamRole(id), "GET") => iam::get_role(okta, id),
        (Route::IamRole(id), "DELETE") => iam::delete_role(okta, id),
        (Route::IamRolePermissions(id), "GET") => iam::list_permissions(okta, id),
        (Route::IamRolePermission(id, p), "POST") => iam::add_permission(okta, id, p),
        (Route::IamRolePermission(id, p), "DELETE") => iam::delete_permission(okta, id, p),
        (Route::ResourceSets, "GET") => iam::list_resource_sets(okta, req, page_size),
        (Route::ResourceSets, "POST") => iam::create_resource_set(okta, req),
        (Route::ResourceSet(id), "GET") => iam::get_resource_set(okta, id),
        (Route::ResourceSet(id), "DELETE") => iam::delete_resource_set(okta, id),
        (Route::ResourceSetResources(id), "GET") => iam::list_resources(okta, req, id, page_size),
        (Route::ResourceSetResources(id), "PATCH") => iam::add_resources(okta, req, id),
        (Route::ResourceSetResource(id, r), "DELETE") => iam::delete_resource(okta, id, r),
        _ => method_not_allowed(),
    }
}

fn app_not_found(id: &str) -> Resp {
    not_found(id, "AppInstance")
}

/// Deletes the items that match: 204, or 404 naming `id` and `kind` when none did.
fn delete_where<T>(items: &mut Vec<T>, matches: impl Fn(&T) -> bool, id: &str, kind: &str) -> Resp {
    if remove_where(items, matches) {
        Resp::empty(204)
    } else {
        not_found(id, kind)
    }
}

/// A 200 answer listing these objects.
fn list(items: impl Iterator<Item = Value>) -> Resp {
    Resp::json(200, Value::Array(items.collect()))
}

/// A 200 answer listing role assignments; `assignee` is the user's or client's href.
fn role_list(roles: &[RoleAssignment], assignee: &str) -> Resp {
    list(roles.iter().map(|r| r.render(assignee)))
}

/// The href of an app's OAuth client, the assignee of its roles.
fn client_href(org_url: &str, client_id: &str) -> String {
    format!("{org_url}/oauth2/v1/clients/{client_id}")
}

/// `ACTIVE` for the `activate` lifecycle operation, `INACTIVE` for `deactivate`.
fn lifecycle_status(op: &str) -> &'static str {
    if op == "activate" {
        "ACTIVE"
    } else {
        "INACTIVE"
    }
}

fn find_user<'a>(okta: &'a OktaState, id: &str) -> Option<&'a super::state::User> {
    okta.users
        .iter()
        .find(|u| u.id == id || u.json["profile"]["login"].as_str() == Some(id))
}

fn render_token(org_url: &str, t: &super::state::ApiToken) -> Value {
    json!({
        "name": t.name,
        "userId": t.user_id,
        "tokenWindow": "P30D",
        "network": {"connection": "ANYWHERE"},
        "id": t.id,
        "clientName": "Okta API",
        "expiresAt": iso_from_epoch(epoch_secs() + 30 * 86_400, 0),
        "created": t.created,
        "lastUpdated": t.created,
        "_links": {
            "self": {"href": format!("{org_url}/api/v1/api-tokens/{}", t.id), "hints": {"allow": ["GET", "DELETE"]}},
            "user": {"href": format!("{org_url}/api/v1/users/{}", t.user_id), "hints": {"allow": ["GET"]}},
        },
    })
}

/// One page of a list, with Okta's `Link` headers (`self`, and `next` when more remain).
/// `items` are `(seq, json)` in order; the `after` cursor is a seq.
fn paginate(okta: &OktaState, req: &Req, items: Vec<(u64, Value)>, page_size: usize) -> Resp {
    let limit = match req.query_param("limit") {
        None => page_size,
        Some(l) => match l.trim().parse::<i64>() {
            Ok(n) if n <= 0 => page_size,
            Ok(n) => (n as usize).min(200),
            Err(_) => {
                return invalid("limit", &[format!("limit: '{l}' is not a valid page size")]);
            }
        },
    }
    .max(1);
    let after = match req.query_param("after") {
        None => None,
        Some(a) => match a.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return invalid("after", &[format!("after: '{a}' is not a valid cursor")]);
            }
        },
    };
    let rest: Vec<(u64, Value)> = items
        .into_iter()
        .filter(|(seq, _)| after.is_none_or(|a| *seq > a))
        .collect();
    let more = rest.len() > limit;
    let page: Vec<(u64, Value)> = rest.into_iter().take(limit).collect();
    let base = format!("{}{}", okta.org_url, req.path);
    let self_url = if req.query.is_empty() {
        base.clone()
    } else {
        format!("{base}?{}", req.query)
    };
    let mut resp = Resp::json(
        200,
        Value::Array(page.iter().map(|(_, v)| v.clone()).collect()),
    )
    .with_header("link", format!("<{self_url}>; rel=\"self\""));
    if more && let Some((last, _)) = page.last() {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("after", &last.to_string());
        q.append_pair("limit", &limit.to_string());
        for (k, v) in req.query_pairs() {
            if k != "after" && k != "limit" {
                q.append_pair(&k, &v);
            }
        }
        resp = resp.with_header("link", format!("<{base}?{}>; rel=\"next\"", q.finish()));
    }
    resp
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.to_lowercase().starts_with(&prefix.to_lowercase())
}

fn list_users(okta: &OktaState, req: &Req, page_size: usize) -> Resp {
    let q = req.query_param("q").unwrap_or_default();
    let items = okta
        .users
        .iter()
        .filter(|u| {
            q.is_empty()
                || ["firstName", "lastName", "email", "login"]
                    .iter()
                    .any(|f| starts_with_ci(u.json["profile"][f].as_str().unwrap_or(""), &q))
        })
        .map(|u| (u.seq, u.json.clone()))
        .collect();
    paginate(okta, req, items, page_size)
}

fn list_groups(okta: &OktaState, req: &Req, page_size: usize) -> Resp {
    let q = req.query_param("q").unwrap_or_default();
    let items = okta
        .groups
        .iter()
        .filter(|g| {
            q.is_empty() || starts_with_ci(g.json["profile"]["name"].as_str().unwrap_or(""), &q)
        })
        .map(|g| (g.seq, g.json.clone()))
        .collect();
    paginate(okta, req, items, page_size)
}

/// `filter` clauses of `GET /api/v1/apps` the sandbox understands: `field eq "value"`
/// joined by `and`, on `status`, `name`, `id` (other fields are ignored).
fn parse_filter(filter: &str) -> Vec<(String, String)> {
    let lower = filter.to_lowercase();
    let mut clauses = Vec::new();
    let mut start = 0;
    let mut parts = Vec::new();
    while let Some(pos) = lower[start..].find(" and ") {
        parts.push(&filter[start..start + pos]);
        start += pos + 5;
    }
    parts.push(&filter[start..]);
    for part in parts {
        let mut words = part.trim().splitn(3, ' ');
        if let (Some(field), Some(op), Some(value)) = (words.next(), words.next(), words.next())
            && op.eq_ignore_ascii_case("eq")
        {
            clauses.push((
                field.to_string(),
                value.trim().trim_matches('"').to_string(),
            ));
        }
    }
    clauses
}

fn list_apps(okta: &OktaState, req: &Req, page_size: usize) -> Resp {
    let q = req.query_param("q").unwrap_or_default();
    let filter = parse_filter(&req.query_param("filter").unwrap_or_default());
    let include_inactive = req
        .query_param("includeNonDeleted")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || filter
            .iter()
            .any(|(f, v)| f == "status" && v.eq_ignore_ascii_case("INACTIVE"));
    let items = okta
        .apps
        .iter()
        .filter(|a| include_inactive || a.is_active())
        .filter(|a| q.is_empty() || starts_with_ci(&a.name, &q) || starts_with_ci(&a.label, &q))
        .filter(|a| {
            filter.iter().all(|(f, v)| match f.as_str() {
                "status" => a.status.eq_ignore_ascii_case(v),
                "name" => a.name == *v,
                "id" => a.id == *v,
                _ => true,
            })
        })
        .map(|a| (a.seq, a.json.clone()))
        .collect();
    paginate(okta, req, items, page_size)
}

const GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "client_credentials",
    "implicit",
    "interaction_code",
    "password",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:saml2-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:openid:params:grant-type:ciba",
    "urn:okta:params:oauth:grant-type:otp",
    "urn:okta:params:oauth:grant-type:oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
];
const AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_jwt",
    "client_secret_post",
    "none",
    "private_key_jwt",
];
const SIGN_ON_MODES: &[&str] = &[
    "AUTO_LOGIN",
    "BASIC_AUTH",
    "BOOKMARK",
    "BROWSER_PLUGIN",
    "OPENID_CONNECT",
    "SAML_1_1",
    "SAML_2_0",
    "SECURE_PASSWORD_STORE",
    "WS_FEDERATION",
];

/// A validated OpenID Connect app body.
struct AppBody {
    label: String,
    client_id: Option<String>,
    auth_method: String,
    /// `settings.oauthClient` without `jwks`.
    settings_client: Value,
    /// `credentials.oauthClient` as given.
    credentials_client: Value,
    /// `(jwk, status)` of `settings.oauthClient.jwks.keys`.
    keys: Vec<(Value, String)>,
    profile: Option<Value>,
}

fn field_blank(field: &str) -> String {
    format!("{field}: The field cannot be left blank")
}

/// Validation of one JWK; `Err` is the cause.
fn check_jwk(jwk: &Value, require_use: bool) -> Result<(), String> {
    let Some(obj) = jwk.as_object() else {
        return Err("jwks: Each key must be a JSON object.".into());
    };
    match obj.get("use").and_then(Value::as_str) {
        Some("sig" | "enc") => {}
        Some(other) => return Err(format!("use: '{other}' is not a valid key use (sig, enc).")),
        None if require_use => return Err(field_blank("use")),
        None => {}
    }
    if let Some(status) = obj.get("status")
        && status != "ACTIVE"
        && status != "INACTIVE"
    {
        return Err("status: Must be ACTIVE or INACTIVE.".into());
    }
    match obj.get("kty").and_then(Value::as_str) {
        Some("RSA") => {
            let n = obj.get("n").and_then(Value::as_str).unwrap_or("");
            let e = obj.get("e").and_then(Value::as_str).unwrap_or("");
            if n.is_empty() {
                return Err(field_blank("n"));
            }
            if e.is_empty() {
                return Err(field_blank("e"));
            }
            if n.trim_end_matches('=').len() * 6 / 8 < 256 {
                return Err(
                    "RSA key length in the 'jwks' is less than '2,048' bits for the given key."
                        .into(),
                );
            }
            Ok(())
        }
        Some("EC") => {
            for f in ["crv", "x", "y"] {
                if obj.get(f).and_then(Value::as_str).unwrap_or("").is_empty() {
                    return Err(field_blank(f));
                }
            }
            Ok(())
        }
        Some(other) => Err(format!(
            "kty: '{other}' is not a supported key type (RSA, EC)."
        )),
        None => Err(field_blank("kty")),
    }
}

/// Checks the `kid`s of a key set: unique, and present on every key when there are several.
fn check_kids<'a>(kids: impl Iterator<Item = Option<&'a str>>) -> Result<(), String> {
    let kids: Vec<Option<&str>> = kids.collect();
    if kids.len() > 1 && kids.iter().any(Option::is_none) {
        return Err("Each key should have a unique kid when adding multiple keys. Use the Apps API to update the JWKS to add a kid for the existing key, or delete the existing key and re-add the key with a kid using the JWKS APIs.".into());
    }
    let mut seen: Vec<&str> = Vec::new();
    for kid in kids.into_iter().flatten() {
        if seen.contains(&kid) {
            return Err("All keys in the 'jwks' must have a unique `kid`.".into());
        }
        seen.push(kid);
    }
    Ok(())
}

/// Validates an app body like Okta does for `OPENID_CONNECT`; `current` is the app being
/// replaced (PUT).
fn validate_app(okta: &OktaState, body: &Value, current: Option<&App>) -> Result<AppBody, Resp> {
    let mut causes: Vec<String> = Vec::new();
    let mut first_field: Option<&str> = None;
    let mut fail = |field: &'static str, cause: String, causes: &mut Vec<String>| {
        first_field.get_or_insert(field);
        causes.push(cause);
    };
    match body.get("signOnMode").and_then(Value::as_str) {
        None => fail("signOnMode", field_blank("signOnMode"), &mut causes),
        Some("OPENID_CONNECT") => {}
        Some(m) if SIGN_ON_MODES.contains(&m) => fail(
            "signOnMode",
            format!("signOnMode: The sandbox only imitates OPENID_CONNECT apps, not {m}."),
            &mut causes,
        ),
        Some(m) => fail(
            "signOnMode",
            format!("signOnMode: '{m}' is not a valid sign-on mode."),
            &mut causes,
        ),
    }
    let label = body
        .get("label")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if label.is_empty() {
        fail("label", field_blank("label"), &mut causes);
    } else if label.chars().count() > 100 {
        fail(
            "label",
            "label: The field is too long (100 characters at most).".into(),
            &mut causes,
        );
    }
    match body.get("name").and_then(Value::as_str) {
        Some("oidc_client") => {}
        None => fail("name", field_blank("name"), &mut causes),
        Some(n) => fail(
            "name",
            format!(
                "name: '{n}' is not a valid app name for signOnMode OPENID_CONNECT (oidc_client)."
            ),
            &mut causes,
        ),
    }
    let settings_client = body
        .pointer("/settings/oauthClient")
        .cloned()
        .unwrap_or(Value::Null);
    let credentials_client = body
        .pointer("/credentials/oauthClient")
        .cloned()
        .unwrap_or(json!({}));
    let auth_method = credentials_client
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or("client_secret_basic")
        .to_string();
    if !AUTH_METHODS.contains(&auth_method.as_str()) {
        fail(
            "token_endpoint_auth_method",
            format!("token_endpoint_auth_method: '{auth_method}' is not a valid value."),
            &mut causes,
        );
    }
    let mut keys = Vec::new();
    if !settings_client.is_object() {
        fail(
            "settings.oauthClient",
            field_blank("settings.oauthClient"),
            &mut causes,
        );
    } else {
        let strings = |v: &Value| -> Option<Vec<String>> {
            v.as_array().map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("").to_string())
                    .collect()
            })
        };
        let grant_types = settings_client.get("grant_types").and_then(strings);
        let response_types = settings_client.get("response_types").and_then(strings);
        let app_type = settings_client
            .get("application_type")
            .and_then(Value::as_str)
            .unwrap_or("web");
        if !["browser", "native", "service", "web"].contains(&app_type) {
            fail(
                "application_type",
                format!("application_type: '{app_type}' is not a valid value."),
                &mut causes,
            );
        }
        match &grant_types {
            None => fail("grant_types", field_blank("grant_types"), &mut causes),
            Some(g) if g.is_empty() => fail("grant_types", field_blank("grant_types"), &mut causes),
            Some(g) => {
                for t in g {
                    if !GRANT_TYPES.contains(&t.as_str()) {
                        fail(
                            "grant_types",
                            format!("grant_types: '{t}' is not a valid grant type."),
                            &mut causes,
                        );
                    }
                }
                let has = |t: &str| g.iter().any(|x| x == t);
                if app_type == "service" {
                    if !has("client_credentials") {
                        fail("grant_types", "grant_types: Service apps must use the 'client_credentials' grant type.".into(), &mut causes);
                    }
                    for t in [
                        "authorization_code",
                        "implicit",
                        "password",
                        "interaction_code",
                    ] {
                        if has(t) {
                            fail(
                                "grant_types",
                                format!("grant_types: '{t}' is not allowed for a service app."),
                                &mut causes,
                            );
                        }
                    }
                } else if has("client_credentials")
                    && (app_type == "browser" || app_type == "native")
                {
                    fail(
                        "grant_types",
                        format!(
                            "grant_types: 'client_credentials' is not allowed for a {app_type} app."
                        ),
                        &mut causes,
                    );
                }
                if has("client_credentials")
                    && response_types
                        .as_ref()
                        .is_some_and(|r| !r.iter().any(|x| x == "token"))
                {
                    fail("response_types", "response_types: 'token' is required for the 'client_credentials' grant type.".into(), &mut causes);
                }
                if (has("authorization_code") || has("implicit"))
                    && settings_client
                        .get("redirect_uris")
                        .and_then(Value::as_array)
                        .is_none_or(|a| a.is_empty())
                {
                    fail(
                        "redirect_uris",
                        "redirect_uris: At least one redirect URI is required for this grant type."
                            .into(),
                        &mut causes,
                    );
                }
            }
        }
        if let Some(r) = &response_types {
            for t in r {
                if !["code", "id_token", "token"].contains(&t.as_str()) {
                    fail(
                        "response_types",
                        format!("response_types: '{t}' is not a valid response type."),
                        &mut causes,
                    );
                }
            }
        }
        if app_type == "service" && auth_method == "none" {
            fail("token_endpoint_auth_method", "token_endpoint_auth_method: Service apps must authenticate to the token endpoint ('none' is not allowed).".into(), &mut causes);
        }
        match settings_client.pointer("/jwks/keys") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                for k in list {
                    match check_jwk(k, false) {
                        Ok(()) => keys.push((
                            k.clone(),
                            k.get("status")
                                .and_then(Value::as_str)
                                .unwrap_or("ACTIVE")
                                .to_string(),
                        )),
                        Err(c) => fail("jwks", c, &mut causes),
                    }
                }
                if let Err(c) = check_kids(list.iter().map(|k| k["kid"].as_str())) {
                    fail("jwks", c, &mut causes);
                }
                if list.len() > MAX_KEYS {
                    fail("jwks", TOO_MANY_KEYS.into(), &mut causes);
                }
            }
            Some(_) => fail(
                "jwks",
                "jwks: 'keys' must be an array of JSON Web Keys.".into(),
                &mut causes,
            ),
        }
        if auth_method == "private_key_jwt" {
            let has_uri = settings_client
                .get("jwks_uri")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            if keys.is_empty() && !has_uri {
                fail("jwks", "jwks: A JSON Web Key Set ('jwks' or 'jwks_uri') is required when the value for `token_endpoint_auth_method` is `private_key_jwt`.".into(), &mut causes);
            } else if !has_uri
                && !keys
                    .iter()
                    .any(|(k, s)| s == "ACTIVE" && k["use"].as_str().unwrap_or("sig") == "sig")
            {
                fail("jwks", "jwks: At least one active signing key is required when the value for `token_endpoint_auth_method` is `private_key_jwt`.".into(), &mut causes);
            }
        }
    }
    let client_id = match credentials_client.get("client_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => {
            let n = c.chars().count();
            if !(6..=100).contains(&n) {
                fail(
                    "client_id",
                    "client_id: Must be between 6 and 100 characters.".into(),
                    &mut causes,
                );
            }
            if let Some(app) = current {
                if *c != app.client_id {
                    fail(
                        "client_id",
                        "client_id: The client id of an app cannot be changed.".into(),
                        &mut causes,
                    );
                }
            } else if okta.apps.iter().any(|a| a.client_id == *c) {
                fail(
                    "client_id",
                    format!("client_id: The client id '{c}' is already in use."),
                    &mut causes,
                );
            }
            Some(c.clone())
        }
        Some(_) => {
            fail(
                "client_id",
                "client_id: Must be a string.".into(),
                &mut causes,
            );
            None
        }
    };
    if let Some(field) = first_field {
        return Err(invalid(field, &causes));
    }
    let mut settings_client = settings_client;
    if let Some(o) = settings_client.as_object_mut() {
        o.remove("jwks");
    }
    Ok(AppBody {
        label: label.to_string(),
        client_id,
        auth_method,
        settings_client,
        credentials_client,
        keys,
        profile: body.get("profile").filter(|p| p.is_object()).cloned(),
    })
}

fn create_app(okta: &mut OktaState, req: &Req) -> Resp {
    let Some(body) = req.json.as_ref() else {
        return malformed();
    };
    let parsed = match validate_app(okta, body, None) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let activate = req
        .query_param("activate")
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let id = okta_id("0oa");
    let mut json = base_app_json(
        &id,
        &parsed.label,
        &parsed.settings_client,
        &parsed.credentials_client,
        &parsed.auth_method,
    );
    if let Some(p) = parsed.profile {
        json["profile"] = p;
    }
    let mut app = App::oidc(&id, &parsed.label, &parsed.auth_method, json);
    app.status = if activate { "ACTIVE" } else { "INACTIVE" }.into();
    app.client_id = parsed.client_id.unwrap_or(id);
    app.keys = parsed
        .keys
        .iter()
        .map(|(k, status)| Key::new(k, status))
        .collect();
    Resp::json(200, okta.add_app(app).json.clone())
}

fn replace_app(okta: &mut OktaState, req: &Req, id: &str) -> Resp {
    let Some(body) = req.json.as_ref() else {
        return malformed();
    };
    let Some(current) = okta.app(id) else {
        return app_not_found(id);
    };
    let parsed = match validate_app(okta, body, Some(current)) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let org_url = okta.org_url.clone();
    let Some(app) = okta.app_mut(id) else {
        return app_not_found(id);
    };
    let now = iso_now();
    let mut keys = Vec::new();
    for (jwk, status) in &parsed.keys {
        let existing = jwk["id"]
            .as_str()
            .and_then(|kid| app.keys.iter().find(|k| k.id == kid));
        let mut key = Key::new(jwk, status);
        if let Some(old) = existing {
            key.id = old.id.clone();
            key.created = old.created.clone();
            if old.status == *status && old.jwk == key.jwk {
                key.last_updated = old.last_updated.clone();
            }
        }
        keys.push(key);
    }
    let mut json = base_app_json(
        id,
        &parsed.label,
        &parsed.settings_client,
        &parsed.credentials_client,
        &parsed.auth_method,
    );
    for ptr in ["/orn", "/credentials/signing", "/_links"] {
        if let (Some(old), Some(slot)) = (app.json.pointer(ptr).cloned(), json.pointer_mut(ptr)) {
            *slot = old;
        }
    }
    if parsed.auth_method.starts_with("client_secret")
        && parsed.credentials_client.get("client_secret").is_none()
        && let Some(secret) = app.json.pointer("/credentials/oauthClient/client_secret")
    {
        json["credentials"]["oauthClient"]["client_secret"] = secret.clone();
    }
    if let Some(p) = parsed.profile {
        json["profile"] = p;
    }
    app.label = parsed.label;
    app.token_endpoint_auth_method = parsed.auth_method;
    app.keys = keys;
    app.last_updated = now;
    app.json = json;
    app.refresh(&org_url);
    Resp::json(200, app.json.clone())
}

fn delete_app(okta: &mut OktaState, id: &str) -> Resp {
    let Some(app) = okta.app(id) else {
        return app_not_found(id);
    };
    if app.is_active() {
        return error(
            403,
            "E0000056",
            "Delete application forbidden.",
            &["The application must be deactivated before it can be deleted.".into()],
        );
    }
    okta.apps.retain(|a| a.id != id);
    Resp::empty(204)
}

fn add_jwk(okta: &mut OktaState, req: &Req, id: &str) -> Resp {
    let Some(body) = req.json.as_ref() else {
        return malformed();
    };
    let org_url = okta.org_url.clone();
    let Some(app) = okta.app_mut(id) else {
        return app_not_found(id);
    };
    if let Err(cause) = check_jwk(body, true) {
        return jwk_invalid(&cause);
    }
    if app.keys.len() >= MAX_KEYS {
        return jwk_invalid(TOO_MANY_KEYS);
    }
    let kids = app
        .keys
        .iter()
        .map(|k| k.kid())
        .chain(std::iter::once(body["kid"].as_str()));
    if let Err(cause) = check_kids(kids) {
        return jwk_invalid(&cause);
    }
    let status = body["status"].as_str().unwrap_or("ACTIVE");
    let key = Key::new(body, status);
    if key.key_use() == "enc" && status == "ACTIVE" && has_active_encryption_key(app) {
        return jwk_invalid(ONE_ACTIVE_ENCRYPTION_KEY);
    }
    let out = key.render(&org_url, &app.id);
    app.keys.push(key);
    app.refresh(&org_url);
    Resp::json(201, out)
}

fn delete_jwk(okta: &mut OktaState, id: &str, key_id: &str) -> Resp {
    let org_url = okta.org_url.clone();
    let Some(app) = okta.app_mut(id) else {
        return app_not_found(id);
    };
    let Some(key) = app.key(key_id) else {
        return not_found(key_id, "JsonWebKey");
    };
    if key.status == "ACTIVE" {
        return jwk_invalid(
            "You can't delete an active JSON Web Key. Deactivate the key before deleting it.",
        );
    }
    app.keys.retain(|k| k.id != key_id);
    app.refresh(&org_url);
    Resp::empty(204)
}

fn jwk_lifecycle(okta: &mut OktaState, id: &str, key_id: &str, op: &str) -> Resp {
    let org_url = okta.org_url.clone();
    let Some(app) = okta.app_mut(id) else {
        return app_not_found(id);
    };
    let Some(pos) = app.keys.iter().position(|k| k.id == key_id) else {
        return not_found(key_id, "JsonWebKey");
    };
    let key = &app.keys[pos];
    let target = lifecycle_status(op);
    if key.status != target {
        if op == "activate" {
            if key.key_use() == "enc" && has_active_encryption_key(app) {
                return jwk_invalid(ONE_ACTIVE_ENCRYPTION_KEY);
            }
        } else if key.key_use() == "enc" {
            return jwk_invalid("You can't deactivate the active encryption key.");
        } else if app.token_endpoint_auth_method == "private_key_jwt"
            && !app
                .keys
                .iter()
                .any(|k| k.id != key_id && k.status == "ACTIVE" && k.key_use() == "sig")
        {
            return jwk_invalid(
                "Can't deactivate the only active JSON Web Key when the value for `token_endpoint_auth_method` is `private_key_jwt`.",
            );
        }
        let key = &mut app.keys[pos];
        key.status = target.into();
        key.last_updated = iso_now();
    }
    let out = app.keys[pos].render(&org_url, &app.id);
    app.refresh(&org_url);
    Resp::json(200, out)
}

fn create_grant(okta: &mut OktaState, req: &Req, id: &str, user_id: &str) -> Resp {
    let Some(body) = req.json.as_ref() else {
        return malformed();
    };
    let org_url = okta.org_url.clone();
    let privileges = okta.client_privileges_setting;
    let Some(app) = okta.app_mut(id) else {
        return app_not_found(id);
    };
    let scope = body["scopeId"].as_str().unwrap_or("").trim();
    let issuer = body["issuer"].as_str().unwrap_or("").trim();
    let mut causes = Vec::new();
    let mut field = None;
    if scope.is_empty() {
        field.get_or_insert("scopeId");
        causes.push(field_blank("scopeId"));
    }
    if issuer.is_empty() {
        field.get_or_insert("issuer");
        causes.push(field_blank("issuer"));
    }
    if let Some(f) = field {
        return invalid(f, &causes);
    }
    if issuer != org_url {
        return invalid(
            "issuer",
            &[format!(
                "issuer: The issuer '{issuer}' is invalid: it must be the org authorization server issuer '{org_url}'."
            )],
        );
    }
    if !OKTA_SCOPES.contains(&scope) {
        return invalid(
            "scopeId",
            &[format!(
                "scopeId: The scope '{scope}' is not a valid Okta scope."
            )],
        );
    }
    if app.has_grant(scope) {
        return invalid(
            "scopeId",
            &[format!(
                "scopeId: The scope '{scope}' is already granted to this app."
            )],
        );
    }
    let grant = Grant {
        id: okta_id("oag"),
        scope_id: scope.into(),
        issuer: issuer.into(),
        created_by: user_id.into(),
        created: iso_now(),
    };
    let out = grant.render(&org_url, app);
    app.grants.push(grant);
    // With the client privileges setting on, Okta makes the service app a super admin
    // once it is granted scopes (DESIGN §1).
    if privileges
        && app.json.pointer("/settings/oauthClient/application_type") == Some(&json!("service"))
        && !app.has_role("SUPER_ADMIN")
    {
        app.roles.push(RoleAssignment::new("SUPER_ADMIN", "CLIENT"));
    }
    Resp::json(201, out)
}

fn assign_client_role(okta: &mut OktaState, req: &Req, client: &str) -> Resp {
    let Some(body) = req.json.as_ref() else {
        return malformed();
    };
    let org_url = okta.org_url.clone();
    let custom_roles = okta.custom_roles.clone();
    let resource_sets = okta.resource_sets.clone();
    let Some(app) = okta.app_by_client_id_mut(client) else {
        return not_found(client, "Client");
    };
    let role_type = body["type"].as_str().unwrap_or("").trim();
    if role_type.is_empty() {
        return invalid("type", &[field_blank("type")]);
    }
    if role_label(role_type).is_none() || role_type == "MOBILE_ADMIN" {
        return invalid(
            "type",
            &[format!("type: '{role_type}' is not a valid role type.")],
        );
    }
    let mut role = RoleAssignment::new(role_type, "CLIENT");
    if role_type == "CUSTOM" {
        let (Some(r), Some(rs)) = (body["role"].as_str(), body["resource-set"].as_str()) else {
            return invalid(
                "role",
                &["role: A custom role assignment needs 'role' and 'resource-set'.".into()],
            );
        };
        let Some(custom_role) = custom_roles.iter().find(|c| c.id == r || c.label == r) else {
            return not_found(r, "CustomRole");
        };
        let Some(set) = resource_sets.iter().find(|s| s.id == rs || s.label == rs) else {
            return not_found(rs, "ResourceSet");
        };
        role.custom = json!({"role": custom_role.id, "resource-set": set.id});
        role.label = custom_role.label.clone();
    }
    if app
        .roles
        .iter()
        .any(|r| r.role_type == role.role_type && r.custom == role.custom)
    {
        return error(409, "E0000090", "Duplicate role assignment exception", &[]);
    }
    let out = role.render(&client_href(&org_url, client));
    app.roles.push(role);
    Resp::json(200, out)
}

/// Every Okta management scope an app can be granted (from the reference document).
pub(crate) const OKTA_SCOPES: &[&str] = &[
    "okta.agentPools.manage",
    "okta.agentPools.read",
    "okta.apiTokens.manage",
    "okta.apiTokens.read",
    "okta.appGrants.manage",
    "okta.appGrants.read",
    "okta.apps.interclientTrust.manage",
    "okta.apps.interclientTrust.read",
    "okta.apps.manage",
    "okta.apps.read",
    "okta.authenticators.manage",
    "okta.authenticators.read",
    "okta.authorizationServers.manage",
    "okta.authorizationServers.read",
    "okta.behaviors.manage",
    "okta.behaviors.read",
    "okta.botProtection.manage",
    "okta.botProtection.read",
    "okta.brands.manage",
    "okta.brands.read",
    "okta.captchas.manage",
    "okta.captchas.read",
    "okta.customTelephonyProvider.manage",
    "okta.customTelephonyProvider.read",
    "okta.deviceAssurance.manage",
    "okta.deviceAssurance.read",
    "okta.deviceIntegrations.manage",
    "okta.deviceIntegrations.read",
    "okta.devicePostureChecks.manage",
    "okta.devicePostureChecks.read",
    "okta.devices.manage",
    "okta.devices.read",
    "okta.directories.groups.manage",
    "okta.directories.groups.read",
    "okta.domains.manage",
    "okta.domains.read",
    "okta.dr.manage",
    "okta.dr.read",
    "okta.emailDomains.manage",
    "okta.emailDomains.read",
    "okta.emailServers.manage",
    "okta.emailServers.read",
    "okta.eventHooks.manage",
    "okta.eventHooks.read",
    "okta.features.manage",
    "okta.features.read",
    "okta.groups.manage",
    "okta.groups.read",
    "okta.identitySources.manage",
    "okta.identitySources.read",
    "okta.idps.manage",
    "okta.idps.read",
    "okta.inlineHooks.manage",
    "okta.inlineHooks.read",
    "okta.linkedObjects.manage",
    "okta.linkedObjects.read",
    "okta.logStreams.manage",
    "okta.logStreams.read",
    "okta.logs.read",
    "okta.networkZones.manage",
    "okta.networkZones.read",
    "okta.oauthIntegrations.manage",
    "okta.oauthIntegrations.read",
    "okta.orgs.manage",
    "okta.orgs.read",
    "okta.personal.adminSettings.manage",
    "okta.personal.adminSettings.read",
    "okta.policies.manage",
    "okta.policies.read",
    "okta.principalRateLimits.manage",
    "okta.principalRateLimits.read",
    "okta.profileMappings.manage",
    "okta.profileMappings.read",
    "okta.pushProviders.manage",
    "okta.pushProviders.read",
    "okta.rateLimits.manage",
    "okta.rateLimits.read",
    "okta.realmAssignments.manage",
    "okta.realmAssignments.read",
    "okta.realms.manage",
    "okta.realms.read",
    "okta.roles.manage",
    "okta.roles.read",
    "okta.schemas.manage",
    "okta.schemas.read",
    "okta.securityEventsProviders.manage",
    "okta.securityEventsProviders.read",
    "okta.serviceAccounts.manage",
    "okta.serviceAccounts.okta.manage",
    "okta.serviceAccounts.okta.read",
    "okta.serviceAccounts.read",
    "okta.sessions.manage",
    "okta.sessions.read",
    "okta.templates.manage",
    "okta.templates.read",
    "okta.threatInsights.manage",
    "okta.threatInsights.read",
    "okta.trustedOrigins.manage",
    "okta.trustedOrigins.read",
    "okta.uischemas.manage",
    "okta.uischemas.read",
    "okta.userRisk.manage",
    "okta.userRisk.read",
    "okta.userTypes.manage",
    "okta.userTypes.read",
    "okta.users.manage",
    "okta.users.read",
    "ssf.manage",
    "ssf.read",
];

/// Whether a request needs the custom admin roles feature: the IAM roles and resource
/// sets, or a `CUSTOM` client role assignment.
fn uses_custom_admin_roles(route: &Route<'_>, req: &Req) -> bool {
    match route {
        Route::IamRoles
        | Route::IamRole(_)
        | Route::IamRolePermissions(_)
        | Route::IamRolePermission(..)
        | Route::ResourceSets
        | Route::ResourceSet(_)
        | Route::ResourceSetResources(_)
        | Route::ResourceSetResource(..) => true,
        Route::ClientRoles(_) => req
            .json
            .as_ref()
            .is_some_and(|body| body["type"] == "CUSTOM"),
        _ => false,
    }
}

/// What an org without custom admin roles answers to them (`E0000015`).
fn feature_unavailable() -> Resp {
    error(
        403,
        "E0000015",
        "You do not have permission to access the feature you are requesting",
        &[],
    )
}
