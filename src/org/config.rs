//! Which Apono integration type and config keys to use, discovered from the catalog
//! (DESIGN.md §2). Pure: catalog entries in, a [`ConfigTemplate`] or an error out.

use serde_json::{Map, Value};

use crate::apono::{CatalogEntry, OKTA_DIRECTORY};

/// The integration config minus the client id, which exists only once the app does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfigTemplate {
    pub(crate) integration_type: String,
    /// Every param but the client id: the domain, the manager attribute, overrides, defaults.
    pub(crate) fixed: Map<String, Value>,
    /// The config key that holds the app's client id.
    pub(crate) client_id_key: String,
    /// The config key that holds the Okta domain (used to find this org's integration).
    pub(crate) domain_key: String,
    /// Set when the catalog had no entry and the documented fallback is in use.
    pub(crate) fallback_note: Option<String>,
}

impl ConfigTemplate {
    /// The full config for an app's client id.
    pub(crate) fn with_client_id(&self, client_id: &str) -> Map<String, Value> {
        let mut config = self.fixed.clone();
        config.insert(
            self.client_id_key.clone(),
            Value::String(client_id.to_string()),
        );
        config
    }

    /// The Okta domain in an existing integration's config.
    pub(crate) fn domain_of(&self, config: &Map<String, Value>) -> Option<String> {
        config
            .get(&self.domain_key)
            .and_then(Value::as_str)
            .map(normalise_domain)
    }

    /// The client id in an existing integration's config.
    pub(crate) fn client_id_of<'a>(&self, config: &'a Map<String, Value>) -> Option<&'a str> {
        config.get(&self.client_id_key).and_then(Value::as_str)
    }
}

/// What the user asked of the config.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConfigInputs {
    pub(crate) domain: String,
    pub(crate) manager_attribute: Option<String>,
    /// `--apono-config KEY=VALUE`, by param id; they win over everything.
    pub(crate) overrides: Vec<(String, String)>,
}

/// Why no config could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error(
        "Apono's integrations catalog has no \"{OKTA_DIRECTORY}\" entry (it lists: {available})"
    )]
    NoOktaDirectory { available: String },
    #[error("the Apono catalog entry \"{entry}\" has no parameter for the {what}")]
    MissingParam { entry: String, what: &'static str },
    #[error(
        "--apono-config {key}: the Apono catalog entry \"{entry}\" has no such parameter (it has: {known})"
    )]
    UnknownParam {
        key: String,
        entry: String,
        known: String,
    },
    #[error(
        "the Apono integration type \"{integration_type}\" requires \"{param}\" ({label}), which nothing filled"
    )]
    RequiredUnfilled {
        integration_type: String,
        param: String,
        label: String,
    },
}

