//! The Okta objects this tool reads, cut to the fields it uses. Unknown fields are
//! ignored and missing optional ones default, so a newer Okta answer still parses.

use serde::Deserialize;
use serde_json::Value;

/// `GET /api/v1/users/me`.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub profile: UserProfile,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserProfile {
    #[serde(default)]
    pub login: Option<String>,
}

/// A role assignment of a user or a client (`SUPER_ADMIN`, `READ_ONLY_ADMIN`, ...,
/// or `CUSTOM` with a role and a resource set).
#[derive(Debug, Clone, Deserialize)]
pub struct RoleAssignment {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type")]
    pub role_type: String,
    #[serde(default)]
    pub status: Option<String>,
    /// The role's label (`Read-only Administrator`; a custom role's own label).
    #[serde(default)]
    pub label: Option<String>,
    /// `CUSTOM` only: the custom role's id.
    #[serde(default)]
    pub role: Option<String>,
    /// `CUSTOM` only: the resource set's id.
    #[serde(default, rename = "resource-set")]
    pub resource_set: Option<String>,
}

/// A custom admin role (`/api/v1/iam/roles`).
#[derive(Debug, Clone, Deserialize)]
pub struct CustomRole {
    pub id: String,
    #[serde(default)]
    pub label: String,
}

/// A resource set (`/api/v1/iam/resource-sets`).
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceSet {
    pub id: String,
    #[serde(default)]
    pub label: String,
}

/// One permission of a custom role.
#[derive(Debug, Clone, Deserialize)]
pub struct Permission {
    pub label: String,
}

/// One resource of a resource set: an ORN, and the REST URL it stands for.
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceSetResource {
    pub id: String,
    #[serde(default)]
    pub orn: Option<String>,
    #[serde(default, rename = "_links")]
    pub links: Option<Value>,
}

impl ResourceSetResource {
    /// The resource's REST URL (`https://example.okta.com/api/v1/users`), when listed.
    pub fn url(&self) -> Option<&str> {
        self.links.as_ref()?.get("self")?.get("href")?.as_str()
    }

    /// Whether this is the org's `users` or `groups` (or other) collection: the last
    /// segment of its REST URL or ORN.
    pub fn kind(&self) -> Option<&str> {
        self.url()
            .and_then(|u| u.rsplit('/').next())
            .or_else(|| self.orn.as_deref()?.rsplit(':').next())
    }
}

/// An application (`0oa...`).
#[derive(Debug, Clone, Deserialize)]
pub struct App {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub label: String,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub credentials: AppCredentials,
    #[serde(default)]
    pub settings: AppSettings,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppCredentials {
    #[serde(default, rename = "oauthClient")]
    pub oauth_client: Option<OAuthClientCredentials>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OAuthClientCredentials {
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppSettings {
    #[serde(default, rename = "oauthClient")]
    pub oauth_client: Option<OAuthClientSettings>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OAuthClientSettings {
    #[serde(default)]
    pub jwks: Option<Jwks>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Jwks {
    #[serde(default)]
    pub keys: Vec<Value>,
}

impl App {
    /// The OAuth client id; Okta makes it equal to the app id unless one was chosen.
    pub fn client_id(&self) -> &str {
        self.credentials
            .oauth_client
            .as_ref()
            .and_then(|c| c.client_id.as_deref())
            .unwrap_or(&self.id)
    }

    /// Whether the app is active.
    pub fn is_active(&self) -> bool {
        self.status.eq_ignore_ascii_case("ACTIVE")
    }

    /// Whether the app carries this public key, active (same `kty`, `n` and `e`).
    pub fn carries_key(&self, jwk: &Value) -> bool {
        let part =
            |key: &Value, name: &str| key.get(name).and_then(Value::as_str).map(str::to_string);
        self.keys().iter().any(|key| {
            let active = key
                .get("status")
                .and_then(Value::as_str)
                .is_none_or(|s| s == "ACTIVE");
            active
                && ["kty", "n", "e"]
                    .iter()
                    .all(|name| part(key, name).is_some() && part(key, name) == part(jwk, name))
        })
    }

    /// The public keys the app carries.
    pub fn keys(&self) -> &[Value] {
        self.settings
            .oauth_client
            .as_ref()
            .and_then(|s| s.jwks.as_ref())
            .map_or(&[], |j| j.keys.as_slice())
    }
}

/// An OAuth 2.0 scope consent grant (`oag...`).
#[derive(Debug, Clone, Deserialize)]
pub struct Grant {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "scopeId")]
    pub scope_id: String,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// `GET /api/v1/org/settings/clientPrivilegesSetting`.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientPrivilegesSetting {
    #[serde(default, rename = "clientPrivilegesSetting")]
    pub client_privileges_setting: bool,
}
