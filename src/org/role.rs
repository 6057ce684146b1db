//! The app's admin role (DESIGN.md §1): a standard role type, or least privilege: the
//! custom role "Apono Directory Reader" (read users and groups, nothing else) reaching
//! the resource set "Apono Directory" (the org's users and groups).
//!
//! The custom role and the resource set are found by label, shared by every app this
//! tool makes in the org, and converged when someone changed them (drift). This module
//! owns what they must be, reading them, and naming their drift; `plan` decides and
//! `apply` writes.

use serde::{Serialize, Serializer};

use crate::http::ApiError;
use crate::okta::{CustomRole, OktaClient, ResourceSet, ResourceSetResource, RoleAssignment};

/// The standard role an app gets when nothing says otherwise.
pub(crate) const DEFAULT_STANDARD_ROLE: &str = "READ_ONLY_ADMIN";
/// Standard roles that administer the whole org: never what Apono's app is meant to
/// hold, so never taken for its intended role.
const ORG_WIDE_ADMIN_ROLES: [&str; 2] = ["SUPER_ADMIN", "ORG_ADMIN"];
/// The custom role of `--least-privilege`.
pub(crate) const CUSTOM_ROLE_LABEL: &str = "Apono Directory Reader";
/// What the custom role says about itself in the admin console.
pub(crate) const CUSTOM_ROLE_DESCRIPTION: &str =
    "Created by apono-okta: lets Apono's Okta app read users and groups, nothing else";
/// The permissions of the custom role, exactly.
pub(crate) const CUSTOM_ROLE_PERMISSIONS: [&str; 2] = crate::okta::REQUIRED_SCOPES;
/// The resource set of `--least-privilege`.
pub(crate) const RESOURCE_SET_LABEL: &str = "Apono Directory";
/// What the resource set says about itself.
pub(crate) const RESOURCE_SET_DESCRIPTION: &str =
    "Created by apono-okta: the users and groups Apono's Okta app may read";
/// The collections the resource set holds, exactly (the last segment of their URL).
pub(crate) const RESOURCE_KINDS: [&str; 2] = ["users", "groups"];

/// What the plan, the summary and `--json` say when an org cannot use custom admin
/// roles and the app gets the default standard role instead.
pub(crate) const NO_CUSTOM_ROLES_WARNING: &str = "this Okta org cannot use custom admin roles (E0000015), so Apono's app gets READ_ONLY_ADMIN, which reads the whole org (apps, policies, logs), instead of least privilege";

/// Whether Okta answered a custom admin role call with "this org cannot use the
/// feature": `E0000015`, or a 400 naming the feature.
pub(crate) fn custom_roles_unavailable(error: &ApiError) -> bool {
    match error {
        ApiError::Status(answer) => {
            answer.code.as_deref() == Some("E0000015")
                || (answer.status == reqwest::StatusCode::BAD_REQUEST
                    && answer.summary.to_ascii_lowercase().contains("feature"))
        }
        _ => false,
    }
}

/// Whether Okta refused to delete a custom role or resource set because a client's
/// assignment still uses it.
pub(crate) fn is_assigned_refusal(error: &ApiError) -> bool {
    summary_says(error, &[400, 409], "assigned")
}

/// Whether Okta refused to create a custom role or resource set because one with the
/// label exists (another run made it a moment ago).
pub(crate) fn is_label_taken(error: &ApiError) -> bool {
    summary_says(error, &[400, 409], "already exists")
}

/// Whether `error` is an answer with one of `statuses` whose summary says `words`.
fn summary_says(error: &ApiError, statuses: &[u16], words: &str) -> bool {
    match error {
        ApiError::Status(answer) => {
            statuses.contains(&answer.status.as_u16())
                && answer.summary.to_ascii_lowercase().contains(words)
        }
        _ => false,
    }
}

/// Which admin role the app's client holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AdminRole {
    /// A standard role type, `READ_ONLY_ADMIN` by default.
    Standard(String),
    /// The custom role [`CUSTOM_ROLE_LABEL`] over the resource set [`RESOURCE_SET_LABEL`].
    LeastPrivilege,
}

