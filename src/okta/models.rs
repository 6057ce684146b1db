//! The Okta objects this tool reads, cut to the fields it uses. Unknown fields are
//! ignored and missing optional ones default, so a newer Okta answer still parses.

use serde::Deserialize;
use serde_json::Value;

/// `GET /api/v1/users/me`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct User {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) profile: UserProfile,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct UserProfile {
    #[serde(default)]
    pub(crate) login: Option<String>,
}

/// A role assignment of a user or a client (`SUPER_ADMIN`, `READ_ONLY_ADMIN`, ...,
/// or `CUSTOM` with a role and a resource set).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RoleAssignment {
    #[serde(default)]
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) role_type: String,
    /// The role's label (`Read-only Administrator`; a custom role's own label).
    #[serde(default)]
    pub(crate) label: Option<String>,
    /// `CUSTOM` only: the custom role's id.
    #[serde(default)]
    pub(crate) role: Option<String>,
    /// `CUSTOM` only: the resource set's id.
    #[serde(default, rename = "resource-set")]
    pub(crate) resource_set: Option<String>,
}

/// A custom admin role (`/api/v1/iam/roles`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CustomRole {
    pub(crate) id: String,
}

/// A resource set (`/api/v1/iam/resource-sets`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ResourceSet {
    pub(crate) id: String,
}

/// One permission of a custom role.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Permission {
    pub(crate) label: String,
}

/// One resource of a resource set: an ORN, and the REST URL it stands for.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ResourceSetResource {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) orn: Option<String>,
    #[serde(default, rename = "_links")]
    pub(crate) links: Option<Value>,
}

impl ResourceSetResource {
    /// The resource's REST URL (`https://example.okta.com/api/v1/users`), when listed.
    pub(crate) fn url(&self) -> Option<&str> {
        self.links.as_ref()?.get("self")?.get("href")?.as_str()
    }

    /// Whether this is the org's `users` or `groups` (or other) collection: the last
    /// segment of its REST URL or ORN.
    pub(crate) fn kind(&self) -> Option<&str> {
        self.url()
            .and_then(|u| u.rsplit('/').next())
            .or_else(|| self.orn.as_deref()?.rsplit(':').next())
    }
}

/// An application (`0oa...`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct App {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) label: String,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) created: Option<String>,
    #[serde(default)]
    pub(crate) credentials: AppCredentials,
    #[serde(default)]
    pub(crate) settings: AppSettings,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct AppCredentials {
    #[serde(default, rename = "oauthClient")]
    pub(crate) oauth_client: Option<OAuthClientCredentials>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct OAuthClientCredentials {
    #[serde(default)]
    pub(crate) client_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct AppSettings {
    #[serde(default, rename = "oauthClient")]
    pub(crate) oauth_client: Option<OAuthClientSettings>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct OAuthClientSettings {
    #[serde(default)]
    pub(crate) jwks: Option<Jwks>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Jwks {
    #[serde(default)]
    pub(crate) keys: Vec<Value>,
}

impl App {
    /// The OAuth client id; Okta makes it equal to the app id unless one was chosen.
    pub(crate) fn client_id(&self) -> &str {
        self.credentials
            .oauth_client
            .as_ref()
            .and_then(|c| c.client_id.as_deref())
            .unwrap_or(&self.id)
    }

    /// Whether the app is active.
    pub(crate) fn is_active(&self) -> bool {
        self.status.eq_ignore_ascii_case("ACTIVE")
    }

    /// Whether the app carries this public key, active (same `kty`, `n` and `e`).
    pub(crate) fn carries_key(&self, jwk: &Value) -> bool {
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
    pub(crate) fn keys(&self) -> &[Value] {
        self.settings
            .oauth_client
            .as_ref()
            .and_then(|s| s.jwks.as_ref())
            .map_or(&[], |j| j.keys.as_slice())
    }
}

/// An OAuth 2.0 scope consent grant (`oag...`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Grant {
    #[serde(default)]
    pub(crate) id: String,
    #[serde(rename = "scopeId")]
    pub(crate) scope_id: String,
}

/// `GET /api/v1/org/settings/clientPrivilegesSetting`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ClientPrivilegesSetting {
    #[serde(default, rename = "clientPrivilegesSetting")]
    pub(crate) client_privileges_setting: bool,
}
