//! Exactly these privileges (DESIGN.md §1): the app Apono uses holds the two grants
//! ([`REQUIRED_SCOPES`]) and the one role assignment of its kind, nothing else. This
//! module judges, in pure code, what an app holds against that: what is missing and
//! what is beyond it. `status` names each excess as a drift, `connect --reuse-app`
//! removes them, and a rotation leaves them behind with the retired app.

use std::fmt;

use serde::Serialize;

use crate::okta::{Grant, REQUIRED_SCOPES, RoleAssignment};
use crate::org::role::{AdminRole, LeastPrivilegeObjects, is_ours};

/// A privilege beyond exactly the two grants and the one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Excess {
    /// A scope grant other than the two (`okta.apps.read`), or a second grant of one.
    Grant { grant_id: String, scope: String },
    /// A role assignment other than the one (a standard role such as `SUPER_ADMIN`, or
    /// another custom assignment).
    Role {
        assignment_id: String,
        /// `SUPER_ADMIN`, or `CUSTOM` with the custom role's label.
        role: String,
    },
}

impl fmt::Display for Excess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Excess::Grant { grant_id, scope } => write!(f, "the grant of {scope} ({grant_id})"),
            Excess::Role {
                assignment_id,
                role,
            } => write!(f, "the role {role} ({assignment_id})"),
        }
    }
}

/// The name of an assignment for people: its type, or a custom role's label.
pub(crate) fn role_name(assignment: &RoleAssignment) -> String {
    match assignment.role_type.as_str() {
        "CUSTOM" => format!(
            "CUSTOM \"{}\"",
            crate::output::server_text(assignment.label.as_deref().unwrap_or("a custom role"))
        ),
        other => crate::output::server_text(other),
    }
}

/// The ids of our custom role and resource set, as far as they are known (an org may
/// not have them yet).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ours<'a> {
    pub(crate) role_id: Option<&'a str>,
    pub(crate) resource_set_id: Option<&'a str>,
}

impl<'a> Ours<'a> {
    /// The ids of the objects read, if any.
    pub(crate) fn of(objects: Option<&'a LeastPrivilegeObjects>) -> Ours<'a> {
        Ours {
            role_id: objects
                .and_then(|o| o.role.as_ref())
                .map(|(role, _)| role.id.as_str()),
            resource_set_id: objects
                .and_then(|o| o.resource_set.as_ref())
                .map(|(set, _)| set.id.as_str()),
        }
    }

    /// Whether a `CUSTOM` assignment is ours: our role (by label, or by id when known)
    /// over our resource set (when its id is known; another set is another assignment).
    fn holds(&self, assignment: &RoleAssignment) -> bool {
        let our_role = is_ours(assignment)
            || (assignment.role_type == "CUSTOM"
                && self.role_id.is_some()
                && assignment.role.as_deref() == self.role_id);
        let our_set = self.resource_set_id.is_none()
            || assignment.resource_set.as_deref() == self.resource_set_id;
        our_role && our_set
    }
}

/// Which assignment is "the one" for `wanted`: the first that matches it (our custom
/// role over our resource set; or the standard type). `None` when none does.
pub(crate) fn the_one<'a>(
    roles: &'a [RoleAssignment],
    wanted: &AdminRole,
    ours: Ours<'_>,
) -> Option<&'a RoleAssignment> {
    roles.iter().find(|a| match wanted {
        AdminRole::Standard(role) => &a.role_type == role,
        AdminRole::LeastPrivilege => ours.holds(a),
    })
}

/// Every privilege beyond the two grants and the one assignment of `wanted`: grants of
/// other scopes (and repeats), and every assignment but the one. When the app holds no
/// assignment of `wanted`, all its assignments are beyond it.
pub(crate) fn excess(
    grants: &[Grant],
    roles: &[RoleAssignment],
    wanted: &AdminRole,
    ours: Ours<'_>,
) -> Vec<Excess> {
    let mut seen_scopes: Vec<&str> = Vec::new();
    let extra_grants = grants.iter().filter(|grant| {
        let required = REQUIRED_SCOPES.contains(&grant.scope_id.as_str());
        let repeat = seen_scopes.contains(&grant.scope_id.as_str());
        seen_scopes.push(&grant.scope_id);
        !required || repeat
    });
    let one = the_one(roles, wanted, ours).map(|a| a.id.as_str());
    let extra_roles = roles.iter().filter(|a| Some(a.id.as_str()) != one);
    extra_grants
        .map(|grant| Excess::Grant {
            grant_id: grant.id.clone(),
            scope: grant.scope_id.clone(),
        })
        .chain(extra_roles.map(|a| Excess::Role {
            assignment_id: a.id.clone(),
            role: role_name(a),
        }))
        .collect()
}

