//! One module per subcommand: each resolves its settings, builds its clients, runs, and
//! returns a report (or a [`Failure`]). This module holds what they share: the
//! [`Summary`] every report implements, and the edge that prints a report or a failure
//! (text, or the one `--json` object with its keys sorted) and returns the exit code.

pub(crate) mod completions;
pub(crate) mod connect;
#[cfg(feature = "sandbox")]
pub(crate) mod demo;
pub(crate) mod disconnect;
pub(crate) mod logout;
pub(crate) mod man;
#[cfg(feature = "sandbox")]
pub(crate) mod sandbox;
pub(crate) mod status;

use crate::apono::AponoClient;
use crate::cli::{OutputArgs, ServiceArgs};
use crate::error::Failure;
use crate::okta::OktaClient;
use crate::output;
use crate::settings::{self, OktaTokenNeed, Purpose, ServiceSettings};
use crate::ui::{Appearance, Ui};

/// The service settings of `status` and `disconnect`, from the process environment; a
/// token typed at a prompt is checked at once, on the command's runtime.
pub(crate) fn resolve_service(
    args: &ServiceArgs,
    need: OktaTokenNeed,
    purpose: Purpose,
    cx: &Context,
) -> Result<ServiceSettings, Failure> {
    let env = settings::process_env;
    let store = settings::token_store(&env);
    let runtime = Some(cx.runtime());
    settings::resolve_service_checked(args, need, purpose, &env, store.as_ref(), &cx.ui, runtime)
}

/// The Apono client of `status` and `disconnect`.
pub(crate) fn apono_client(service: &ServiceSettings) -> Result<AponoClient, Failure> {
    AponoClient::new(
        service.apono_url.clone(),
        service.apono_token.clone(),
        &service.http,
    )
    .map_err(Failure::from)
}

/// The Okta client, when an Okta token was given.
pub(crate) fn okta_client(service: &ServiceSettings) -> Result<Option<OktaClient>, Failure> {
    service
        .okta_token
        .clone()
        .map(|token| {
            OktaClient::new(service.okta_url.clone(), token, &service.http).map_err(Failure::from)
        })
        .transpose()
}

/// A command's result, printable as text or as the one JSON object of `--json`.
pub(crate) trait Summary: serde::Serialize {
    fn to_text(&self) -> String;
    /// The exit code of a command that ran to the end (`status` is 5 when unhealthy).
    fn exit_code(&self) -> u8 {
        0
    }
}

/// What every command runs with: the terminal side and the async runtime. Commands
/// run their async work through [`Context::block_on`], so a Ctrl-C ends every command the
/// same way (exit 130, its JSON object with `--json`).
pub(crate) struct Context<'a> {
    pub(crate) ui: Ui,
    runtime: &'a tokio::runtime::Runtime,
}

impl Context<'_> {
    /// The async runtime, for what must run before the command's own async work (a
    /// token typed at a prompt is checked at once).
    pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
    }

    /// Runs `work` on the runtime. A Ctrl-C ends it with [`Failure::interrupted`],
    /// unless the flow handles Ctrl-C itself (connect's undo: see
    /// [`crate::ui::flow_owns_interrupts`]), which then ends on its own terms.
    pub(crate) fn block_on<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        let _listening = crate::ui::EdgeListens::start();
        self.runtime.block_on(async {
            tokio::pin!(work);
            loop {
                tokio::select! {
                    outcome = &mut work => return outcome,
                    _ = tokio::signal::ctrl_c() => {
                        if !crate::ui::flow_handles_interrupts() {
                            self.ui.restore_terminal();
                            return Err(Failure::interrupted("interrupted"));
                        }
                    }
                }
            }
        })
    }
}

