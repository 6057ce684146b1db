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

pub(crate) mod config;
pub(crate) mod debts;
pub(crate) mod guard;
pub(crate) mod observe;
pub(crate) mod privileges;
pub(crate) mod role;
pub(crate) mod rules;

use std::time::SystemTime;

use crate::apono::Integration;
use crate::okta::{App, Grant, RoleAssignment};
use config::ConfigTemplate;
use role::LeastPrivilegeObjects;

/// What preflight saw on both sides. Read-only.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    /// The login of the Okta token's owner.
    pub(crate) okta_login: String,
    /// `clientPrivilegesSetting`: new service apps become super admins. `None` when
    /// the org did not answer (only a warning depends on it).
    pub(crate) client_privileges: Option<bool>,
    /// Every app, active or not, whose label is ours.
    pub(crate) labelled_apps: Vec<App>,
    /// How Apono's Okta integration is configured.
    pub(crate) template: ConfigTemplate,
    /// Integrations of that type whose Okta domain is ours.
    pub(crate) integrations: Vec<Integration>,
    /// The client ids that any Apono integration of the type uses, for any org.
    pub(crate) referenced_client_ids: Vec<String>,
    /// With `--reuse-app`: the app to converge in place, as it is now.
    pub(crate) reused_app: Option<ReusedApp>,
    /// Okta's clock when the apps were listed, to tell how old an app is.
    pub(crate) okta_now: SystemTime,
    /// The custom role and resource set of least privilege, when that is the role.
    pub(crate) least_privilege: Option<LeastPrivilegeObjects>,
}

/// An existing app, with what repair needs to know about it.
#[derive(Debug, Clone)]
pub(crate) struct ReusedApp {
    pub(crate) app: App,
    /// Whether it carries Apono's public key.
    pub(crate) carries_key: bool,
    /// Its scope grants.
    pub(crate) grants: Vec<Grant>,
    /// The admin role assignments of its client.
    pub(crate) roles: Vec<RoleAssignment>,
}
