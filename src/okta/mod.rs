//! The Okta Management API client: the calls DESIGN.md §1 lists, nothing else.
//!
//! It knows the org URL and the API token, speaks JSON through [`crate::http::ApiClient`]
//! and returns typed models or [`ApiError`]s. It knows nothing of prompts or plans.
//! It reaches that client only through `org::Gate`: no call sends the token before the
//! host is known to be an Okta org (DESIGN.md §3.2).

pub(crate) mod models;
pub(crate) mod org;

use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use crate::http::{
    ApiClient, ApiError, Auth, ClientError, HttpSettings, ServiceName, path_segment,
};
use crate::secret::Secret;
pub(crate) use models::{
    App, CustomRole, Grant, Permission, ResourceSet, ResourceSetResource, RoleAssignment, User,
};

/// The scopes the app needs to read users and groups.
pub(crate) const REQUIRED_SCOPES: [&str; 2] = ["okta.groups.read", "okta.users.read"];

/// The `name` of an OAuth 2.0 client app in Okta (what this tool and the module create).
pub(crate) const SERVICE_APP_NAME: &str = "oidc_client";

/// What an app created by this tool (or by Apono's Terraform module) is called.
pub(crate) const DEFAULT_APP_LABEL: &str = "Apono Integration";

/// A client for one Okta org. Clones share the org check.
#[derive(Debug, Clone)]
pub(crate) struct OktaClient {
    gate: org::Gate,
}

impl OktaClient {
    /// `org_url` is the org's origin (`https://example.okta.com`).
    pub(crate) fn new(
        org_url: Url,
        token: Secret,
        settings: &HttpSettings,
    ) -> Result<OktaClient, ClientError> {
        let api = ApiClient::new(ServiceName::Okta, org_url, Auth::Ssws(token), settings)?;
        Ok(OktaClient {
            gate: org::Gate::new(api),
        })
    }

    /// The HTTP client, once the org check passed: every call goes through here.
    async fn api(&self) -> Result<&ApiClient, ApiError> {
        self.gate.open().await
    }

    /// The progress line for the org the check confirmed (`login.acme.com is the Okta
    /// org acme.okta.com, 00o...`); `None` before the check (the first call runs it), or
    /// when none was needed (under Okta's own domains).
    pub(crate) fn org_confirmation(&self) -> Option<String> {
        self.gate
            .confirmed()
            .map(|org| org.describe(self.gate.base()))
    }

    /// The issuer for scope grants: the org URL's origin, no trailing slash.
    pub(crate) fn issuer(&self) -> String {
        self.gate.base().origin().ascii_serialization()
    }

    /// Okta's current time, read off its latest answer's `Date` header.
    pub(crate) fn server_now(&self) -> std::time::SystemTime {
        self.gate.server_now()
    }

    /// The user who owns the API token.
    pub(crate) async fn current_user(&self) -> Result<User, ApiError> {
        self.api().await?.get("/api/v1/users/me").await
    }

    /// The admin roles assigned to a user.
    pub(crate) async fn user_roles(&self, user_id: &str) -> Result<Vec<RoleAssignment>, ApiError> {
        self.api()
            .await?
            .get_all_pages(&format!("/api/v1/users/{}/roles", path_segment(user_id)))
            .await
    }

    /// Whether new service apps become super admins once granted scopes.
    pub(crate) async fn client_privileges_setting(&self) -> Result<bool, ApiError> {
        let setting: models::ClientPrivilegesSetting = self
            .api()
            .await?
            .get("/api/v1/org/settings/clientPrivilegesSetting")
            .await?;
        Ok(setting.client_privileges_setting)
    }

