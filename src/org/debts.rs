//! Debts are not success (DESIGN.md §3): what a run could not finish is left for a
//! person, each item saying what to do, and anything left behind is exit 6. The words
//! of each kind of leftover, and that rule, live here once for every command.

use crate::error::ExitKind;

/// The exit code of a command that ran to the end: 6 when something is left behind,
/// else `otherwise`.
pub(crate) fn exit_code(left_behind: &[String], otherwise: u8) -> u8 {
    if left_behind.is_empty() {
        otherwise
    } else {
        ExitKind::LeftBehind.code()
    }
}

/// The Okta API token could not be revoked.
pub(crate) fn token_not_revoked(why: &impl std::fmt::Display) -> String {
    format!(
        "the Okta API token is still valid ({why}): revoke it in the Okta admin console (Security > API > Tokens)"
    )
}

/// An app this tool wanted gone is still there. `what`: "previous", "orphaned", "".
pub(crate) fn app_not_retired(
    what: &str,
    app_id: &str,
    why: &impl std::fmt::Display,
    again: &str,
) -> String {
    let what = if what.is_empty() {
        String::new()
    } else {
        format!("{what} ")
    };
    format!(
        "the {what}Okta app {app_id} was not retired ({why}): run `apono-okta {again}` again, or deactivate and delete it in the Okta admin console"
    )
}

/// An unreferenced app younger than the grace was left: a run in flight may own it.
pub(crate) fn young_app_left(app_id: &str, grace_ends: Option<&str>, again: &str) -> String {
    match grace_ends {
        Some(at) => format!(
            "the Okta app {app_id} (our label, not used by Apono) was created less than 15 minutes ago and may belong to a `connect` in flight: left; `apono-okta {again}` removes it after {at}"
        ),
        None => format!(
            "the Okta app {app_id} (our label, not used by Apono) has no creation time, so it may belong to a `connect` in flight: left; delete it in the Okta admin console if no run is using it"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anything_left_behind_is_exit_6() {
        assert_eq!(exit_code(&[], 0), 0);
        assert_eq!(exit_code(&[], 5), 5);
        assert_eq!(exit_code(&["x".into()], 0), 6);
    }

    #[test]
    fn each_leftover_says_what_to_do() {
        let app = app_not_retired("previous", "0oa1", &"boom", "connect");
        assert!(app.starts_with("the previous Okta app 0oa1 was not retired (boom)"));
        assert!(app.contains("run `apono-okta connect` again"));
        let young = young_app_left("0oa2", Some("2026-01-01T12:05:00Z"), "disconnect");
        assert!(
            young.contains("removes it after 2026-01-01T12:05:00Z"),
            "{young}"
        );
        assert!(token_not_revoked(&"500").contains("Security > API > Tokens"));
    }
}
