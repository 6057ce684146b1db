//! The org rules, pure: which apps are ours, which ones Apono references, which are too
//! young to touch (a run may be in flight), and which integration is this org's. No
//! HTTP: `connect`'s plan, `status`'s judgement and `disconnect`'s plan all decide with
//! these, and unit tests reach them from observed states.

use std::time::{Duration, SystemTime};

use crate::apono::Integration;
use crate::okta::{App, SERVICE_APP_NAME};

/// An unreferenced app younger than this may belong to a run still in flight
/// (DESIGN.md §3, "Concurrent runs"): it is left for a later run to retire.
pub(crate) const YOUNG_APP_GRACE: Duration = Duration::from_secs(15 * 60);

/// Whether the app was created less than [`YOUNG_APP_GRACE`] before `now` (Okta's
/// clock). An app whose creation time is missing or unreadable counts as young: it
/// cannot be shown to be old.
pub(crate) fn is_young(app: &App, now: SystemTime) -> bool {
    let Some(created) = app
        .created
        .as_deref()
        .and_then(|c| humantime::parse_rfc3339_weak(c).ok())
    else {
        return true;
    };
    now.duration_since(created)
        .map_or(true, |age| age < YOUNG_APP_GRACE)
}

/// Why no single integration or app could be picked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PickError {
    #[error("Apono has {} integrations for {domain}: {}", .found.len(), .found.join(", "))]
    SeveralIntegrations { domain: String, found: Vec<String> },
    #[error("--apono-integration-id {id} is not an Okta integration for {domain} (found: {})", if .found.is_empty() { "none".to_string() } else { .found.join(", ") })]
    UnknownIntegration {
        id: String,
        domain: String,
        found: Vec<String>,
    },
    #[error("--reuse-app: {} apps are labelled \"{label}\" and Apono uses none of them: {}", .found.len(), .found.join(", "))]
    AmbiguousReuse { label: String, found: Vec<String> },
}

/// This org's integration among those for its domain: the one `--apono-integration-id`
/// names, the only one, or none; several without an id are an error listing them.
pub(crate) fn pick_org_integration(
    integrations: &[Integration],
    integration_id: Option<&str>,
    domain: &str,
) -> Result<Option<Integration>, PickError> {
    let describe = |i: &Integration| {
        let name = crate::output::server_text(&i.name);
        format!("{} (\"{name}\", {})", i.id, i.status)
    };
    let found: Vec<String> = integrations.iter().map(describe).collect();
    if let Some(id) = integration_id {
        return match integrations.iter().find(|i| i.id == id) {
            Some(integration) => Ok(Some(integration.clone())),
            None => Err(PickError::UnknownIntegration {
                id: id.to_string(),
                domain: domain.to_string(),
                found,
            }),
        };
    }
    match integrations {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(PickError::SeveralIntegrations {
            domain: domain.to_string(),
            found,
        }),
    }
}

/// Whether an app is one this tool (or Apono's Terraform module) makes: our label and
/// the service app's name.
pub(crate) fn is_ours(app: &App, label: &str) -> bool {
    app.label == label && app.name == SERVICE_APP_NAME
}

/// How many of `referenced` (one client id per integration, of any org) name this app,
/// by client id or app id.
pub(crate) fn references(referenced: &[String], app: &App) -> usize {
    referenced
        .iter()
        .filter(|cid| *cid == app.client_id() || *cid == &app.id)
        .count()
}

/// Our apps that no integration references, apart from `kept` (the app in use or to
/// reuse), split into those old enough to retire and those younger than
/// [`YOUNG_APP_GRACE`] on Okta's clock `now`, which a run in flight may own.
pub(crate) fn unreferenced<'a>(
    apps: &'a [App],
    label: &str,
    referenced: &[String],
    kept: Option<&str>,
    now: SystemTime,
) -> Unreferenced<'a> {
    let (young, old) = apps
        .iter()
        .filter(|app| is_ours(app, label))
        .filter(|app| kept != Some(app.id.as_str()))
        .filter(|app| references(referenced, app) == 0)
        .partition(|app| is_young(app, now));
    Unreferenced { old, young }
}

/// Our apps that no integration uses (see [`unreferenced`]).
#[derive(Debug, Default)]
pub(crate) struct Unreferenced<'a> {
    /// Older than the grace: retire them.
    pub(crate) old: Vec<&'a App>,
    /// Younger: leave them, and say so.
    pub(crate) young: Vec<&'a App>,
}

/// When a young app's grace ends (its creation plus [`YOUNG_APP_GRACE`]), as RFC 3339
/// for a message; `None` when its creation time is unknown.
pub(crate) fn grace_ends(app: &App) -> Option<String> {
    let created = humantime::parse_rfc3339_weak(app.created.as_deref()?).ok()?;
    Some(humantime::format_rfc3339_seconds(created + YOUNG_APP_GRACE).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str, created: &str) -> App {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": SERVICE_APP_NAME, "label": "Apono Integration",
            "status": "ACTIVE", "created": created,
            "credentials": {"oauthClient": {"client_id": format!("c-{id}")}},
        }))
        .unwrap()
    }

    fn at(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn unreferenced_apps_split_by_the_grace() {
        let apps = [
            app("used", "2026-01-01T00:00:00Z"),
            app("old", "2026-01-01T00:00:00Z"),
            app("young", "2026-01-01T11:50:00Z"),
            app("kept", "2026-01-01T00:00:00Z"),
        ];
        let mut other = app("theirs", "2026-01-01T00:00:00Z");
        other.label = "Something else".into();
        let apps: Vec<App> = apps.into_iter().chain([other]).collect();
        let referenced = vec!["c-used".to_string()];
        let found = unreferenced(
            &apps,
            "Apono Integration",
            &referenced,
            Some("kept"),
            at("2026-01-01T12:00:00Z"),
        );
        let ids = |apps: &[&App]| apps.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&found.old), ["old"]);
        assert_eq!(ids(&found.young), ["young"]);
        assert_eq!(
            grace_ends(found.young[0]).as_deref(),
            Some("2026-01-01T12:05:00Z")
        );
    }

    #[test]
    fn an_app_without_a_creation_time_is_young() {
        let mut undated = app("undated", "x");
        undated.created = None;
        assert!(is_young(&undated, at("2030-01-01T00:00:00Z")));
        assert!(!is_young(
            &app("a", "2026-01-01T00:00:00Z"),
            at("2026-01-01T00:15:00Z")
        ));
        assert!(is_young(
            &app("a", "2026-01-01T00:00:00Z"),
            at("2026-01-01T00:14:59Z")
        ));
    }

    #[test]
    fn references_count_client_ids_and_app_ids() {
        let a = app("0oa1", "2026-01-01T00:00:00Z");
        let referenced = vec![
            "c-0oa1".to_string(),
            "0oa1".to_string(),
            "other".to_string(),
        ];
        assert_eq!(references(&referenced, &a), 2);
    }
}