    /// Every app, active or not, whose label is exactly `label`. Okta's `q` is a prefix
    /// match on name or label, so the exact filter happens here.
    pub(crate) async fn apps_with_label(&self, label: &str) -> Result<Vec<App>, ApiError> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", label)
            .append_pair("includeNonDeleted", "true")
            .append_pair("limit", "200")
            .finish();
        let apps: Vec<App> = self
            .api()
            .await?
            .get_all_pages(&format!("/api/v1/apps?{query}"))
            .await?;
        Ok(apps.into_iter().filter(|app| app.label == label).collect())
    }

    /// One app by id.
    pub(crate) async fn app(&self, app_id: &str) -> Result<App, ApiError> {
        self.api()
            .await?
            .get(&format!("/api/v1/apps/{}", path_segment(app_id)))
            .await
    }

    /// The app whose OAuth client id this is. Okta makes the client id the app id
    /// unless one was chosen; for those, the apps with `label` are searched.
    pub(crate) async fn app_for_client_id(
        &self,
        client_id: &str,
        label: &str,
    ) -> Result<Option<App>, ApiError> {
        match self.app(client_id).await {
            Ok(app) => Ok(Some(app)),
            Err(e) if e.is_not_found() => Ok(self
                .apps_with_label(label)
                .await?
                .into_iter()
                .find(|app| app.client_id() == client_id)),
            Err(e) => Err(e),
        }
    }

    /// Creates the OAuth 2.0 service app that Apono signs in as.
    pub(crate) async fn create_service_app(
        &self,
        label: &str,
        public_key: &Value,
    ) -> Result<App, ApiError> {
        let body = service_app_body(label, public_key);
        self.api()
            .await?
            .send_json(Method::POST, "/api/v1/apps", Some(&body))
            .await
    }

    /// Deactivates an app (required before deleting it).
    pub(crate) async fn deactivate_app(&self, app_id: &str) -> Result<(), ApiError> {
        let path = format!("/api/v1/apps/{}/lifecycle/deactivate", path_segment(app_id));
        self.api()
            .await?
            .send_no_content(Method::POST, &path, None)
            .await
    }

    /// Activates an app.
    pub(crate) async fn activate_app(&self, app_id: &str) -> Result<(), ApiError> {
        let path = format!("/api/v1/apps/{}/lifecycle/activate", path_segment(app_id));
        self.api()
            .await?
            .send_no_content(Method::POST, &path, None)
            .await
    }

    /// Adds a public key to an app's JWKS.
    pub(crate) async fn add_key(&self, app_id: &str, jwk: &Value) -> Result<(), ApiError> {
        let path = format!("/api/v1/apps/{}/credentials/jwks", path_segment(app_id));
        self.api()
            .await?
            .send_no_content(Method::POST, &path, Some(jwk))
            .await
    }

    /// Deletes an inactive app.
    pub(crate) async fn delete_app(&self, app_id: &str) -> Result<(), ApiError> {
        let path = format!("/api/v1/apps/{}", path_segment(app_id));
        self.api()
            .await?
            .send_no_content(Method::DELETE, &path, None)
            .await
    }

    /// The scope grants of an app.
    pub(crate) async fn grants(&self, app_id: &str) -> Result<Vec<Grant>, ApiError> {
        self.api()
            .await?
            .get_all_pages(&format!("/api/v1/apps/{}/grants", path_segment(app_id)))
            .await
    }

    /// Grants one scope to an app, issued by this org.
    pub(crate) async fn grant_scope(&self, app_id: &str, scope: &str) -> Result<Grant, ApiError> {
        let body = json!({ "scopeId": scope, "issuer": self.issuer() });
        let path = format!("/api/v1/apps/{}/grants", path_segment(app_id));
        self.api()
            .await?
            .send_json(Method::POST, &path, Some(&body))
            .await
    }

    /// The admin roles assigned to an app's client.
    pub(crate) async fn client_roles(
        &self,
        client_id: &str,
    ) -> Result<Vec<RoleAssignment>, ApiError> {
        self.api()
            .await?
            .get_all_pages(&format!(
                "/oauth2/v1/clients/{}/roles",
                path_segment(client_id)
            ))
            .await
    }

    /// Assigns a standard admin role to an app's client.
    pub(crate) async fn assign_client_role(
        &self,
        client_id: &str,
        role: &str,
    ) -> Result<RoleAssignment, ApiError> {
        let body = json!({ "type": role });
        let path = format!("/oauth2/v1/clients/{}/roles", path_segment(client_id));
        self.api()
            .await?
            .send_json(Method::POST, &path, Some(&body))
            .await
    }

    /// `DELETE /api/v1/apps/{appId}/grants/{grantId}`: revokes one scope grant.
    pub(crate) async fn revoke_grant(&self, app_id: &str, grant_id: &str) -> Result<(), ApiError> {
        let (app, grant) = (path_segment(app_id), path_segment(grant_id));
        self.delete(&format!("/api/v1/apps/{app}/grants/{grant}"))
            .await
    }

    /// Removes a role assignment from an app's client.
    pub(crate) async fn unassign_client_role(
        &self,
        client_id: &str,
        assignment_id: &str,
    ) -> Result<(), ApiError> {
        let (client, assignment) = (path_segment(client_id), path_segment(assignment_id));
        self.delete(&format!("/oauth2/v1/clients/{client}/roles/{assignment}"))
            .await
    }

    /// `DELETE path`, answered with no content.
    async fn delete(&self, path: &str) -> Result<(), ApiError> {
        self.api()
            .await?
            .send_no_content(Method::DELETE, path, None)
            .await
    }

    /// Assigns a custom role, reaching a resource set, to an app's client.
    pub(crate) async fn assign_custom_client_role(
        &self,
        client_id: &str,
        role_id: &str,
        resource_set_id: &str,
    ) -> Result<RoleAssignment, ApiError> {
        let body = json!({ "type": "CUSTOM", "role": role_id, "resource-set": resource_set_id });
        let path = format!("/oauth2/v1/clients/{}/roles", path_segment(client_id));
        self.api()
            .await?
            .send_json(Method::POST, &path, Some(&body))
            .await
    }

    /// The custom role with this label, if the org has one (a lookup by label).
    pub(crate) async fn custom_role_by_label(
        &self,
        label: &str,
    ) -> Result<Option<CustomRole>, ApiError> {
        let path = format!("/api/v1/iam/roles/{}", path_segment(label));
        found(self.api().await?.get(&path).await)
    }

    /// Creates a custom role.
    pub(crate) async fn create_custom_role(
        &self,
        label: &str,
        description: &str,
        permissions: &[&str],
    ) -> Result<CustomRole, ApiError> {
        let body =
            json!({ "label": label, "description": description, "permissions": permissions });
        self.api()
            .await?
            .send_json(Method::POST, "/api/v1/iam/roles", Some(&body))
            .await
    }

    /// The permissions a custom role grants.
    pub(crate) async fn role_permissions(&self, role_id: &str) -> Result<Vec<String>, ApiError> {
        let path = format!("/api/v1/iam/roles/{}/permissions", path_segment(role_id));
        let permissions: Vec<Permission> = self
            .api()
            .await?
            .get_all_embedded_pages(&path, "permissions")
            .await?;
        Ok(permissions.into_iter().map(|p| p.label).collect())
    }

    /// Adds a permission to a custom role.
    pub(crate) async fn add_role_permission(
        &self,
        role_id: &str,
        permission: &str,
    ) -> Result<(), ApiError> {
        self.api()
            .await?
            .send_no_content(Method::POST, &permission_path(role_id, permission), None)
            .await
    }

    /// Takes a permission from a custom role.
    pub(crate) async fn delete_role_permission(
        &self,
        role_id: &str,
        permission: &str,
    ) -> Result<(), ApiError> {
        self.api()
            .await?
            .send_no_content(Method::DELETE, &permission_path(role_id, permission), None)
            .await
    }

    /// Deletes a custom role.
    pub(crate) async fn delete_custom_role(&self, role_id: &str) -> Result<(), ApiError> {
        let path = format!("/api/v1/iam/roles/{}", path_segment(role_id));
        self.api()
            .await?
            .send_no_content(Method::DELETE, &path, None)
            .await
    }

    /// The resource set with this label, if the org has one (a lookup by label).
    pub(crate) async fn resource_set_by_label(
        &self,
        label: &str,
    ) -> Result<Option<ResourceSet>, ApiError> {
        let path = format!("/api/v1/iam/resource-sets/{}", path_segment(label));
        found(self.api().await?.get(&path).await)
    }

    /// Creates a resource set holding `resources` (REST URLs or ORNs).
    pub(crate) async fn create_resource_set(
        &self,
        label: &str,
        description: &str,
        resources: &[String],
    ) -> Result<ResourceSet, ApiError> {
        let body = json!({ "label": label, "description": description, "resources": resources });
        self.api()
            .await?
            .send_json(Method::POST, "/api/v1/iam/resource-sets", Some(&body))
            .await
    }

    /// The resources of a resource set.
    pub(crate) async fn resource_set_resources(
        &self,
        set_id: &str,
    ) -> Result<Vec<ResourceSetResource>, ApiError> {
        let path = format!(
            "/api/v1/iam/resource-sets/{}/resources",
            path_segment(set_id)
        );
        self.api()
            .await?
            .get_all_embedded_pages(&path, "resources")
            .await
    }

    /// Adds resources (REST URLs or ORNs) to a resource set.
    pub(crate) async fn add_resource_set_resources(
        &self,
        set_id: &str,
        additions: &[String],
    ) -> Result<(), ApiError> {
        let path = format!(
            "/api/v1/iam/resource-sets/{}/resources",
            path_segment(set_id)
        );
        let body = json!({ "additions": additions });
        self.api()
            .await?
            .send_json::<Value>(Method::PATCH, &path, Some(&body))
            .await
            .map(|_| ())
    }

    /// Removes one resource from a resource set.
    pub(crate) async fn delete_resource_set_resource(
        &self,
        set_id: &str,
        resource_id: &str,
    ) -> Result<(), ApiError> {
        let path = format!(
            "/api/v1/iam/resource-sets/{}/resources/{}",
            path_segment(set_id),
            path_segment(resource_id)
        );
        self.api()
            .await?
            .send_no_content(Method::DELETE, &path, None)
            .await
    }

    /// Deletes a resource set.
    pub(crate) async fn delete_resource_set(&self, set_id: &str) -> Result<(), ApiError> {
        let path = format!("/api/v1/iam/resource-sets/{}", path_segment(set_id));
        self.api()
            .await?
            .send_no_content(Method::DELETE, &path, None)
            .await
    }

    /// Revokes the API token this client was built with. Afterwards it answers 401.
    pub(crate) async fn revoke_current_token(&self) -> Result<(), ApiError> {
        self.api()
            .await?
            .send_no_content(Method::DELETE, "/api/v1/api-tokens/current", None)
            .await
    }
}

/// A lookup's answer, with 404 as `None`.
fn found<T>(answer: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match answer {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn permission_path(role_id: &str, permission: &str) -> String {
    format!(
        "/api/v1/iam/roles/{}/permissions/{}",
        path_segment(role_id),
        path_segment(permission)
    )
}

/// The body of `POST /api/v1/apps` for the service app (DESIGN.md §1).
pub fn service_app_body(label: &str, public_key: &Value) -> Value {
    json!({
        "name": SERVICE_APP_NAME,
        "label": label,
        "signOnMode": "OPENID_CONNECT",
        "credentials": {
            "oauthClient": { "token_endpoint_auth_method": "private_key_jwt" }
        },
        "settings": {
            "oauthClient": {
                "application_type": "service",
                "grant_types": ["client_credentials"],
                "response_types": ["token"],
                "jwks": { "keys": [public_key] }
            }
        }
    })
}
