//! The Apono public API client: the integrations catalog and integrations v4.
//!
//! It knows the API base URL and the personal API token and nothing of prompts or plans.

pub(crate) mod models;

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Map, Value, json};
use url::Url;

use crate::http::{
    ApiClient, ApiError, Auth, ClientError, HttpSettings, Page, ServiceName, path_segment,
};
use crate::secret::Secret;
pub(crate) use models::{CatalogEntry, Integration, IntegrationStatus};

/// The longest wait for Apono to report an integration `Active` (`--wait`) by default.
pub(crate) const DEFAULT_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The default Apono API base URL.
pub(crate) const DEFAULT_API_URL: &str = "https://api.apono.io";

/// The catalog entry this tool registers.
pub(crate) const OKTA_DIRECTORY: &str = "Okta Directory";

/// Apono's public key (a JWK), the one its Terraform module puts on the app; Apono
/// holds the private half. `--apono-jwk-file` overrides it.
pub const PUBLIC_JWK: &str = r#"{"kty":"RSA","kid":"c90fab69-f5cb-4975-97c1-87bb2688be8e","e":"AQAB","use":"sig","n":"rlN2Sq1LPsQj4BOS1lSN6KSuQBWT_okRZVnGQmrMYtX_n3QIOTtYYwBWPgU6b3GugyUc5v51gtykRbUXeoprfXcCfU3C2UUhzPOL8ZnIOVity5pk_9aFNHhGp6k_yGjadLOLxKUNFBh7X0-W_simDSf6EFOGU3EQjO5PUkyEXipp95kDBseh-lmv5nGHDaeqLDEzCPyptgBxg8pzUQM5t9o97fbSvy7qptg-RArF759dnHmva5W94tzO03gwhMNiI_0UlIG3TTg9K8DTcVTI0lS4CFdf7BpRQnurk6kb1UC7UE2RCPZO_E-mxaenTu6ckEx-1N6v0q_x5xJRW8rp9w"}"#;

/// [`PUBLIC_JWK`] as JSON.
pub fn public_jwk() -> Value {
    serde_json::from_str(PUBLIC_JWK).expect("PUBLIC_JWK is valid JSON")
}

/// A client for the Apono public API.
#[derive(Debug, Clone)]
pub(crate) struct AponoClient {
    api: ApiClient,
}

impl AponoClient {
    pub(crate) fn new(
        base: Url,
        token: Secret,
        settings: &HttpSettings,
    ) -> Result<AponoClient, ClientError> {
        let api = ApiClient::new(ServiceName::Apono, base, Auth::Bearer(token), settings)?;
        Ok(AponoClient { api })
    }

    /// Every catalog entry, following the offset pagination (`PaginationInfo`'s `offset`
    /// and `total`), through the common page guard ([`ApiClient::read_all_pages`]): more
    /// than [`MAX_PAGES`](crate::http::MAX_PAGES) pages is an error. The reference document does not say what a
    /// server that ignores `offset` does; one that answers the first page again is
    /// stopped there with the entries read so far, as this tool always did (the offsets
    /// themselves only grow, so they cannot loop).
    pub(crate) async fn catalog(&self) -> Result<Vec<CatalogEntry>, ApiError> {
        const PATH: &str = "/api/v2/integrations-catalog";
        let mut seen_types = HashSet::new();
        self.api
            .read_all_pages(PATH, 0u64, async |offset: &u64| {
                let path = match offset {
                    0 => PATH.to_string(),
                    offset => format!("{PATH}?offset={offset}"),
                };
                let page: models::CatalogPage = self.api.get(&path).await?;
                let received = page.data.len() as u64;
                let repeated = page
                    .data
                    .first()
                    .is_some_and(|first| seen_types.contains(&first.integration_type));
                if repeated {
                    return Ok(Page {
                        items: Vec::new(),
                        next: None,
                    });
                }
                seen_types.extend(page.data.iter().map(|e| e.integration_type.clone()));
                let next = page
                    .pagination
                    .filter(|p| received > 0 && p.offset + received < p.total)
                    .map(|p| p.offset + received);
                Ok(Page {
                    items: page.data,
                    next,
                })
            })
            .await
    }

    /// One catalog entry by type.
    pub(crate) async fn catalog_entry(
        &self,
        integration_type: &str,
    ) -> Result<CatalogEntry, ApiError> {
        self.api
            .get(&format!(
                "/api/v2/integrations-catalog/{}",
                path_segment(integration_type)
            ))
            .await
    }

