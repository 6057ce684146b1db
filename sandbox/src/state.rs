//! The sandbox's state: what the imitated Okta org and Apono tenant hold.
//!
//! Every field is public so tests can assert on a [`Snapshot`](super::Snapshot) and seed
//! situations through [`Sandbox::with_state`](super::Sandbox::with_state). The `json`
//! fields hold exactly what the services answer for that object; the typed fields beside
//! them are the source of truth and are copied into `json` by the `refresh` methods
//! (the seeding helpers call them for you).

use serde_json::{Map, Value, json};

use super::util::{base62, iso_now, okta_id, uuid};

/// Both services' state. A [`Snapshot`](super::Snapshot) is a clone of it.
#[derive(Debug, Clone)]
pub struct State {
    pub okta: OktaState,
    pub apono: AponoState,
}

/// The imitated Okta org.
#[derive(Debug, Clone)]
pub struct OktaState {
    /// The org's id (`00o` + 17 base62 characters, random per start), answered by
    /// `GET /.well-known/okta-organization`.
    pub org_id: String,
    /// `http://127.0.0.1:PORT`: the org URL, also the only issuer grants accept.
    pub org_url: String,
    /// `127.0.0.1:PORT`.
    pub domain: String,
    /// What `GET /api/v1/org/settings/clientPrivilegesSetting` answers.
    pub client_privileges_setting: bool,
    /// Whether the org can use custom admin roles; without them the IAM roles and
    /// resource sets, and `CUSTOM` assignments, answer 403 `E0000015`.
    pub custom_admin_roles: bool,
    /// Every app not deleted, in creation order.
    pub apps: Vec<App>,
    /// Users, in creation order. The first is the super admin, the second the read-only admin.
    pub users: Vec<User>,
    /// Groups, in creation order.
    pub groups: Vec<Group>,
    /// API tokens, revoked ones included.
    pub api_tokens: Vec<ApiToken>,
    /// Custom admin roles (`/api/v1/iam/roles`), in creation order.
    pub custom_roles: Vec<CustomRole>,
    /// Resource sets (`/api/v1/iam/resource-sets`), in creation order.
    pub resource_sets: Vec<ResourceSet>,
    /// Next creation sequence number (the pagination cursor of apps, users and groups).
    pub next_seq: u64,
}

/// A custom admin role: a label and the permissions it grants.
#[derive(Debug, Clone)]
pub struct CustomRole {
    /// `cr0` + 17 base62 characters.
    pub id: String,
    pub label: String,
    pub description: String,
    /// Okta permission names (`okta.users.read`).
    pub permissions: Vec<String>,
    pub created: String,
}

/// A resource set: the resources a custom role assignment reaches.
#[derive(Debug, Clone)]
pub struct ResourceSet {
    /// `iam` + 17 base62 characters.
    pub id: String,
    pub label: String,
    pub description: String,
    pub resources: Vec<ResourceSetResource>,
    pub created: String,
}

/// One resource of a resource set.
#[derive(Debug, Clone)]
pub struct ResourceSetResource {
    /// `ire` + 17 base62 characters.
    pub id: String,
    /// The REST URL the resource was added as (`https://example.okta.com/api/v1/users`).
    pub url: String,
    pub created: String,
}

impl CustomRole {
    /// The role as `GET /api/v1/iam/roles/{id}` answers it.
    pub fn render(&self, org_url: &str) -> Value {
        json!({
            "id": self.id,
            "label": self.label,
            "description": self.description,
            "created": self.created,
            "lastUpdated": self.created,
            "_links": {
                "self": {"href": format!("{org_url}/api/v1/iam/roles/{}", self.id)},
                "permissions": {"href": format!("{org_url}/api/v1/iam/roles/{}/permissions", self.id)}
            }
        })
    }
}

impl ResourceSet {
    /// The resource set as `GET /api/v1/iam/resource-sets/{id}` answers it.
    pub fn render(&self, org_url: &str) -> Value {
        let href = format!("{org_url}/api/v1/iam/resource-sets/{}", self.id);
        json!({
            "id": self.id,
            "label": self.label,
            "description": self.description,
            "created": self.created,
            "lastUpdated": self.created,
            "_links": {
                "self": {"href": href},
                "resources": {"href": format!("{href}/resources")},
                "bindings": {"href": format!("{href}/bindings")}
            }
        })
    }

    /// Whether the set holds a resource given as this REST URL.
    pub fn has_resource(&self, url: &str) -> bool {
        self.resources.iter().any(|r| r.url == url)
    }
}