/// The required scopes the app is not granted.
pub(crate) fn missing_scopes(grants: &[Grant]) -> Vec<&'static str> {
    REQUIRED_SCOPES
        .into_iter()
        .filter(|scope| !grants.iter().any(|g| g.scope_id == *scope))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::role::CUSTOM_ROLE_LABEL;

    fn grant(id: &str, scope: &str) -> Grant {
        serde_json::from_value(serde_json::json!({"id": id, "scopeId": scope})).unwrap()
    }

    fn standard(id: &str, role: &str) -> RoleAssignment {
        serde_json::from_value(serde_json::json!({"id": id, "type": role})).unwrap()
    }

    fn custom(id: &str, label: &str, role: &str) -> RoleAssignment {
        serde_json::from_value(serde_json::json!({
            "id": id, "type": "CUSTOM", "label": label, "role": role, "resource-set": "iam1"
        }))
        .unwrap()
    }

    fn ours() -> Ours<'static> {
        Ours {
            role_id: Some("cr1"),
            resource_set_id: Some("iam1"),
        }
    }

    #[test]
    fn our_role_over_another_resource_set_is_another_assignment() {
        let mut elsewhere = custom("irb2", CUSTOM_ROLE_LABEL, "cr1");
        elsewhere.resource_set = Some("iamElsewhere".into());
        let roles = [custom("irb1", CUSTOM_ROLE_LABEL, "cr1"), elsewhere];
        let found = excess(&exact_grants(), &roles, &AdminRole::LeastPrivilege, ours());
        assert_eq!(
            found,
            [Excess::Role {
                assignment_id: "irb2".into(),
                role: format!("CUSTOM \"{CUSTOM_ROLE_LABEL}\""),
            }]
        );
    }

    fn exact_grants() -> Vec<Grant> {
        vec![
            grant("oag1", "okta.users.read"),
            grant("oag2", "okta.groups.read"),
        ]
    }

    #[test]
    fn exactly_the_two_grants_and_the_one_role_is_no_excess() {
        let read_only = AdminRole::Standard("READ_ONLY_ADMIN".into());
        let roles = [standard("irb1", "READ_ONLY_ADMIN")];
        assert_eq!(
            excess(&exact_grants(), &roles, &read_only, Ours::default()),
            []
        );
        let roles = [custom("irb2", CUSTOM_ROLE_LABEL, "cr1")];
        let least = AdminRole::LeastPrivilege;
        assert_eq!(excess(&exact_grants(), &roles, &least, ours()), []);
        assert!(missing_scopes(&exact_grants()).is_empty());
    }

    #[test]
    fn a_widened_app_names_every_extra_grant_and_role() {
        let mut grants = exact_grants();
        grants.push(grant("oag3", "okta.apps.read"));
        grants.push(grant("oag4", "okta.users.read"));
        let roles = [
            custom("irb1", CUSTOM_ROLE_LABEL, "cr1"),
            standard("irb2", "SUPER_ADMIN"),
            custom("irb3", "Someone's role", "cr9"),
        ];
        let found = excess(&grants, &roles, &AdminRole::LeastPrivilege, ours());
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "the grant of okta.apps.read (oag3)",
                "the grant of okta.users.read (oag4)",
                "the role SUPER_ADMIN (irb2)",
                "the role CUSTOM \"Someone's role\" (irb3)",
            ]
        );
    }

    #[test]
    fn without_the_wanted_role_every_assignment_is_beyond_it() {
        let roles = [standard("irb1", "SUPER_ADMIN")];
        let read_only = AdminRole::Standard("READ_ONLY_ADMIN".into());
        assert_eq!(
            excess(&exact_grants(), &roles, &read_only, Ours::default()).len(),
            1
        );
        assert!(the_one(&roles, &read_only, Ours::default()).is_none());
        // A second assignment of the same standard role is one too many.
        let twice = [
            standard("irb1", "READ_ONLY_ADMIN"),
            standard("irb2", "READ_ONLY_ADMIN"),
        ];
        let found = excess(&exact_grants(), &twice, &read_only, Ours::default());
        assert_eq!(
            found,
            [Excess::Role {
                assignment_id: "irb2".into(),
                role: "READ_ONLY_ADMIN".into()
            }]
        );
    }

    #[test]
    fn missing_scopes_are_named() {
        let grants = [
            grant("oag1", "okta.users.read"),
            grant("oag3", "okta.apps.read"),
        ];
        assert_eq!(missing_scopes(&grants), ["okta.groups.read"]);
    }
}
