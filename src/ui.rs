//! What the user sees and answers: progress lines, warnings, hints, spinners, prompts.
//!
//! Every message goes out through [`crate::output`] (redacted, control characters made
//! visible), styled here after that. Everything here goes to stderr; stdout carries only data (the summary, or the one
//! JSON object with `--json`). Colour follows [`Appearance`] (decided from stderr, never
//! stdout: `demo | cat` keeps its colours); spinners only on a terminal; prompts only
//! when [`Ui::can_prompt`] says so; `--quiet` leaves errors, hints and prompts.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use console::{Style, Term};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::Failure;
use crate::output;
use crate::secret::Secret;

/// How stderr should look, decided once from the flags and the environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appearance {
    /// Colour the labels (`error:`, `warning:`, `hint:`, `✓`).
    pub color: bool,
    /// `--quiet`: only errors, hints and prompts; no progress, notes or warnings.
    pub quiet: bool,
    /// `--verbose`: request lines on stderr, so no spinner to draw over them.
    pub verbose: bool,
}

/// What a command warns about: each warning is shown on stderr as it happens (through
/// the [`Ui`]) and kept, in order, for the command's report (`warnings` in `--json`).
/// The report owns its warnings; the terminal only shows them.
#[derive(Debug, Default)]
pub struct Warnings(Mutex<Vec<String>>);

impl Warnings {
    /// Warnings shown already (while the inputs were resolved), kept for the report.
    pub fn already_shown(shown: Vec<String>) -> Warnings {
        Warnings(Mutex::new(shown))
    }

    /// Shows `message` now and keeps it for the report.
    pub fn warn(&self, ui: &Ui, message: impl Into<String>) {
        let message = message.into();
        ui.warn(&message);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    /// The warnings so far, in order.
    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
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
}

impl Ui {
    /// `non_interactive`: `--non-interactive` (or `CI`-style use): never prompt.
    pub fn new(non_interactive: bool, appearance: Appearance) -> Ui {
        let stderr_is_terminal = stderr_is_terminal();
        let stdin_is_terminal = std::io::stdin().is_terminal();
        show_slow_requests(appearance, stderr_is_terminal);
        Ui {
            appearance,
            stderr_is_terminal,
            can_prompt: stdin_is_terminal && stderr_is_terminal && !non_interactive,
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
            output::stderr_line("", message);
        }
    }

    /// A step that finished.
    pub fn done(&self, message: &str) {
        if self.is_quiet() {
            return;
        }
        let mark = self.style(Style::new().green()).apply_to("✓");
        output::stderr_line(&format!("{mark} "), message);
    }

    /// A heading ("Plan for example.okta.com").
    pub fn heading(&self, message: &str) {
        if self.is_quiet() {
            return;
        }
        let heading = output::terminal_text(message);
        eprintln!("{}", self.style(Style::new().bold()).apply_to(heading));
    }

    /// A warning, printed now (unless `--quiet`). A command's report keeps its own
    /// (see [`Warnings`]).
    pub fn warn(&self, message: &str) {
        if !self.is_quiet() {
            let label = self
                .style(Style::new().yellow().bold())
                .apply_to("warning:");
            output::stderr_line(&format!("{label} "), message);
        }
    }

    /// An error line (the final failure message).
    pub fn error(&self, message: &str) {
        let label = self.style(Style::new().red().bold()).apply_to("error:");
        output::stderr_line(&format!("{label} "), message);
    }

    /// A `hint: ...` line.
    pub fn hint(&self, message: &str) {
        let label = self.style(Style::new().cyan()).apply_to("hint:");
        output::stderr_line(&format!("{label} "), message);
    }

    /// A spinner on a terminal; on anything else one plain line, and nothing more.
    pub fn spinner(&self, message: &str) -> Spinner {
        if self.is_quiet() {
            return Spinner::none();
        }
        if !self.stderr_is_terminal || self.appearance.verbose {
            output::stderr_line("", &format!("{message}..."));
            return Spinner::none();
        }
        SPINNERS.fetch_add(1, Ordering::SeqCst);
        Spinner {
            bar: Some(spinning(message)),
            counted: true,
        }
    }