impl ResourceSetResource {
    /// The resource as listed: its ORN and the REST URL it stands for.
    pub fn render(&self, org_url: &str, set_id: &str) -> Value {
        let kind = self.url.rsplit('/').next().unwrap_or("");
        json!({
            "id": self.id,
            "orn": format!("orn:okta:directory:00o1n8sbwArJ7OQRw406:{kind}"),
            "created": self.created,
            "lastUpdated": self.created,
            "_links": {
                "self": {"href": self.url},
                "resource": {"href": format!("{org_url}/api/v1/iam/resource-sets/{set_id}/resources/{}", self.id)}
            }
        })
    }
}

/// An Okta app (only `OPENID_CONNECT` apps can be created through the API).
#[derive(Debug, Clone)]
pub struct App {
    /// `0oa` + 17 base62 characters.
    pub id: String,
    /// Creation order; `after` cursors of `GET /api/v1/apps` are this number.
    pub seq: u64,
    /// `oidc_client` for OpenID Connect apps.
    pub name: String,
    pub label: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// `credentials.oauthClient.client_id` (equal to `id` unless one was chosen).
    pub client_id: String,
    /// `credentials.oauthClient.token_endpoint_auth_method`.
    pub token_endpoint_auth_method: String,
    /// `settings.oauthClient.jwks.keys`, addressed by their Okta `id`.
    pub keys: Vec<Key>,
    /// Scope consent grants.
    pub grants: Vec<Grant>,
    /// Admin roles assigned to the app's client (`/oauth2/v1/clients/{clientId}/roles`).
    pub roles: Vec<RoleAssignment>,
    pub created: String,
    pub last_updated: String,
    /// The app exactly as `GET /api/v1/apps/{id}` answers it.
    pub json: Value,
}

/// A JSON Web Key of an app.
#[derive(Debug, Clone)]
pub struct Key {
    /// Okta's id for the key, `pks` + 17 base62 characters.
    pub id: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// The key as given (`kid`, `kty`, `use`, `alg`, `n`, `e`, ...), without Okta's fields.
    pub jwk: Value,
    pub created: String,
    pub last_updated: String,
}

/// A scope consent grant of an app.
#[derive(Debug, Clone)]
pub struct Grant {
    /// `oag` + 17 base62 characters.
    pub id: String,
    pub scope_id: String,
    pub issuer: String,
    /// Id of the user whose token granted it.
    pub created_by: String,
    pub created: String,
}

/// An admin role assignment, of a user or of an app's client.
#[derive(Debug, Clone)]
pub struct RoleAssignment {
    /// `irb` + 17 base62 characters.
    pub id: String,
    /// `SUPER_ADMIN`, `READ_ONLY_ADMIN`, ...
    pub role_type: String,
    pub label: String,
    /// `CLIENT` or `USER`.
    pub assignment_type: String,
    pub created: String,
    /// For `CUSTOM` roles: `{"role": ..., "resource-set": ...}`; else `null`.
    pub custom: Value,
}

/// An Okta user.
#[derive(Debug, Clone)]
pub struct User {
    /// `00u` + 17 base62 characters.
    pub id: String,
    pub seq: u64,
    /// The user as `GET /api/v1/users/{id}` answers it.
    pub json: Value,
    /// Admin roles assigned to the user.
    pub roles: Vec<RoleAssignment>,
}

/// An Okta group.
#[derive(Debug, Clone)]
pub struct Group {
    /// `00g` + 17 base62 characters.
    pub id: String,
    pub seq: u64,
    pub json: Value,
}

/// An Okta API token.
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// The token's Okta id, `00T` + 17 base62 characters.
    pub id: String,
    pub name: String,
    /// The secret value sent as `Authorization: SSWS <token>`.
    pub token: String,
    pub user_id: String,
    /// Set by `DELETE /api/v1/api-tokens/current` (or `/api-tokens/{id}`).
    pub revoked: bool,
    pub created: String,
}

/// The imitated Apono tenant.
#[derive(Debug, Clone)]
pub struct AponoState {
    /// Personal API tokens accepted as `Authorization: Bearer <token>`.
    pub api_tokens: Vec<String>,
    /// The integrations catalog (`GET /api/v2/integrations-catalog`).
    pub catalog: Vec<CatalogEntry>,
    /// Integrations, in creation order.
    pub integrations: Vec<Integration>,
    /// The public key Apono's first sync expects on the Okta app (compared by `n` and `e`).
    /// Defaults to [`APONO_PUBLIC_JWK`](super::APONO_PUBLIC_JWK).
    pub apono_public_jwk: Value,
}