impl AdminRole {
    /// The role of an app that has nothing to go by.
    pub(crate) fn default_standard() -> AdminRole {
        AdminRole::Standard(DEFAULT_STANDARD_ROLE.to_string())
    }

    /// The role an existing app is meant to hold, judged from what it holds: least
    /// privilege when one of its assignments is our custom role; else
    /// [`DEFAULT_STANDARD_ROLE`] when held; else the one standard role it holds that does
    /// not administer the org (so `--admin-role` choices survive a re-run, and a
    /// `SUPER_ADMIN` someone added is never taken for the intended role); else the
    /// default standard role.
    pub(crate) fn held_by(assignments: &[RoleAssignment]) -> AdminRole {
        if assignments.iter().any(is_ours) {
            return AdminRole::LeastPrivilege;
        }
        let standard = |role: &&RoleAssignment| {
            role.role_type != "CUSTOM" && !ORG_WIDE_ADMIN_ROLES.contains(&role.role_type.as_str())
        };
        let held = assignments
            .iter()
            .filter(standard)
            .find(|a| a.role_type == DEFAULT_STANDARD_ROLE)
            .or_else(|| assignments.iter().find(standard));
        match held {
            Some(role) => AdminRole::Standard(role.role_type.clone()),
            None => AdminRole::default_standard(),
        }
    }

    /// Whether these assignments include this role.
    pub(crate) fn is_held(
        &self,
        assignments: &[RoleAssignment],
        custom_role_id: Option<&str>,
    ) -> bool {
        match self {
            AdminRole::Standard(role) => assignments.iter().any(|a| &a.role_type == role),
            AdminRole::LeastPrivilege => assignments.iter().any(|a| {
                is_ours(a) || (a.role_type == "CUSTOM" && a.role.as_deref() == custom_role_id)
            }),
        }
    }
}

/// A `CUSTOM` assignment of the custom role this tool makes (Okta labels a custom
/// assignment with its role's label).
pub(crate) fn is_ours(assignment: &RoleAssignment) -> bool {
    assignment.role_type == "CUSTOM" && assignment.label.as_deref() == Some(CUSTOM_ROLE_LABEL)
}

impl AdminRole {
    /// For a sentence: `the admin role READ_ONLY_ADMIN`, or `the custom role "Apono
    /// Directory Reader" over the resource set "Apono Directory" (...)`.
    pub(crate) fn with_article(&self) -> String {
        match self {
            AdminRole::Standard(role) => format!("the admin role {role}"),
            AdminRole::LeastPrivilege => format!("the {self}"),
        }
    }
}

/// `READ_ONLY_ADMIN`, or `custom role "Apono Directory Reader" over resource set
/// "Apono Directory" (reads users and groups, nothing else)`.
impl std::fmt::Display for AdminRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminRole::Standard(role) => f.write_str(role),
            AdminRole::LeastPrivilege => write!(
                f,
                "custom role \"{CUSTOM_ROLE_LABEL}\" over resource set \"{RESOURCE_SET_LABEL}\" (reads users and groups, nothing else)"
            ),
        }
    }
}

/// `--json`'s `okta.admin_role`: the standard type string, or
/// `{"custom": "Apono Directory Reader", "resource_set": "Apono Directory"}`.
impl Serialize for AdminRole {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AdminRole::Standard(role) => serializer.serialize_str(role),
            AdminRole::LeastPrivilege => serde_json::json!({
                "custom": CUSTOM_ROLE_LABEL,
                "resource_set": RESOURCE_SET_LABEL,
            })
            .serialize(serializer),
        }
    }
}

/// One of the two objects least privilege shares between apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SharedObject {
    CustomRole,
    ResourceSet,
}

impl SharedObject {
    /// Both, in the order they are made.
    pub(crate) const BOTH: [SharedObject; 2] =
        [SharedObject::CustomRole, SharedObject::ResourceSet];