    /// Asks yes/no; `default` on Enter. Only call when [`Ui::can_prompt`].
    pub fn confirm(&self, question: &str, default: bool) -> std::io::Result<bool> {
        prompting(|| {
            dialoguer::Confirm::new()
                .with_prompt(output::terminal_text(question))
                .default(default)
                .interact_on(&Term::stderr())
        })
    }

    /// Asks yes/no and turns a no into [`Failure::cancelled`] saying `if_no` (what
    /// stays as it was). Only call when [`Ui::can_prompt`].
    pub fn confirm_or_cancel(
        &self,
        question: &str,
        default: bool,
        if_no: &str,
    ) -> Result<(), Failure> {
        match self.confirm(question, default) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Failure::cancelled(if_no)),
            Err(e) => Err(prompt_failure(e, "the answer")),
        }
    }

    /// Asks for a line of text until `check` accepts it; a refusal is shown under the
    /// prompt at once and the question asked again. Only call when [`Ui::can_prompt`].
    pub fn ask(
        &self,
        question: &str,
        mut check: impl FnMut(&str) -> Result<(), String>,
    ) -> std::io::Result<String> {
        prompting(|| {
            dialoguer::Input::<String>::new()
                .with_prompt(output::terminal_text(question))
                .validate_with(|answer: &String| {
                    check(answer).map_err(|e| output::terminal_text(&e))
                })
                .interact_text_on(&Term::stderr())
        })
    }

    /// Asks for a secret without echoing it. Only call when [`Ui::can_prompt`].
    pub fn ask_secret(
        &self,
        question: &str,
        what: &str,
    ) -> std::io::Result<Result<Secret, String>> {
        let raw = prompting(|| {
            dialoguer::Password::new()
                .with_prompt(output::terminal_text(question))
                .interact_on(&Term::stderr())
        })?;
        Ok(Secret::parse(&raw, what).map_err(|e| e.to_string()))
    }

    /// Puts the cursor back (after Ctrl-C during a prompt or a spinner).
    pub fn restore_terminal(&self) {
        if self.stderr_is_terminal {
            let _ = Term::stderr().show_cursor();
        }
    }
}

/// A prompt is on screen: Ctrl-C ends the process with 130 (see [`prompting`]).
static PROMPTING: AtomicBool = AtomicBool::new(false);
/// The run has its own Ctrl-C handling (connect's undo): outside prompts, leave it be.
static FLOW_OWNS_INTERRUPTS: AtomicBool = AtomicBool::new(false);

/// Says that from now on the running flow handles Ctrl-C itself (connect and demo undo
/// their work, then exit 130); only a Ctrl-C at a prompt still ends the process at once.
pub fn flow_owns_interrupts() {
    FLOW_OWNS_INTERRUPTS.store(true, Ordering::SeqCst);
}

/// The command's async work is running under the edge's Ctrl-C handling
/// (`commands::Context::block_on`): outside prompts, the watcher leaves it be.
static EDGE_LISTENS: AtomicBool = AtomicBool::new(false);

/// While it lives, the edge handles Ctrl-C (see [`EDGE_LISTENS`]).
pub struct EdgeListens;

impl EdgeListens {
    pub fn start() -> EdgeListens {
        EDGE_LISTENS.store(true, Ordering::SeqCst);
        EdgeListens
    }
}

impl Drop for EdgeListens {
    fn drop(&mut self) {
        EDGE_LISTENS.store(false, Ordering::SeqCst);
    }
}

/// Whether the running flow handles Ctrl-C itself (see [`flow_owns_interrupts`]).
pub fn flow_handles_interrupts() -> bool {
    FLOW_OWNS_INTERRUPTS.load(Ordering::SeqCst)
}

/// Runs a dialoguer prompt so that Ctrl-C exits 130 whatever the prompt does with it.
///
/// dialoguer reads keys in raw mode and raises SIGINT itself on `^C`; a hidden prompt
/// reads a line with echo off, where `^C` is SIGINT from the terminal. Without a handler
/// either kills the process by signal (no exit code 130); with the async runtime's
/// handler (installed once a run has started) a hidden prompt would wait for Enter. So
/// the first prompt installs a watcher on a thread of its own: at a prompt, or in a
/// command that does not handle Ctrl-C itself, it restores the cursor and exits 130.
/// Known gap: after `^C` at a hidden prompt the terminal's echo stays off until the
/// shell resets it (bash and zsh do at their next prompt).
fn prompting<T>(prompt: impl FnOnce() -> dialoguer::Result<T>) -> std::io::Result<T> {
    watch_interrupts();
    PROMPTING.store(true, Ordering::SeqCst);
    let answer = prompt();
    PROMPTING.store(false, Ordering::SeqCst);
    answer.map_err(into_io)
}