/// One integration type of Apono's catalog.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// Category given to integrations of this type (e.g. `IDENTITY_PROVIDER`).
    pub category: String,
    /// The entry as the catalog answers it: `{name, type, description, params,
    /// requires_secret, supported_secret_types}`.
    pub json: Value,
}

impl CatalogEntry {
    /// The entry's `type`.
    pub fn integration_type(&self) -> &str {
        self.json["type"].as_str().unwrap_or_default()
    }
}

/// An Apono integration.
#[derive(Debug, Clone)]
pub struct Integration {
    /// A UUID.
    pub id: String,
    pub name: String,
    pub integration_type: String,
    pub category: String,
    /// `Initializing`, `Active`, `Error`, ...
    pub status: String,
    /// What is wrong when `status` is `Error` (answered as `details`), else `None`.
    pub details: Option<String>,
    /// `integration_config` as last created or updated.
    pub config: Value,
    /// ISO 8601, set when the status settles.
    pub last_sync_time: Option<String>,
    /// Unix seconds of `last_sync_time` (the v2 API answers a number).
    pub last_sync_epoch: Option<u64>,
    /// `GET`s answered `Initializing` since the last create or update.
    pub polls: u32,
    /// When the API last created or updated it (`None` for a seeded one); with
    /// [`SandboxOptions::activation`](super::SandboxOptions::activation) it settles that
    /// long after.
    pub changed_at: Option<std::time::Instant>,
    /// Other fields of the create/update body kept as given (`connector_id`, `owner`, ...).
    pub extra: Map<String, Value>,
}

impl State {
    /// The initial state for an org served at `org_url` (`http://127.0.0.1:PORT`).
    pub(crate) fn new(org_url: &str, domain: &str, client_privileges_setting: bool) -> State {
        State {
            okta: OktaState::new(org_url, domain, client_privileges_setting),
            apono: AponoState::new(),
        }
    }
}

/// Display label Okta gives each standard role type.
pub(crate) fn role_label(role_type: &str) -> Option<&'static str> {
    Some(match role_type {
        "SUPER_ADMIN" => "Super Administrator",
        "ORG_ADMIN" => "Organizational Administrator",
        "APP_ADMIN" => "Application Administrator",
        "USER_ADMIN" => "Group Administrator",
        "HELP_DESK_ADMIN" => "Help Desk Administrator",
        "READ_ONLY_ADMIN" => "Read-only Administrator",
        "MOBILE_ADMIN" => "Mobile Administrator",
        "API_ACCESS_MANAGEMENT_ADMIN" => "API Access Management Administrator",
        "REPORT_ADMIN" => "Report Administrator",
        "GROUP_MEMBERSHIP_ADMIN" => "Group Membership Administrator",
        "ACCESS_CERTIFICATIONS_ADMIN" => "Access Certifications Administrator",
        "ACCESS_REQUESTS_ADMIN" => "Access Requests Administrator",
        "WORKFLOWS_ADMIN" => "Workflows Administrator",
        "CUSTOM" => "Custom",
        _ => return None,
    })
}

impl RoleAssignment {
    /// A new `ACTIVE` assignment of a standard role.
    pub fn new(role_type: &str, assignment_type: &str) -> RoleAssignment {
        RoleAssignment {
            id: okta_id("irb"),
            role_type: role_type.to_string(),
            label: role_label(role_type).unwrap_or(role_type).to_string(),
            assignment_type: assignment_type.to_string(),
            created: iso_now(),
            custom: Value::Null,
        }
    }

    /// The assignment as Okta answers it; `assignee` is the href of the user or client.
    pub fn render(&self, assignee: &str) -> Value {
        let mut v = json!({
            "id": self.id,
            "label": self.label,
            "type": self.role_type,
            "status": "ACTIVE",
            "created": self.created,
            "lastUpdated": self.created,
            "assignmentType": self.assignment_type,
            "_links": {"assignee": {"href": assignee}},
        });
        if let Value::Object(custom) = &self.custom {
            for (k, val) in custom {
                v[k.as_str()] = val.clone();
            }
        }
        v
    }
}

impl Key {
    /// A new key from a JWK as given (Okta's own fields in it are dropped).
    pub fn new(jwk: &Value, status: &str) -> Key {
        let mut jwk = jwk.clone();
        if let Some(obj) = jwk.as_object_mut() {
            for k in ["id", "status", "created", "lastUpdated", "_links"] {
                obj.remove(k);
            }
            // Okta stores a key without `use` as a signing key.
            obj.entry("use").or_insert_with(|| json!("sig"));
        }
        let now = iso_now();
        Key {
            id: okta_id("pks"),
            status: status.to_string(),
            jwk,
            created: now.clone(),
            last_updated: now,
        }
    }

