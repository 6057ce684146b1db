//! The Apono objects this tool reads, cut to the fields it uses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One entry of `GET /api/v2/integrations-catalog`.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub integration_type: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub params: Vec<CatalogParam>,
    #[serde(default)]
    pub requires_secret: bool,
}

/// One configuration parameter of a catalog entry.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogParam {
    pub id: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub optional: bool,
}

/// A page of the catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogPage {
    #[serde(default)]
    pub data: Vec<CatalogEntry>,
    #[serde(default)]
    pub pagination: Option<OffsetPagination>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OffsetPagination {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub offset: u64,
}

/// An integration (v4).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Integration {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub integration_type: String,
    #[serde(default)]
    pub category: Option<String>,
    /// `Initializing`, `Refreshing`, `Active`, `Error`, `Warning` or `Disabled`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub last_sync_time: Option<String>,
    #[serde(default)]
    pub integration_config: Map<String, Value>,
    /// Everything else Apono keeps (owners, connector, secret store, ...): carried over
    /// untouched when this tool updates the integration.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A page of `GET /api/admin/v4/integrations`.
#[derive(Debug, Clone, Deserialize)]
pub struct IntegrationPage {
    #[serde(default)]
    pub items: Vec<Integration>,
    #[serde(default)]
    pub pagination: Option<TokenPagination>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenPagination {
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// `GET /api/v2/integrations/{id}`: read only for its `details`, the words Apono
/// gives with an `Error` or `Warning` status.
#[derive(Debug, Clone, Deserialize)]
pub struct IntegrationDetails {
    #[serde(default)]
    pub details: Option<String>,
}