    /// Every integration of a type, following `next_page_token` through the common page
    /// guard ([`ApiClient::read_all_pages`]): a token that comes back, or more than
    /// [`MAX_PAGES`](crate::http::MAX_PAGES) pages, is an error, since a partial list would make this org's
    /// integration look absent. The first page is the one without a token.
    pub(crate) async fn integrations(
        &self,
        integration_type: &str,
    ) -> Result<Vec<Integration>, ApiError> {
        const PATH: &str = "/api/admin/v4/integrations";
        self.api
            .read_all_pages(PATH, None, async |page_token: &Option<String>| {
                let mut query = url::form_urlencoded::Serializer::new(String::new());
                query
                    .append_pair("type", integration_type)
                    .append_pair("limit", "100");
                if let Some(token) = page_token {
                    query.append_pair("page_token", token);
                }
                let page: models::IntegrationPage =
                    self.api.get(&format!("{PATH}?{}", query.finish())).await?;
                let next = page
                    .pagination
                    .and_then(|p| p.next_page_token)
                    .filter(|t| !t.is_empty());
                Ok(Page {
                    items: page.items,
                    next: next.map(Some),
                })
            })
            .await
    }

    /// One integration.
    pub(crate) async fn integration(&self, id: &str) -> Result<Integration, ApiError> {
        self.api
            .get(&format!("/api/admin/v4/integrations/{}", path_segment(id)))
            .await
    }

    /// What Apono says about an integration's status (`details`), if anything.
    pub(crate) async fn integration_details(&self, id: &str) -> Result<Option<String>, ApiError> {
        let details: models::IntegrationDetails = self
            .api
            .get(&format!("/api/v2/integrations/{}", path_segment(id)))
            .await?;
        // Text for people: on one line and cut, as all server text in a message.
        Ok(details
            .details
            .filter(|d| !d.trim().is_empty())
            .map(|d| crate::output::server_text(&d)))
    }

    /// Creates an integration.
    pub(crate) async fn create_integration(
        &self,
        name: &str,
        integration_type: &str,
        config: &Map<String, Value>,
    ) -> Result<Integration, ApiError> {
        let body = json!({ "name": name, "type": integration_type, "integration_config": config });
        self.api
            .send_json(Method::POST, "/api/admin/v4/integrations", Some(&body))
            .await
    }

    /// Replaces an integration: `PUT` is a full replace, so everything this tool does not
    /// manage is sent back as `previous` has it (see [`update_body`]).
    pub(crate) async fn update_integration(
        &self,
        previous: &Integration,
        config: &Map<String, Value>,
    ) -> Result<Integration, ApiError> {
        let body = update_body(previous, config);
        let path = format!("/api/admin/v4/integrations/{}", path_segment(&previous.id));
        self.api.send_json(Method::PUT, &path, Some(&body)).await
    }

    /// Deletes an integration.
    pub(crate) async fn delete_integration(&self, id: &str) -> Result<(), ApiError> {
        let path = format!("/api/admin/v4/integrations/{}", path_segment(id));
        self.api.send_no_content(Method::DELETE, &path, None).await
    }
}

/// The `PUT` body that gives `previous` a new `integration_config` and keeps the rest:
/// the name, the connector, the secret store, resource types, access details, owners.
/// Owners are read with `source_integration_id`/`_name` and written with
/// `source_integration_reference` (the v4 read and upsert shapes differ).
pub(crate) fn update_body(previous: &Integration, config: &Map<String, Value>) -> Value {
    let mut body = Map::new();
    body.insert("name".into(), Value::String(previous.name.clone()));
    body.insert("integration_config".into(), Value::Object(config.clone()));
    for key in [
        "connector_id",
        "secret_store_config",
        "connected_resource_types",
        "custom_access_details",
    ] {
        if let Some(value) = previous.other.get(key).filter(|v| !v.is_null()) {
            body.insert(key.into(), value.clone());
        }
    }
    for (key, fields) in [
        ("owner", &["attribute_type", "attribute_value"][..]),
        ("owners_mapping", &["key_name", "attribute_type"][..]),
    ] {
        if let Some(Value::Object(read)) = previous.other.get(key) {
            let mut upsert: Map<String, Value> = fields
                .iter()
                .filter_map(|f| read.get(*f).map(|v| (f.to_string(), v.clone())))
                .collect();
            let reference = read
                .get("source_integration_id")
                .or_else(|| read.get("source_integration_name"))
                .filter(|v| !v.is_null());
            if let Some(reference) = reference {
                upsert.insert("source_integration_reference".into(), reference.clone());
            }
            body.insert(key.into(), Value::Object(upsert));
        }
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_keeps_what_this_tool_does_not_manage() {
        let previous: Integration = serde_json::from_value(json!({
            "id": "i1", "name": "Okta", "type": "okta-directory", "category": "IDP", "status": "Active",
            "connector_id": null,
            "custom_access_details": "ask #it",
            "integration_config": {"okta_domain": "example.okta.com", "client_id": "0oaOLD"},
            "owner": {"attribute_type": "group", "attribute_value": ["00g1"], "source_integration_id": "i9", "source_integration_name": "Okta"}
        }))
        .unwrap();
        let mut config = Map::new();
        config.insert("client_id".into(), json!("0oaNEW"));
        assert_eq!(
            update_body(&previous, &config),
            json!({
                "name": "Okta",
                "integration_config": {"client_id": "0oaNEW"},
                "custom_access_details": "ask #it",
                "owner": {"attribute_type": "group", "attribute_value": ["00g1"], "source_integration_reference": "i9"}
            })
        );
    }
}
