//! The org as observed, and the rules every command shares (DESIGN.md §7).
//!
//! [`observe`] reads both sides (preflight); [`rules`] decides, in pure code, which apps
//! are ours, which one Apono references, which are too young to touch, and which
//! integration is this org's; [`privileges`] judges what Apono's app holds against
//! exactly the two grants and the one role; [`guard`] does the re-reads before any
//! delete and the revoke with its retry; [`debts`] words what is left for a person
//! (exit 6). [`config`] knows how Apono's Okta integration is configured and [`role`]
//! what least privilege must be. `connect`, `status` and `disconnect` all go through
//! here, so a rule changes in one place.

pub mod config;
pub mod debts;
pub mod guard;
pub mod observe;
pub mod privileges;
pub mod role;
pub mod rules;

use std::time::SystemTime;

use crate::apono::Integration;
use crate::okta::{App, Grant, RoleAssignment};
use config::ConfigTemplate;
use role::LeastPrivilegeObjects;

/// What preflight saw on both sides. Read-only.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The login of the Okta token's owner.
    pub okta_login: String,
    /// `clientPrivilegesSetting`: new service apps become super admins. `None` when
    /// the org did not answer (only a warning depends on it).
    pub client_privileges: Option<bool>,
    /// Every app, active or not, whose label is ours.
    pub labelled_apps: Vec<App>,
    /// How Apono's Okta integration is configured.
    pub template: ConfigTemplate,
    /// Integrations of that type whose Okta domain is ours.
    pub integrations: Vec<Integration>,
    /// The client ids that any Apono integration of the type uses, for any org.
    pub referenced_client_ids: Vec<String>,
    /// With `--reuse-app`: the app to converge in place, as it is now.
    pub reused_app: Option<ReusedApp>,
    /// Okta's clock when the apps were listed, to tell how old an app is.
    pub okta_now: SystemTime,
    /// The custom role and resource set of least privilege, when that is the role.
    pub least_privilege: Option<LeastPrivilegeObjects>,
}

/// An existing app, with what repair needs to know about it.
#[derive(Debug, Clone)]
pub struct ReusedApp {
    pub app: App,
    /// Whether it carries Apono's public key.
    pub carries_key: bool,
    /// Its scope grants.
    pub grants: Vec<Grant>,
    /// The admin role assignments of its client.
    pub roles: Vec<RoleAssignment>,
}