    /// The key's `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.jwk["kid"].as_str()
    }

    /// `sig` or `enc` (`sig` when absent).
    pub fn key_use(&self) -> &str {
        self.jwk["use"].as_str().unwrap_or("sig")
    }

    /// The key as the JWKS endpoints answer it.
    pub fn render(&self, org_url: &str, app_id: &str) -> Value {
        let mut v = json!({"id": self.id});
        if let Value::Object(obj) = &self.jwk {
            for (k, val) in obj {
                v[k.as_str()] = val.clone();
            }
        }
        v["status"] = json!(self.status);
        v["created"] = json!(self.created);
        v["lastUpdated"] = json!(self.last_updated);
        let base = format!(
            "{org_url}/api/v1/apps/{app_id}/credentials/jwks/{}",
            self.id
        );
        v["_links"] = if self.status == "ACTIVE" {
            json!({"deactivate": {"href": format!("{base}/lifecycle/deactivate"), "hints": {"allow": ["POST"]}}})
        } else {
            json!({
                "activate": {"href": format!("{base}/lifecycle/activate"), "hints": {"allow": ["POST"]}},
                "delete": {"href": base, "hints": {"allow": ["DELETE"]}},
            })
        };
        v
    }
}

impl Grant {
    /// The grant as Okta answers it.
    pub fn render(&self, org_url: &str, app: &App) -> Value {
        json!({
            "id": self.id,
            "status": "ACTIVE",
            "created": self.created,
            "createdBy": {"id": self.created_by, "type": "User"},
            "lastUpdated": self.created,
            "issuer": self.issuer,
            "clientId": app.client_id,
            "scopeId": self.scope_id,
            "source": "ADMIN",
            "_embedded": {"scope": {"id": self.scope_id}},
            "_links": {
                "app": {"href": format!("{org_url}/api/v1/apps/{}", app.id), "title": app.label},
                "self": {
                    "href": format!("{org_url}/api/v1/apps/{}/grants/{}", app.id, self.id),
                    "hints": {"allow": ["GET", "DELETE"]},
                },
                "client": {"href": format!("{org_url}/oauth2/v1/clients/{}", app.client_id), "title": app.label},
            },
        })
    }
}

impl App {
    /// A new `ACTIVE` OpenID Connect app whose client id is its id, created now, with no
    /// keys, grants or roles; `json` is its stored document ([`base_app_json`]).
    pub(crate) fn oidc(id: &str, label: &str, auth_method: &str, json: Value) -> App {
        let now = iso_now();
        App {
            id: id.to_string(),
            seq: 0,
            name: "oidc_client".into(),
            label: label.into(),
            status: "ACTIVE".into(),
            client_id: id.to_string(),
            token_endpoint_auth_method: auth_method.into(),
            keys: Vec::new(),
            grants: Vec::new(),
            roles: Vec::new(),
            created: now.clone(),
            last_updated: now,
            json,
        }
    }

    /// Whether the app is `ACTIVE`.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }

