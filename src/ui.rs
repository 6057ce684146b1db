//! What the user sees and answers: progress lines, warnings, hints, spinners, prompts.
//!
//! Everything here goes to stderr; stdout carries only data (the summary, or the one
//! JSON object with `--json`). Colour follows [`Appearance`] (decided from stderr, never
//! stdout: `demo | cat` keeps its colours); spinners only on a terminal; prompts only
//! when [`Ui::can_prompt`] says so; `--quiet` leaves errors, hints and prompts.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use console::{Style, Term};
use indicatif::{ProgressBar, ProgressStyle};

use crate::secret::Secret;

/// How stderr should look, decided once from the flags and the environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appearance {
    /// Colour the labels (`error:`, `warning:`, `hint:`, `✓`).
    pub color: bool,
    /// `--quiet`: only errors, hints and prompts; no progress, notes or warnings.
    pub quiet: bool,
}

/// Whether to colour stderr when `--color auto`: stderr is a terminal and `NO_COLOR` is
/// unset or empty, unless `CLICOLOR_FORCE` is set to anything but `0`.
pub fn auto_color(stderr_is_terminal: bool, env: &dyn Fn(&str) -> Option<String>) -> bool {
    if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    stderr_is_terminal && env("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Whether stderr is a terminal.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// The terminal side of a run.
pub struct Ui {
    appearance: Appearance,
    stderr_is_terminal: bool,
    can_prompt: bool,
    warnings: Mutex<Vec<String>>,
}

impl Ui {
    /// `non_interactive`: `--non-interactive` (or `CI`-style use): never prompt.
    pub fn new(non_interactive: bool, appearance: Appearance) -> Ui {
        let stderr_is_terminal = stderr_is_terminal();
        let stdin_is_terminal = std::io::stdin().is_terminal();
        Ui {
            appearance,
            stderr_is_terminal,
            can_prompt: stdin_is_terminal && stderr_is_terminal && !non_interactive,
            warnings: Mutex::new(Vec::new()),
        }
    }

    /// Prompts are allowed: stdin and stderr are terminals and `--non-interactive` is off.
    pub fn can_prompt(&self) -> bool {
        self.can_prompt
    }

    /// `style` when colouring, else no style. Forced either way: console's own check
    /// looks at stdout, and whether stdout is piped says nothing about stderr.
    fn style(&self, style: Style) -> Style {
        if self.appearance.color {
            style.force_styling(true)
        } else {
            Style::new().force_styling(false)
        }
    }

    /// `--quiet`: progress, notes and warnings are not printed.
    pub fn is_quiet(&self) -> bool {
        self.appearance.quiet
    }

    /// A plain progress line.
    pub fn info(&self, message: &str) {
        if !self.is_quiet() {
            eprintln!("{message}");
        }
    }

    /// A step that finished.
    pub fn done(&self, message: &str) {
        if self.is_quiet() {
            return;
        }
        let mark = self.style(Style::new().green()).apply_to("✓");
        eprintln!("{mark} {message}");
    }

    /// A heading ("Plan for example.okta.com").
    pub fn heading(&self, message: &str) {
        if self.is_quiet() {
            return;
        }
        eprintln!("{}", self.style(Style::new().bold()).apply_to(message));
    }

    /// A warning: printed now (unless `--quiet`) and kept for the summary's `warnings`.
    pub fn warn(&self, message: &str) {
        if !self.is_quiet() {
            let label = self
                .style(Style::new().yellow().bold())
                .apply_to("warning:");
            eprintln!("{label} {message}");
        }
        if let Ok(mut warnings) = self.warnings.lock() {
            warnings.push(message.to_string());
        }
    }

    /// An error line (the final failure message).
    pub fn error(&self, message: &str) {
        let label = self.style(Style::new().red().bold()).apply_to("error:");
        eprintln!("{label} {message}");
    }

    /// A `hint: ...` line.
    pub fn hint(&self, message: &str) {
        let label = self.style(Style::new().cyan()).apply_to("hint:");
        eprintln!("{label} {message}");
    }

    /// Every warning so far.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// A spinner on a terminal; on anything else one plain line, and nothing more.
    pub fn spinner(&self, message: &str) -> Spinner {
        if self.is_quiet() {
            return Spinner { bar: None };
        }
        if !self.stderr_is_terminal {
            eprintln!("{message}...");
            return Spinner { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner { bar: Some(bar) }
    }

    /// Asks yes/no; `default` on Enter. Only call when [`Ui::can_prompt`].
    pub fn confirm(&self, question: &str, default: bool) -> std::io::Result<bool> {
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(default)
            .interact_on(&Term::stderr())
            .map_err(into_io)
    }

    /// Asks for a line of text. Only call when [`Ui::can_prompt`].
    pub fn ask(&self, question: &str) -> std::io::Result<String> {
        dialoguer::Input::<String>::new()
            .with_prompt(question)
            .interact_text_on(&Term::stderr())
            .map_err(into_io)
    }

    /// Asks for a secret without echoing it. Only call when [`Ui::can_prompt`].
    pub fn ask_secret(
        &self,
        question: &str,
        what: &str,
    ) -> std::io::Result<Result<Secret, String>> {
        let raw = dialoguer::Password::new()
            .with_prompt(question)
            .interact_on(&Term::stderr())
            .map_err(into_io)?;
        Ok(Secret::parse(&raw, what).map_err(|e| e.to_string()))
    }

    /// Puts the cursor back (after Ctrl-C during a prompt or a spinner).
    pub fn restore_terminal(&self) {
        if self.stderr_is_terminal {
            let _ = Term::stderr().show_cursor();
        }
    }
}

fn into_io(error: dialoguer::Error) -> std::io::Error {
    match error {
        dialoguer::Error::IO(e) => e,
    }
}

/// A running spinner; [`Spinner::finish`] clears it.
pub struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    /// Updates the message.
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
    }

    /// Clears the spinner.
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colour_reads_stderr_no_color_and_clicolor_force() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(auto_color(true, &env(&[])));
        assert!(!auto_color(false, &env(&[])));
        assert!(!auto_color(true, &env(&[("NO_COLOR", "1")])));
        assert!(auto_color(true, &env(&[("NO_COLOR", "")])));
        assert!(auto_color(false, &env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!auto_color(false, &env(&[("CLICOLOR_FORCE", "0")])));
    }
}
