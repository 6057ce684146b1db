//! The Apono objects this tool reads, cut to the fields it uses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One entry of `GET /api/v2/integrations-catalog`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CatalogEntry {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) integration_type: String,
    #[serde(default)]
    pub(crate) params: Vec<CatalogParam>,
}

/// One configuration parameter of a catalog entry.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CatalogParam {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) label: String,
    #[serde(default)]
    pub(crate) default: Option<String>,
    #[serde(default)]
    pub(crate) optional: bool,
}

/// A page of the catalog.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CatalogPage {
    #[serde(default)]
    pub(crate) data: Vec<CatalogEntry>,
    #[serde(default)]
    pub(crate) pagination: Option<OffsetPagination>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OffsetPagination {
    #[serde(default)]
    pub(crate) total: u64,
    #[serde(default)]
    pub(crate) offset: u64,
}

/// An integration's status, as Apono reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) enum IntegrationStatus {
    #[default]
    Initializing,
    Refreshing,
    Active,
    Error,
    Warning,
    Disabled,
    /// A status this tool does not know (a newer Apono): read as "not settled yet".
    #[serde(untagged)]
    Other(String),
}

impl IntegrationStatus {
    /// `Active` or `Warning`: Apono is done syncing and found the integration working.
    pub(crate) fn is_healthy(&self) -> bool {
        matches!(self, IntegrationStatus::Active | IntegrationStatus::Warning)
    }

    /// `Error` or `Disabled`: Apono found it broken, or it is turned off.
    pub(crate) fn is_failed(&self) -> bool {
        matches!(self, IntegrationStatus::Error | IntegrationStatus::Disabled)
    }
}

impl std::fmt::Display for IntegrationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntegrationStatus::Other(status) => f.write_str(&crate::output::server_text(status)),
            known => write!(f, "{known:?}"),
        }
    }
}

/// An integration (v4).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct Integration {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(rename = "type", default)]
    pub(crate) integration_type: String,
    #[serde(default)]
    pub(crate) category: Option<String>,
    #[serde(default)]
    pub(crate) status: IntegrationStatus,
    #[serde(default)]
    pub(crate) last_sync_time: Option<String>,
    #[serde(default)]
    pub(crate) integration_config: Map<String, Value>,
    /// Everything else Apono keeps (owners, connector, secret store, ...): carried over
    /// untouched when this tool updates the integration.
    #[serde(flatten)]
    pub(crate) other: Map<String, Value>,
}

/// A page of `GET /api/admin/v4/integrations`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct IntegrationPage {
    #[serde(default)]
    pub(crate) items: Vec<Integration>,
    #[serde(default)]
    pub(crate) pagination: Option<TokenPagination>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TokenPagination {
    #[serde(default)]
    pub(crate) next_page_token: Option<String>,
}

/// `GET /api/v2/integrations/{id}`: read only for its `details`, the words Apono
/// gives with an `Error` or `Warning` status.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct IntegrationDetails {
    #[serde(default)]
    pub(crate) details: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::IntegrationStatus;

    #[test]
    fn statuses_read_and_print_as_apono_spells_them() {
        let read = |s: &str| serde_json::from_value::<IntegrationStatus>(s.into()).unwrap();
        assert_eq!(read("Active"), IntegrationStatus::Active);
        assert_eq!(read("Paused"), IntegrationStatus::Other("Paused".into()));
        assert!(!read("Paused").is_healthy() && !read("Paused").is_failed());
        assert_eq!(read("Warning").to_string(), "Warning");
        assert_eq!(
            serde_json::to_value(read("Paused")).unwrap(),
            serde_json::json!("Paused")
        );
        assert_eq!(
            serde_json::to_value(IntegrationStatus::Error).unwrap(),
            serde_json::json!("Error")
        );
    }
}