    /// The key with this Okta id (`pks...`).
    pub fn key(&self, key_id: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == key_id)
    }

    /// Whether a grant for this scope exists.
    pub fn has_grant(&self, scope_id: &str) -> bool {
        self.grants.iter().any(|g| g.scope_id == scope_id)
    }

    /// Whether the app's client holds a role of this type.
    pub fn has_role(&self, role_type: &str) -> bool {
        self.roles.iter().any(|r| r.role_type == role_type)
    }

    /// Whether the app carries this public key (same `n` and `e`) as an `ACTIVE` key.
    pub fn has_active_key(&self, jwk: &Value) -> bool {
        self.keys.iter().any(|k| {
            k.status == "ACTIVE"
                && k.jwk["n"].is_string()
                && k.jwk["n"] == jwk["n"]
                && k.jwk["e"] == jwk["e"]
        })
    }

    /// Copies the typed fields into `json` (status, label, keys, links, lastUpdated).
    pub fn refresh(&mut self, org_url: &str) {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| k.render(org_url, &self.id))
            .collect();
        let id = self.id.clone();
        let app_url = format!("{org_url}/api/v1/apps/{id}");
        let j = &mut self.json;
        if !j.is_object() {
            *j = json!({});
        }
        j["id"] = json!(id);
        j["name"] = json!(self.name);
        j["label"] = json!(self.label);
        j["status"] = json!(self.status);
        j["created"] = json!(self.created);
        j["lastUpdated"] = json!(self.last_updated);
        if !j["credentials"].is_object() {
            j["credentials"] = json!({});
        }
        if !j["credentials"]["oauthClient"].is_object() {
            j["credentials"]["oauthClient"] = json!({});
        }
        j["credentials"]["oauthClient"]["client_id"] = json!(self.client_id);
        j["credentials"]["oauthClient"]["token_endpoint_auth_method"] =
            json!(self.token_endpoint_auth_method);
        if !j["settings"].is_object() {
            j["settings"] = json!({});
        }
        if !j["settings"]["oauthClient"].is_object() {
            j["settings"]["oauthClient"] = json!({});
        }
        if keys.is_empty() {
            if let Some(o) = j["settings"]["oauthClient"].as_object_mut() {
                o.remove("jwks");
            }
        } else {
            j["settings"]["oauthClient"]["jwks"] = json!({"keys": keys});
        }
        let lifecycle = if self.status == "ACTIVE" {
            ("deactivate", format!("{app_url}/lifecycle/deactivate"))
        } else {
            ("activate", format!("{app_url}/lifecycle/activate"))
        };
        let mut links = json!({
            "self": {"href": app_url, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
            "appLinks": [{
                "name": "oidc_client_link",
                "href": format!("{org_url}/home/oidc_client/{id}/aln{}", base62(17)),
                "type": "text/html",
            }],
            "groups": {"href": format!("{app_url}/groups")},
            "logo": [{
                "name": "medium",
                "href": format!("{org_url}/assets/img/logos/default.6770228fb0dab49a1695ef440a5279bb.png"),
                "type": "image/png",
            }],
            "users": {"href": format!("{app_url}/users")},
        });
        // Keep the appLinks href stable across refreshes.
        if let Some(old) = j["_links"]["appLinks"].as_array()
            && !old.is_empty()
        {
            links["appLinks"] = Value::Array(old.clone());
        }
        links[lifecycle.0] = json!({"href": lifecycle.1});
        j["_links"] = links;
    }
}

impl OktaState {
    fn new(org_url: &str, domain: &str, client_privileges_setting: bool) -> OktaState {
        let mut s = OktaState {
            org_id: okta_id("00o"),
            org_url: org_url.to_string(),
            domain: domain.to_string(),
            client_privileges_setting,
            custom_admin_roles: true,
            apps: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            api_tokens: Vec::new(),
            custom_roles: Vec::new(),
            resource_sets: Vec::new(),
            next_seq: 1,
        };
        let admin = s.seed_user("Ada", "Admin", "ada.admin@example.com", &["SUPER_ADMIN"]);
        let ro = s.seed_user(
            "Rory",
            "Reader",
            "rory.reader@example.com",
            &["READ_ONLY_ADMIN"],
        );
        s.seed_user("Alice", "Smith", "alice.smith@example.com", &[]);
        s.seed_user("Bob", "Jones", "bob.jones@example.com", &[]);
        s.seed_api_token(&admin, "apono-okta (super admin)");
        s.seed_api_token(&ro, "apono-okta (read-only admin)");
        s.seed_group("Everyone", "All users in your organization", "BUILT_IN");
        s.seed_group("Engineering", "Engineers", "OKTA_GROUP");
        s.seed_group("Sales", "Sales team", "OKTA_GROUP");
        s
    }