/// Picks the "Okta Directory" entry (case-insensitive) from the catalog.
pub(crate) fn find_okta_directory(catalog: &[CatalogEntry]) -> Result<&CatalogEntry, ConfigError> {
    catalog
        .iter()
        .find(|e| e.name.trim().eq_ignore_ascii_case(OKTA_DIRECTORY))
        .ok_or_else(|| ConfigError::NoOktaDirectory {
            available: catalog
                .iter()
                .map(|e| crate::output::server_text(&e.name))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The config template for a catalog entry.
pub(crate) fn template_from_entry(
    entry: &CatalogEntry,
    inputs: &ConfigInputs,
) -> Result<ConfigTemplate, ConfigError> {
    let find = |what: &'static str, matches: fn(&str) -> bool| {
        entry
            .params
            .iter()
            .find(|p| matches(&p.id) || matches(&p.label))
            .map(|p| p.id.clone())
            .ok_or(ConfigError::MissingParam {
                entry: entry.name.clone(),
                what,
            })
    };
    let domain_key = find("Okta domain", mentions_domain)?;
    let client_id_key = find("client id", mentions_client_id)?;
    let manager_key = match find("manager attribute", mentions_manager) {
        Ok(key) => Some(key),
        Err(missing) if inputs.manager_attribute.is_some() => return Err(missing),
        Err(_) => None,
    };
    if let Some((key, _)) = inputs
        .overrides
        .iter()
        .find(|(key, _)| !entry.params.iter().any(|p| &p.id == key))
    {
        return Err(ConfigError::UnknownParam {
            key: key.clone(),
            entry: entry.name.clone(),
            known: entry
                .params
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }

    let mut fixed = Map::new();
    fixed.insert(domain_key.clone(), Value::String(inputs.domain.clone()));
    if let (Some(key), Some(attribute)) = (&manager_key, &inputs.manager_attribute) {
        fixed.insert(key.clone(), Value::String(attribute.clone()));
    }
    for (key, value) in &inputs.overrides {
        fixed.insert(key.clone(), Value::String(value.clone()));
    }
    for param in &entry.params {
        let default = param.default.as_deref().unwrap_or("");
        if param.id == client_id_key || fixed.contains_key(&param.id) || param.optional {
            continue;
        }
        if default.is_empty() {
            return Err(ConfigError::RequiredUnfilled {
                integration_type: entry.integration_type.clone(),
                param: param.id.clone(),
                label: param.label.clone(),
            });
        }
        fixed.insert(param.id.clone(), Value::String(default.to_string()));
    }
    Ok(ConfigTemplate {
        integration_type: entry.integration_type.clone(),
        fixed,
        client_id_key,
        domain_key,
        fallback_note: None,
    })
}

/// The documented fallback when the catalog itself answers 404: type `okta` with keys
/// `domain` and `client_id`.
pub(crate) fn fallback_template(inputs: &ConfigInputs) -> ConfigTemplate {
    let mut fixed = Map::new();
    fixed.insert("domain".into(), Value::String(inputs.domain.clone()));
    for (key, value) in &inputs.overrides {
        fixed.insert(key.clone(), Value::String(value.clone()));
    }
    ConfigTemplate {
        integration_type: "okta".into(),
        fixed,
        client_id_key: "client_id".into(),
        domain_key: "domain".into(),
        fallback_note: Some(format!(
            "Apono's integrations catalog answered 404; using integration type \"okta\" with config keys \"domain\" and \"client_id\"{}",
            if inputs.manager_attribute.is_some() {
                " (--manager-attribute is not sent: this type has no known key for it)"
            } else {
                ""
            }
        )),
    }
}

/// Lower-case, with spaces, `_` and `-` removed: "Client ID", "client_id", "client-id"
/// all become "clientid".
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn mentions_domain(text: &str) -> bool {
    squash(text).contains("domain")
}

fn mentions_client_id(text: &str) -> bool {
    squash(text).contains("clientid")
}

fn mentions_manager(text: &str) -> bool {
    squash(text).contains("manager")
}

/// A domain as stored in a config: lower-case, no scheme, no trailing slash.
pub(crate) fn normalise_domain(domain: &str) -> String {
    let d = domain.trim();
    let d = d
        .strip_prefix("https://")
        .or_else(|| d.strip_prefix("http://"))
        .unwrap_or(d);
    d.trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apono::models::CatalogParam;

    fn param(id: &str, label: &str, optional: bool, default: &str) -> CatalogParam {
        CatalogParam {
            id: id.into(),
            label: label.into(),
            default: Some(default.into()),
            optional,
        }
    }

    fn entry(params: Vec<CatalogParam>) -> CatalogEntry {
        CatalogEntry {
            name: "Okta Directory".into(),
            integration_type: "okta-directory".into(),
            params,
        }
    }

    fn inputs() -> ConfigInputs {
        ConfigInputs {
            domain: "example.okta.com".into(),
            manager_attribute: Some("managerId".into()),
            overrides: vec![],
        }
    }

    #[test]
    fn fills_params_by_id_or_label() {
        let e = entry(vec![
            param("org", "Okta Domain", false, ""),
            param("app-client-id", "Application", false, ""),
            param("mgr", "Manager attribute", true, ""),
            param("region", "Region", false, "us"),
            param("extra", "Extra", true, ""),
        ]);
        let t = template_from_entry(&e, &inputs()).unwrap();
        assert_eq!(t.domain_key, "org");
        assert_eq!(t.client_id_key, "app-client-id");
        let config = t.with_client_id("0oa1");
        assert_eq!(
            Value::Object(config),
            serde_json::json!({"org":"example.okta.com","app-client-id":"0oa1","mgr":"managerId","region":"us"})
        );
    }

    #[test]
    fn unfilled_required_param_is_named() {
        let e = entry(vec![
            param("domain", "Domain", false, ""),
            param("client_id", "Client ID", false, ""),
            param("tenant", "Tenant", false, ""),
        ]);
        let mut with_override = inputs();
        with_override.manager_attribute = None;
        let err = template_from_entry(&e, &with_override).unwrap_err();
        assert!(err.to_string().contains("\"tenant\""), "{err}");
        with_override.overrides.push(("tenant".into(), "t1".into()));
        assert!(template_from_entry(&e, &with_override).is_ok());
        with_override.overrides.push(("tenat".into(), "t1".into()));
        let typo = template_from_entry(&e, &with_override).unwrap_err();
        assert!(typo.to_string().contains("--apono-config tenat"), "{typo}");
        let no_manager_param = template_from_entry(&e, &inputs()).unwrap_err();
        assert!(matches!(
            no_manager_param,
            ConfigError::MissingParam {
                what: "manager attribute",
                ..
            }
        ));
    }

    #[test]
    fn finds_entry_case_insensitively() {
        let mut e = entry(vec![]);
        e.name = "okta directory".into();
        assert!(find_okta_directory(std::slice::from_ref(&e)).is_ok());
        e.name = "Okta".into();
        assert!(matches!(
            find_okta_directory(&[e]),
            Err(ConfigError::NoOktaDirectory { .. })
        ));
    }

    #[test]
    fn normalises_domains() {
        assert_eq!(
            normalise_domain("https://Example.okta.com/"),
            "example.okta.com"
        );
        assert_eq!(normalise_domain("127.0.0.1:8080"), "127.0.0.1:8080");
    }
}