/// Makes Ctrl-C exit 130 from now on, outside a flow that handles it itself (see
/// [`prompting`]). Prompts call it; call it earlier to cover what is printed before one.
pub fn watch_interrupts() {
    static WATCHER: std::sync::Once = std::sync::Once::new();
    WATCHER.call_once(|| {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(_) => return, // Then Ctrl-C kills by signal, as it would anyway.
        };
        let (ready, watching) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("apono-okta-interrupts".into())
            .spawn(move || {
                runtime.block_on(async {
                    let mut interrupts = match Interrupts::listen() {
                        Ok(interrupts) => interrupts,
                        Err(_) => return,
                    };
                    // Registered before the first prompt shows.
                    let _ = ready.send(());
                    while interrupts.next().await {
                        if PROMPTING.load(Ordering::SeqCst)
                            || !(FLOW_OWNS_INTERRUPTS.load(Ordering::SeqCst)
                                || EDGE_LISTENS.load(Ordering::SeqCst))
                        {
                            let _ = Term::stderr().show_cursor();
                            output::exit_interrupted();
                        }
                    }
                });
            });
        if spawned.is_ok() {
            let _ = watching.recv_timeout(Duration::from_secs(2));
        }
    });
}

/// Ctrl-C as a stream, registered as soon as it is made (`tokio::signal::ctrl_c`
/// registers only when first polled).
struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupts {
    fn listen() -> std::io::Result<Interrupts> {
        Ok(Interrupts {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?,
        })
    }

    /// Waits for the next Ctrl-C; false when no more can come.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        return self.signal.recv().await.is_some();
        #[cfg(not(unix))]
        return tokio::signal::ctrl_c().await.is_ok();
    }
}

/// A prompt that could not be answered; Ctrl-C at a prompt is an interruption (130).
pub fn prompt_failure(error: std::io::Error, what: &str) -> Failure {
    if error.kind() == std::io::ErrorKind::Interrupted {
        Failure::interrupted("interrupted")
    } else {
        Failure::usage(format!("could not read {what}: {error}"))
    }
}

fn into_io(error: dialoguer::Error) -> std::io::Error {
    match error {
        dialoguer::Error::IO(e) => e,
    }
}

/// How many spinners of [`Ui::spinner`] are up: a slow request does not draw a second.
static SPINNERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A spinner with `message` and the time elapsed, ticking.
fn spinning(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(output::terminal_line(message));
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Waiting shows itself: a request unanswered after a second gets a spinner with the
/// time elapsed on a terminal (unless a spinner is up already), one line when stderr is
/// not a terminal (or with `--verbose`), nothing with `--quiet`.
fn show_slow_requests(appearance: Appearance, stderr_is_terminal: bool) {
    crate::http::on_slow_request(move |what| -> crate::http::WaitingSign {
        if appearance.quiet {
            return Box::new(());
        }
        let message = format!("waiting for {what}");
        if !stderr_is_terminal || appearance.verbose {
            output::stderr_line("", &format!("{message}..."));
            return Box::new(());
        }
        if SPINNERS.load(Ordering::SeqCst) > 0 {
            return Box::new(());
        }
        Box::new(Spinner {
            bar: Some(spinning(&message)),
            counted: false,
        })
    });
}

/// A running spinner; [`Spinner::finish`] clears it.
pub struct Spinner {
    bar: Option<ProgressBar>,
    /// Counted in [`SPINNERS`] (a spinner of [`Ui::spinner`]).
    counted: bool,
}

impl Spinner {
    fn none() -> Spinner {
        Spinner {
            bar: None,
            counted: false,
        }
    }

    /// Updates the message.
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(output::terminal_line(message));
        }
    }

    /// Clears the spinner.
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.counted {
            SPINNERS.fetch_sub(1, Ordering::SeqCst);
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