    /// Takes the next creation sequence number.
    pub fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The app with this id.
    pub fn app(&self, id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.id == id)
    }

    /// The app with this id, mutable.
    pub fn app_mut(&mut self, id: &str) -> Option<&mut App> {
        self.apps.iter_mut().find(|a| a.id == id)
    }

    /// The app whose OAuth client id is this.
    pub fn app_by_client_id(&self, client_id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    /// The app whose OAuth client id is this, mutable.
    pub fn app_by_client_id_mut(&mut self, client_id: &str) -> Option<&mut App> {
        self.apps.iter_mut().find(|a| a.client_id == client_id)
    }

    /// A custom role by id or label.
    pub fn custom_role(&self, id_or_label: &str) -> Option<&CustomRole> {
        self.custom_roles
            .iter()
            .find(|r| r.id == id_or_label || r.label == id_or_label)
    }

    /// A resource set by id or label.
    pub fn resource_set(&self, id_or_label: &str) -> Option<&ResourceSet> {
        self.resource_sets
            .iter()
            .find(|r| r.id == id_or_label || r.label == id_or_label)
    }

    /// A custom role by id or label, to change.
    pub fn custom_role_mut(&mut self, id_or_label: &str) -> Option<&mut CustomRole> {
        self.custom_roles
            .iter_mut()
            .find(|r| r.id == id_or_label || r.label == id_or_label)
    }

    /// A resource set by id or label, to change.
    pub fn resource_set_mut(&mut self, id_or_label: &str) -> Option<&mut ResourceSet> {
        self.resource_sets
            .iter_mut()
            .find(|r| r.id == id_or_label || r.label == id_or_label)
    }

    /// Apps with exactly this label.
    pub fn apps_labelled(&self, label: &str) -> Vec<&App> {
        self.apps.iter().filter(|a| a.label == label).collect()
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The API token record for this secret value.
    pub fn api_token(&self, token: &str) -> Option<&ApiToken> {
        self.api_tokens.iter().find(|t| t.token == token)
    }

    /// Adds an active user with these admin roles; returns its id.
    pub fn seed_user(&mut self, first: &str, last: &str, email: &str, roles: &[&str]) -> String {
        let id = okta_id("00u");
        let seq = self.take_seq();
        let now = iso_now();
        let json = json!({
            "id": id,
            "status": "ACTIVE",
            "created": now,
            "activated": now,
            "statusChanged": now,
            "lastLogin": null,
            "lastUpdated": now,
            "passwordChanged": now,
            "type": {"id": "oty1162QAr8hJjTaq0g4"},
            "profile": {
                "firstName": first,
                "lastName": last,
                "mobilePhone": null,
                "secondEmail": null,
                "login": email,
                "email": email,
            },
            "credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {"self": {"href": format!("{}/api/v1/users/{id}", self.org_url)}},
        });
        self.users.push(User {
            id: id.clone(),
            seq,
            json,
            roles: roles
                .iter()
                .map(|r| RoleAssignment::new(r, "USER"))
                .collect(),
        });
        id
    }

    /// Adds an API token for this user; returns the secret value (`00` + 40 base62).
    pub fn seed_api_token(&mut self, user_id: &str, name: &str) -> String {
        let token = format!("00{}", base62(40));
        self.api_tokens.push(ApiToken {
            id: okta_id("00T"),
            name: name.to_string(),
            token: token.clone(),
            user_id: user_id.to_string(),
            revoked: false,
            created: iso_now(),
        });
        token
    }

    /// Adds a group; returns its id.
    pub fn seed_group(&mut self, name: &str, description: &str, group_type: &str) -> String {
        let id = okta_id("00g");
        let seq = self.take_seq();
        let now = iso_now();
        let url = format!("{}/api/v1/groups/{id}", self.org_url);
        let json = json!({
            "id": id,
            "created": now,
            "lastUpdated": now,
            "lastMembershipUpdated": now,
            "objectClass": ["okta:user_group"],
            "type": group_type,
            "profile": {"name": name, "description": description},
            "_links": {
                "logo": [{"name": "medium", "href": format!("{}/img/logos/groups/okta-medium.png", self.org_url), "type": "image/png"}],
                "users": {"href": format!("{url}/users")},
                "apps": {"href": format!("{url}/apps")},
            },
        });
        self.groups.push(Group {
            id: id.clone(),
            seq,
            json,
        });
        id
    }

    /// Adds an OpenID Connect service app as `apono-okta` (or Apono's Terraform module)
    /// would create it, with `keys` as its JWKS (`private_key_jwt` when there is one,
    /// `client_secret_basic` otherwise), in status ACTIVE or INACTIVE. No grants, no
    /// roles: push them onto the returned app's `grants` / `roles` (or use
    /// [`OktaState::seed_grant`] / [`OktaState::seed_role`]). Returns the app id.
    pub fn seed_service_app(&mut self, label: &str, keys: &[Value], active: bool) -> String {
        let id = okta_id("0oa");
        let method = if keys.is_empty() {
            "client_secret_basic"
        } else {
            "private_key_jwt"
        };
        let json = base_app_json(
            &id,
            label,
            &json!({
                "application_type": "service",
                "grant_types": ["client_credentials"],
                "response_types": ["token"],
            }),
            &json!({"token_endpoint_auth_method": method}),
            method,
        );
        let mut app = App::oidc(&id, label, method, json);
        app.status = if active { "ACTIVE" } else { "INACTIVE" }.into();
        app.keys = keys.iter().map(|k| Key::new(k, "ACTIVE")).collect();
        self.add_app(app);
        id
    }

    /// Adds an app as the newest: gives it the next sequence number and refreshes its
    /// `json`.
    pub(crate) fn add_app(&mut self, mut app: App) -> &App {
        app.seq = self.take_seq();
        app.refresh(&self.org_url);
        self.apps.push(app);
        &self.apps[self.apps.len() - 1]
    }

    /// Grants a scope to an app (issuer: the org URL); returns the grant id.
    pub fn seed_grant(&mut self, app_id: &str, scope_id: &str) -> Option<String> {
        let org_url = self.org_url.clone();
        let by = self.users.first().map(|u| u.id.clone()).unwrap_or_default();
        let app = self.app_mut(app_id)?;
        let grant = Grant {
            id: okta_id("oag"),
            scope_id: scope_id.into(),
            issuer: org_url,
            created_by: by,
            created: iso_now(),
        };
        let id = grant.id.clone();
        app.grants.push(grant);
        Some(id)
    }

    /// Assigns an admin role to an app's client; returns the assignment id.
    pub fn seed_role(&mut self, app_id: &str, role_type: &str) -> Option<String> {
        let app = self.app_mut(app_id)?;
        let role = RoleAssignment::new(role_type, "CLIENT");
        let id = role.id.clone();
        app.roles.push(role);
        Some(id)
    }
}

/// The stored document of a new OpenID Connect app, before [`App::refresh`] adds the
/// dynamic fields. `settings_client` and `credentials_client` are what the request gave.
/// Fields Okta answers as `null` but the reference schema types as plain strings
/// (`accessibility.errorRedirectUrl`, `settings.notes.admin`, ...) are left out, and so
/// are fields real Okta sends that the reference schema of OIDC app settings does not
/// declare (`settings.app`, `settings.manualProvisioning`): clients must not come to
/// depend on them.
pub(crate) fn base_app_json(
    id: &str,
    label: &str,
    settings_client: &Value,
    credentials_client: &Value,
    auth_method: &str,
) -> Value {
    let mut oauth_settings = settings_client.clone();
    if !oauth_settings.is_object() {
        oauth_settings = json!({});
    }
    for (k, v) in [
        ("issuer_mode", json!("DYNAMIC")),
        (
            "idp_initiated_login",
            json!({"mode": "DISABLED", "default_scope": []}),
        ),
        ("wildcard_redirect", json!("DISABLED")),
        ("dpop_bound_access_tokens", json!(false)),
    ] {
        if oauth_settings.get(k).is_none() {
            oauth_settings[k] = v;
        }
    }
    let service = settings_client["application_type"] == "service";
    let mut cred = credentials_client.clone();
    if !cred.is_object() {
        cred = json!({});
    }
    if cred.get("autoKeyRotation").is_none() {
        cred["autoKeyRotation"] = json!(true);
    }
    if cred.get("pkce_required").is_none() {
        cred["pkce_required"] = json!(!service);
    }
    cred["token_endpoint_auth_method"] = json!(auth_method);
    if auth_method.starts_with("client_secret") && cred.get("client_secret").is_none() {
        cred["client_secret"] = json!(base62(64));
    }
    json!({
        "id": id,
        "orn": format!("orn:okta:idp:00o1n8sbwArJ7OQRw406:apps:oidc_client:{id}"),
        "name": "oidc_client",
        "label": label,
        "status": "ACTIVE",
        "accessibility": {"selfService": false},
        "visibility": {
            "autoLaunch": false,
            "autoSubmitToolbar": false,
            "hide": {"iOS": true, "web": true},
            "appLinks": {"oidc_client_link": true},
        },
        "features": [],
        "signOnMode": "OPENID_CONNECT",
        "credentials": {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {"kid": base62(43)},
            "oauthClient": cred,
        },
        "settings": {
            "oauthClient": oauth_settings,
            "notifications": {"vpn": {"network": {"connection": "DISABLED"}}},
            "implicitAssignment": false,
            "notes": {},
            "emOptInStatus": "DISABLED",
        },
    })
}

impl AponoState {
    fn new() -> AponoState {
        AponoState {
            api_tokens: vec![base62(43)],
            catalog: default_catalog(),
            integrations: Vec::new(),
            apono_public_jwk: serde_json::from_str(super::APONO_PUBLIC_JWK).unwrap_or(Value::Null),
        }
    }

    /// The integration with this id.
    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.id == id)
    }

    /// The catalog entry of this type.
    pub fn catalog_entry(&self, integration_type: &str) -> Option<&CatalogEntry> {
        self.catalog
            .iter()
            .find(|e| e.integration_type() == integration_type)
    }

    /// Adds an integration as if created through the API (status `Initializing`);
    /// returns its id. The type need not be in the catalog.
    pub fn seed_integration(
        &mut self,
        name: &str,
        integration_type: &str,
        config: Value,
    ) -> String {
        let category = self
            .catalog_entry(integration_type)
            .map(|e| e.category.clone())
            .unwrap_or_else(|| "RESOURCE".into());
        let id = uuid();
        self.integrations.push(Integration {
            id: id.clone(),
            name: name.into(),
            integration_type: integration_type.into(),
            category,
            status: "Initializing".into(),
            details: None,
            config,
            last_sync_time: None,
            last_sync_epoch: None,
            polls: 0,
            extra: Map::new(),
            changed_at: None,
        });
        id
    }
}