/// The one way a command ends: runs it with its [`Context`], prints its report or its
/// failure (text, or the one `--json` object), and returns the exit code. Everything
/// goes out through [`output`]: redacted, and inert.
pub(crate) fn finish<S: Summary>(
    output: &OutputArgs,
    appearance: Appearance,
    runtime: &tokio::runtime::Runtime,
    command: impl FnOnce(&Context) -> Result<S, Failure>,
) -> u8 {
    output::set_json(output.json);
    let cx = Context {
        ui: Ui::new(output.non_interactive, appearance),
        runtime,
    };
    match command(&cx) {
        Ok(report) => {
            if output.json {
                output::print_json(&serde_json::to_value(&report).unwrap_or_default());
            } else {
                output::print_text(&report.to_text());
            }
            report.exit_code()
        }
        Err(failure) => {
            report_failure(&failure, &cx.ui);
            if output.json {
                output::print_json(&failure.to_json());
            }
            failure.exit_code()
        }
    }
}

/// Prints a failure on stderr: the message, what was undone (with `--quiet`), what is
/// left behind, and the hints. A "no" at a confirmation is the user's own choice: a plain
/// statement ("Cancelled: nothing was changed."), not an `error:`, and shown with
/// `--quiet` too.
fn report_failure(failure: &Failure, ui: &Ui) {
    if failure.is_cancelled() {
        output::stderr_line("", &failure.message);
    } else {
        ui.error(&failure.message);
    }
    // Each undone step was shown as it happened (`✓ undone: ...`), unless `--quiet` hid
    // it: then, and only then, they are listed here.
    if ui.is_quiet() && !failure.undone.is_empty() {
        output::stderr_line("", "Undone:");
        for item in &failure.undone {
            output::stderr_line("  - ", item);
        }
    }
    if !failure.left_behind.is_empty() {
        ui.info("Left behind (clean these up, or re-run `apono-okta connect`):");
        for item in &failure.left_behind {
            ui.info(&format!("  - {item}"));
        }
    }
    for hint in &failure.hints {
        ui.hint(hint);
    }
}

#[cfg(test)]
mod tests {
    use super::disconnect::DisconnectOutcome;
    use super::logout::LogoutOutcome;
    use crate::connect::plan::Outcome;

    /// The name `--json` prints for `value`.
    fn name(value: impl serde::Serialize) -> String {
        serde_json::to_value(value)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Every `result` a command prints has its row in the README's table ("Output").
    /// A new variant does not compile here until it is listed.
    #[test]
    fn the_readme_documents_every_result() {
        let connect = [
            Outcome::Created,
            Outcome::Rotated,
            Outcome::Repaired,
            Outcome::Unchanged,
            Outcome::Planned,
        ]
        .map(|outcome| match outcome {
            Outcome::Created
            | Outcome::Rotated
            | Outcome::Repaired
            | Outcome::Unchanged
            | Outcome::Planned => ("connect", name(outcome)),
        });
        let disconnect = [
            DisconnectOutcome::Disconnected,
            DisconnectOutcome::Planned,
            DisconnectOutcome::Unchanged,
        ]
        .map(|outcome| match outcome {
            DisconnectOutcome::Disconnected
            | DisconnectOutcome::Planned
            | DisconnectOutcome::Unchanged => ("disconnect", name(outcome)),
        });
        let logout = [
            LogoutOutcome::Removed,
            LogoutOutcome::NothingStored,
            LogoutOutcome::KeyringUnavailable,
        ]
        .map(|outcome| match outcome {
            LogoutOutcome::Removed
            | LogoutOutcome::NothingStored
            | LogoutOutcome::KeyringUnavailable => ("logout", name(outcome)),
        });
        let readme = include_str!("../../README.md");
        let (_, output) = readme.split_once("\n## Output\n").unwrap();
        let (output, _) = output.split_once("\n## ").unwrap();
        for (command, result) in connect.into_iter().chain(disconnect).chain(logout) {
            let row = format!("| `{command}` | `{result}` | ");
            assert!(output.contains(&row), "README's Output has no row {row}");
        }
        assert!(output.contains("| every command | `failed` | "));
        assert!(output.contains("| `status` | none: `healthy`, `connected` | "));
    }
}