    /// `custom role "Apono Directory Reader"`, for messages.
    pub(crate) fn describe(self) -> String {
        match self {
            SharedObject::CustomRole => format!("custom role \"{CUSTOM_ROLE_LABEL}\""),
            SharedObject::ResourceSet => format!("resource set \"{RESOURCE_SET_LABEL}\""),
        }
    }

    /// Creates it as least privilege needs it; returns its id.
    pub(crate) async fn create(self, okta: &OktaClient) -> Result<String, ApiError> {
        Ok(match self {
            SharedObject::CustomRole => {
                okta.create_custom_role(
                    CUSTOM_ROLE_LABEL,
                    CUSTOM_ROLE_DESCRIPTION,
                    &CUSTOM_ROLE_PERMISSIONS,
                )
                .await?
                .id
            }
            SharedObject::ResourceSet => {
                okta.create_resource_set(
                    RESOURCE_SET_LABEL,
                    RESOURCE_SET_DESCRIPTION,
                    &wanted_resources(&okta.issuer()),
                )
                .await?
                .id
            }
        })
    }

    /// Adds what it lacks and removes what it must not hold (see [`ObjectPlan::Converge`]);
    /// something already gone counts as removed.
    pub(crate) async fn converge(
        self,
        okta: &OktaClient,
        id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), ApiError> {
        match self {
            SharedObject::CustomRole => {
                for permission in add {
                    okta.add_role_permission(id, permission).await?;
                }
            }
            SharedObject::ResourceSet if !add.is_empty() => {
                okta.add_resource_set_resources(id, add).await?;
            }
            SharedObject::ResourceSet => {}
        }
        for item in remove {
            let removed = match self {
                SharedObject::CustomRole => okta.delete_role_permission(id, item).await,
                SharedObject::ResourceSet => okta.delete_resource_set_resource(id, item).await,
            };
            match removed {
                Err(e) if !e.is_not_found() => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Its id, found by its label, if the org has it.
    pub(crate) async fn find(self, okta: &OktaClient) -> Result<Option<String>, ApiError> {
        Ok(match self {
            SharedObject::CustomRole => okta
                .custom_role_by_label(CUSTOM_ROLE_LABEL)
                .await?
                .map(|r| r.id),
            SharedObject::ResourceSet => okta
                .resource_set_by_label(RESOURCE_SET_LABEL)
                .await?
                .map(|r| r.id),
        })
    }

    /// Deletes it (Okta refuses while a client's assignment uses it).
    pub(crate) async fn delete(self, okta: &OktaClient, id: &str) -> Result<(), ApiError> {
        match self {
            SharedObject::CustomRole => okta.delete_custom_role(id).await,
            SharedObject::ResourceSet => okta.delete_resource_set(id).await,
        }
    }
}

/// The custom role and resource set as the org has them now.
#[derive(Debug, Clone, Default)]
pub(crate) struct LeastPrivilegeObjects {
    /// The custom role with our label, and its permissions.
    pub(crate) role: Option<(CustomRole, Vec<String>)>,
    /// The resource set with our label, and its resources.
    pub(crate) resource_set: Option<(ResourceSet, Vec<ResourceSetResource>)>,
}

/// Finds the custom role and the resource set by label, with what they hold.
pub(crate) async fn read_objects(okta: &OktaClient) -> Result<LeastPrivilegeObjects, ApiError> {
    let (role, resource_set) = tokio::try_join!(
        async {
            match okta.custom_role_by_label(CUSTOM_ROLE_LABEL).await? {
                Some(role) => {
                    let permissions = okta.role_permissions(&role.id).await?;
                    Ok(Some((role, permissions)))
                }
                None => Ok(None),
            }
        },
        async {
            match okta.resource_set_by_label(RESOURCE_SET_LABEL).await? {
                Some(set) => {
                    let resources = okta.resource_set_resources(&set.id).await?;
                    Ok(Some((set, resources)))
                }
                None => Ok(None),
            }
        },
    )?;
    Ok(LeastPrivilegeObjects { role, resource_set })
}

/// What one shared object needs: nothing, to be made, or to be converged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ObjectPlan {
    /// It does not exist: create it as it must be.
    Create,
    /// It exists as it must be.
    Keep { id: String },
    /// It exists but drifted: `add` what it lacks, `remove` what it must not hold
    /// (permission names; for a resource set, the ids of the resources to remove).
    Converge {
        id: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
}

/// What the custom role needs.
pub(crate) fn role_plan(objects: &LeastPrivilegeObjects) -> ObjectPlan {
    let Some((role, permissions)) = &objects.role else {
        return ObjectPlan::Create;
    };
    let add: Vec<String> = CUSTOM_ROLE_PERMISSIONS
        .iter()
        .filter(|p| !permissions.iter().any(|have| have == *p))
        .map(|p| p.to_string())
        .collect();
    let remove: Vec<String> = permissions
        .iter()
        .filter(|p| !CUSTOM_ROLE_PERMISSIONS.contains(&p.as_str()))
        .cloned()
        .collect();
    converge_or_keep(&role.id, add, remove)
}

/// What the resource set needs; `org_url` is the org's origin (`https://example.okta.com`).
pub(crate) fn resource_set_plan(objects: &LeastPrivilegeObjects, org_url: &str) -> ObjectPlan {
    let Some((set, resources)) = &objects.resource_set else {
        return ObjectPlan::Create;
    };
    let add: Vec<String> = RESOURCE_KINDS
        .iter()
        .filter(|kind| !resources.iter().any(|r| r.kind() == Some(**kind)))
        .map(|kind| resource_url(org_url, kind))
        .collect();
    let remove: Vec<String> = resources
        .iter()
        .filter(|r| !r.kind().is_some_and(|kind| RESOURCE_KINDS.contains(&kind)))
        .map(|r| r.id.clone())
        .collect();
    converge_or_keep(&set.id, add, remove)
}

fn converge_or_keep(id: &str, add: Vec<String>, remove: Vec<String>) -> ObjectPlan {
    if add.is_empty() && remove.is_empty() {
        ObjectPlan::Keep { id: id.to_string() }
    } else {
        ObjectPlan::Converge {
            id: id.to_string(),
            add,
            remove,
        }
    }
}

/// The REST URL of one of the org's collections, as a resource set holds it.
pub(crate) fn resource_url(org_url: &str, kind: &str) -> String {
    format!("{}/api/v1/{kind}", org_url.trim_end_matches('/'))
}

/// The resources a new resource set holds.
pub(crate) fn wanted_resources(org_url: &str) -> Vec<String> {
    RESOURCE_KINDS
        .iter()
        .map(|kind| resource_url(org_url, kind))
        .collect()
}

/// Every way the two objects differ from what least privilege needs, for `status`.
pub(crate) fn drifts(objects: &LeastPrivilegeObjects, org_url: &str) -> Vec<String> {
    let mut drifts = Vec::new();
    match role_plan(objects) {
        ObjectPlan::Create => drifts.push(format!(
            "the custom role \"{CUSTOM_ROLE_LABEL}\" does not exist"
        )),
        ObjectPlan::Keep { .. } => {}
        ObjectPlan::Converge { add, remove, .. } => {
            if !add.is_empty() {
                drifts.push(format!(
                    "the custom role \"{CUSTOM_ROLE_LABEL}\" lacks {}",
                    add.join(", ")
                ));
            }
            if !remove.is_empty() {
                drifts.push(format!(
                    "the custom role \"{CUSTOM_ROLE_LABEL}\" also grants {}",
                    remove.join(", ")
                ));
            }
        }
    }
    let resources = objects
        .resource_set
        .as_ref()
        .map(|(_, r)| r.as_slice())
        .unwrap_or_default();
    match resource_set_plan(objects, org_url) {
        ObjectPlan::Create => drifts.push(format!(
            "the resource set \"{RESOURCE_SET_LABEL}\" does not exist"
        )),
        ObjectPlan::Keep { .. } => {}
        ObjectPlan::Converge { add, remove, .. } => {
            if !add.is_empty() {
                drifts.push(format!(
                    "the resource set \"{RESOURCE_SET_LABEL}\" lacks {}",
                    add.join(", ")
                ));
            }
            for id in remove {
                let shown = resources
                    .iter()
                    .find(|r| r.id == id)
                    .and_then(|r| r.url().or(r.orn.as_deref()))
                    .unwrap_or(&id)
                    .to_string();
                drifts.push(format!(
                    "the resource set \"{RESOURCE_SET_LABEL}\" also holds {shown}"
                ));
            }
        }
    }
    drifts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objects(permissions: &[&str], resources: &[(&str, &str)]) -> LeastPrivilegeObjects {
        let role: CustomRole =
            serde_json::from_value(json!({"id": "cr01", "label": CUSTOM_ROLE_LABEL})).unwrap();
        let set: ResourceSet =
            serde_json::from_value(json!({"id": "iam1", "label": RESOURCE_SET_LABEL})).unwrap();
        let resources = resources
            .iter()
            .map(|(id, url)| {
                serde_json::from_value(json!({"id": id, "_links": {"self": {"href": url}}}))
                    .unwrap()
            })
            .collect();
        LeastPrivilegeObjects {
            role: Some((role, permissions.iter().map(|p| p.to_string()).collect())),
            resource_set: Some((set, resources)),
        }
    }

    const ORG: &str = "https://example.okta.com";

    #[test]
    fn exact_objects_are_kept() {
        let seen = objects(
            &["okta.groups.read", "okta.users.read"],
            &[
                ("ire1", "https://example.okta.com/api/v1/users"),
                ("ire2", "https://example.okta.com/api/v1/groups"),
            ],
        );
        assert_eq!(role_plan(&seen), ObjectPlan::Keep { id: "cr01".into() });
        assert_eq!(
            resource_set_plan(&seen, ORG),
            ObjectPlan::Keep { id: "iam1".into() }
        );
        assert!(drifts(&seen, ORG).is_empty());
    }

    #[test]
    fn drift_is_named_and_converged() {
        let seen = objects(
            &["okta.users.read", "okta.apps.read"],
            &[
                ("ire1", "https://example.okta.com/api/v1/users"),
                ("ire3", "https://example.okta.com/api/v1/apps"),
            ],
        );
        assert_eq!(
            role_plan(&seen),
            ObjectPlan::Converge {
                id: "cr01".into(),
                add: vec!["okta.groups.read".into()],
                remove: vec!["okta.apps.read".into()],
            }
        );
        assert_eq!(
            resource_set_plan(&seen, ORG),
            ObjectPlan::Converge {
                id: "iam1".into(),
                add: vec!["https://example.okta.com/api/v1/groups".into()],
                remove: vec!["ire3".into()],
            }
        );
        let named = drifts(&seen, ORG);
        assert_eq!(named.len(), 4, "{named:?}");
        assert!(
            named
                .iter()
                .any(|d| d.contains("also grants okta.apps.read"))
        );
        assert!(
            named
                .iter()
                .any(|d| d.contains("also holds https://example.okta.com/api/v1/apps"))
        );
    }

    #[test]
    fn missing_objects_are_created() {
        let none = LeastPrivilegeObjects::default();
        assert_eq!(role_plan(&none), ObjectPlan::Create);
        assert_eq!(resource_set_plan(&none, ORG), ObjectPlan::Create);
        assert_eq!(drifts(&none, ORG).len(), 2);
    }

    #[test]
    fn json_shape_of_each_kind() {
        assert_eq!(
            serde_json::to_value(AdminRole::default_standard()).unwrap(),
            json!("READ_ONLY_ADMIN")
        );
        assert_eq!(
            serde_json::to_value(AdminRole::LeastPrivilege).unwrap(),
            json!({"custom": "Apono Directory Reader", "resource_set": "Apono Directory"})
        );
    }
}