impl Integration {
    /// The integration as the v4 API answers it (`IntegrationV4`), plus `details` when
    /// there is a status message (the v4 schema has no such field; the v2 `Integration`
    /// schema names it `details`).
    pub fn render_v4(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "type": self.integration_type,
            "category": self.category,
            "connector_id": null,
            "status": self.status,
            "last_sync_time": self.last_sync_time,
            "integration_config": self.config,
            "secret_store_config": null,
            "connected_resource_types": null,
            "custom_access_details": null,
            "owner": null,
            "owners_mapping": null,
        });
        for (k, val) in &self.extra {
            v[k.as_str()] = val.clone();
        }
        if let Some(d) = &self.details {
            v["details"] = json!(d);
        }
        v
    }

    /// The integration as the v2 API answers it (`Integration`).
    pub fn render_v2(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "type": self.integration_type,
            "status": self.status,
            "details": self.details,
            "provisioner_id": self.extra.get("connector_id").cloned().unwrap_or(Value::Null),
            "connection": null,
            "last_sync_time": self.last_sync_epoch.map(|s| s as f64),
            "metadata": self.config,
            "secret_config": null,
            "connected_resource_types": self.extra.get("connected_resource_types")
                .filter(|v| v.is_array()).cloned().unwrap_or(json!([])),
            "custom_access_details": self.extra.get("custom_access_details").cloned().unwrap_or(Value::Null),
        })
    }
}

fn param(id: &str, label: &str, optional: bool) -> Value {
    json!({"id": id, "label": label, "values": [], "default": "", "optional": optional})
}

fn entry(
    name: &str,
    integration_type: &str,
    category: &str,
    description: &str,
    params: Vec<Value>,
    secrets: &[&str],
) -> CatalogEntry {
    CatalogEntry {
        category: category.into(),
        json: json!({
            "name": name,
            "type": integration_type,
            "description": description,
            "params": params,
            "requires_secret": !secrets.is_empty(),
            "supported_secret_types": secrets,
        }),
    }
}

/// The secret stores of catalog entries that take a secret.
const SECRET_STORES: &[&str] = &[
    "AWS",
    "GCP",
    "KUBERNETES",
    "AZURE",
    "HASHICORP_VAULT",
    "APONO",
];

/// The catalog the sandbox starts with.
pub(crate) fn default_catalog() -> Vec<CatalogEntry> {
    vec![
        entry(
            "AWS Account",
            "aws-account",
            "CLOUD",
            "Manage access to a single AWS account",
            vec![
                param("region", "Region", false),
                param("account_id", "Account ID", true),
            ],
            &[],
        ),
        entry(
            "Azure AD",
            "azure-active-directory",
            "IDENTITY_PROVIDER",
            "Sync users and groups from Microsoft Entra ID (Azure AD)",
            vec![
                param("tenant_id", "Tenant ID", false),
                param("client_id", "Client ID", false),
            ],
            SECRET_STORES,
        ),
        entry(
            "Google Workspace",
            "google-oauth",
            "IDENTITY_PROVIDER",
            "Sync users and groups from Google Workspace",
            vec![param("customer_id", "Customer ID", false)],
            &[],
        ),
        entry(
            "Okta",
            "okta",
            "RESOURCE",
            "Manage access to Okta groups and applications",
            vec![
                param("domain", "Okta Domain", false),
                param("client_id", "Client ID", false),
            ],
            &[],
        ),
        entry(
            "Okta Directory",
            "okta-directory",
            "IDENTITY_PROVIDER",
            "Sync users, groups and managers from your Okta organization",
            vec![
                param("okta_domain", "Okta Domain", false),
                param("client_id", "Client ID", false),
                param("manager_attribute", "Manager Attribute", true),
            ],
            &[],
        ),
        entry(
            "PostgreSQL",
            "postgresql",
            "DATABASE",
            "Manage access to PostgreSQL databases",
            vec![
                param("hostname", "Hostname", false),
                param_default("port", "Port", "5432"),
                param_default("dbname", "Database name", "postgres"),
            ],
            SECRET_STORES,
        ),
        entry(
            "Slack",
            "slack",
            "COLLABORATION",
            "Manage access to Slack channels",
            vec![],
            &[],
        ),
    ]
}

/// A catalog parameter with a default value (then not required).
fn param_default(id: &str, label: &str, default: &str) -> Value {
    json!({"id": id, "label": label, "values": [], "default": default, "optional": false})
}
