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
pub(crate) struct Appearance {
    /// Colour the labels (`error:`, `warning:`, `hint:`, `✓`).
    pub(crate) color: bool,
    /// `--quiet`: only errors, hints and prompts; no progress, notes or warnings.
    pub(crate) quiet: bool,
    /// `--verbose`: request lines on stderr, so no spinner to draw over them.
    pub(crate) verbose: bool,
}

/// What a command warns about: each warning is shown on stderr as it happens (through
/// the [`Ui`]) and kept, in order, for the command's report (`warnings` in `--json`).
/// The report owns its warnings; the terminal only shows them.
#[derive(Debug, Default)]
pub(crate) struct Warnings(Mutex<Vec<String>>);

impl Warnings {
    /// Warnings shown already (while the inputs were resolved), kept for the report.
    pub(crate) fn already_shown(shown: Vec<String>) -> Warnings {
        Warnings(Mutex::new(shown))
    }

    /// Shows `message` now and keeps it for the report.
    pub(crate) fn warn(&self, ui: &Ui, message: impl Into<String>) {
        let message = message.into();
        ui.warn(&message);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    /// The warnings so far, in order.
    pub(crate) fn list(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Whether to colour stderr when `--color auto`: stderr is a terminal and `NO_COLOR` is
/// unset or empty, unless `CLICOLOR_FORCE` is set to anything but `0`.
pub(crate) fn auto_color(stderr_is_terminal: bool, env: &dyn Fn(&str) -> Option<String>) -> bool {
    if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    stderr_is_terminal && env("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Whether stderr is a terminal.
pub(crate) fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// The terminal side of a run.
pub(crate) struct Ui {
    appearance: Appearance,
    stderr_is_terminal: bool,
    can_prompt: bool,
}

impl Ui {
    /// `non_interactive`: `--non-interactive` (or `CI`-style use): never prompt.
    pub(crate) fn new(non_interactive: bool, appearance: Appearance) -> Ui {
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
    pub(crate) fn can_prompt(&self) -> bool {
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
    pub(crate) fn is_quiet(&self) -> bool {
        self.appearance.quiet
    }

    /// A plain progress line.
    pub(crate) fn info(&self, message: &str) {
        if self.is_quiet() {
            return;
        }
        // `  3. grant it ...` continues under `grant`.
        let (head, body) = message.split_at(hanging_indent(message));
        self.wrapped(head, console::measure_text_width(head), body);
    }

    /// A step that finished.
    pub(crate) fn done(&self, message: &str) {
        if self.is_quiet() {
            return;
        }
        let mark = self.style(Style::new().green()).apply_to("✓");
        self.wrapped(&format!("{mark} "), 2, message);
    }

    /// A heading ("Plan for example.okta.com").
    pub(crate) fn heading(&self, message: &str) {
        if self.is_quiet() {
            return;
        }
        let heading = output::terminal_text(message);
        let lines = if self.stderr_is_terminal {
            wrap(&heading, self.text_width())
        } else {
            vec![heading]
        };
        for line in lines {
            eprintln!("{}", self.style(Style::new().bold()).apply_to(line));
        }
    }

    /// A warning, printed now (unless `--quiet`). A command's report keeps its own
    /// (see [`Warnings`]).
    pub(crate) fn warn(&self, message: &str) {
        if !self.is_quiet() {
            self.labelled(Style::new().yellow().bold(), "warning:", message);
        }
    }

    /// An error line (the final failure message).
    pub(crate) fn error(&self, message: &str) {
        self.labelled(Style::new().red().bold(), "error:", message);
    }

    /// A `hint: ...` line.
    pub(crate) fn hint(&self, message: &str) {
        self.labelled(Style::new().cyan(), "hint:", message);
    }

    /// `label message`, wrapped as [`Ui::wrapped`] says.
    fn labelled(&self, style: Style, label: &str, message: &str) {
        let styled = self.style(style).apply_to(label);
        self.wrapped(&format!("{styled} "), label.len() + 1, message);
    }

    /// `head` (ours: a label, a mark, indentation; `head_width` columns wide), then
    /// `message`. On a terminal a line too long for it is wrapped at spaces, the lines
    /// after the first indented under the message, so no word is cut at the edge; a log
    /// gets one line, for grep.
    fn wrapped(&self, head: &str, head_width: usize, message: &str) {
        let width = self.text_width().saturating_sub(head_width).max(20);
        let inert = output::terminal_text(message);
        let fits = console::measure_text_width(&inert) <= width;
        if !self.stderr_is_terminal || fits || message.contains('\n') {
            return output::stderr_line(head, message);
        }
        let indent = " ".repeat(head_width);
        for (n, line) in wrap(&inert, width).iter().enumerate() {
            let prefix = if n == 0 { head } else { indent.as_str() };
            output::stderr_line(prefix, line);
        }
    }

    /// A spinner on a terminal; on anything else one plain line, and nothing more.
    pub(crate) fn spinner(&self, message: &str) -> Spinner {
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
    pub(crate) fn confirm(&self, question: &str, default: bool) -> std::io::Result<bool> {
        prompting(|| {
            dialoguer::Confirm::new()
                .with_prompt(output::terminal_text(question))
                .default(default)
                .interact_on(&Term::stderr())
        })
    }

    /// Asks yes/no and turns a no into [`Failure::cancelled`] saying `if_no` (what
    /// stays as it was). Only call when [`Ui::can_prompt`].
    pub(crate) fn confirm_or_cancel(
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

    /// Prose (the wizard's introduction, a note): on a terminal, wrapped at spaces to fit
    /// it, at most [`TEXT_WIDTH`] columns, so no word is cut at the edge; `\n` starts a
    /// new line. Elsewhere (a log) as it is.
    pub(crate) fn prose(&self, text: &str) {
        if self.is_quiet() {
            return;
        }
        if !self.stderr_is_terminal {
            return output::stderr_line("", text);
        }
        for line in wrap(&output::terminal_text(text), self.text_width()) {
            output::stderr_line("", &line);
        }
    }

    /// The terminal's width in columns (80 when it cannot tell).
    fn columns(&self) -> usize {
        usize::from(Term::stderr().size().1).max(1)
    }

    /// How wide prose and prompt errors are wrapped: [`TEXT_WIDTH`], or less in a
    /// narrower terminal (one column spare: some terminals wrap at the last one).
    fn text_width(&self) -> usize {
        TEXT_WIDTH.min(self.columns().saturating_sub(1)).max(20)
    }

    /// Asks for a line of text until `check` accepts the answer or stops; an empty answer
    /// is `default`, when there is one (shown as `[default]`). A refused answer stays
    /// under the question with why, and the question is asked again below; the next
    /// answer clears them, so however long the answer or the error, nothing stale is left
    /// on screen. Only call when [`Ui::can_prompt`].
    pub(crate) fn ask<T, E>(
        &self,
        question: &str,
        default: Option<&str>,
        mut check: impl FnMut(&str) -> Check<T, E>,
    ) -> std::io::Result<Result<T, E>> {
        self.ask_until(question, Reading::Text { default }, |answer| check(&answer))
    }

    /// Asks for a secret without echoing it, as [`Ui::ask`] asks (`what` names it in a
    /// refusal): the typed value must be a token ([`Secret::parse`]) that `check`
    /// accepts. Only call when [`Ui::can_prompt`].
    pub(crate) fn ask_secret<T, E>(
        &self,
        question: &str,
        what: &str,
        mut check: impl FnMut(Secret) -> Check<T, E>,
    ) -> std::io::Result<Result<T, E>> {
        self.ask_until(question, Reading::Secret, |raw| {
            match Secret::parse(&raw, what) {
                Ok(secret) => check(secret),
                Err(e) => Check::Refuse(e.to_string()),
            }
        })
    }

    /// The loop of [`Ui::ask`] and [`Ui::ask_secret`]. After each answer the prompt (as
    /// many rows as it and the answer took) and what earlier attempts left are cleared,
    /// then the question is printed with its answer as a record, then `check` runs (a
    /// spinner or a `✓` line of its own may follow). With `--verbose` request lines may
    /// come between, so earlier attempts are left as they are.
    fn ask_until<T, E>(
        &self,
        question: &str,
        reading: Reading<'_>,
        mut check: impl FnMut(String) -> Check<T, E>,
    ) -> std::io::Result<Result<T, E>> {
        let term = Term::stderr();
        let question = output::terminal_line(question);
        let mut earlier_rows = 0;
        loop {
            let (typed, prompt_rows) = self.read(&term, &question, reading)?;
            term.clear_last_lines(prompt_rows - 1 + earlier_rows)?;
            let answer = match reading {
                Reading::Text {
                    default: Some(default),
                } if typed.trim().is_empty() => default.to_string(),
                _ => typed,
            };
            let record_rows = self.record(&question, reading, &answer);
            match check(answer) {
                Check::Accept(value) => return Ok(Ok(value)),
                Check::Stop(error) => return Ok(Err(error)),
                Check::Refuse(why) => {
                    let rows = record_rows + self.refusal(&why);
                    earlier_rows = if self.appearance.verbose { 0 } else { rows };
                }
            }
        }
    }

    /// Shows the prompt and reads one answer as typed; also says how many rows the prompt
    /// and the answer took (dialoguer clears only the last).
    fn read(
        &self,
        term: &Term,
        question: &str,
        reading: Reading<'_>,
    ) -> std::io::Result<(String, usize)> {
        let (typed, drawn) = match reading {
            Reading::Text { default } => {
                let prompt = match default {
                    Some(default) => format!("{question} [{}]", output::terminal_line(default)),
                    None => question.to_string(),
                };
                let typed = prompting(|| {
                    dialoguer::Input::<String>::new()
                        .with_prompt(&prompt)
                        .allow_empty(true)
                        .report(false)
                        .interact_text_on(term)
                })?;
                let drawn = format!("{prompt}: {typed}");
                (typed, drawn)
            }
            Reading::Secret => {
                let typed = prompting(|| {
                    dialoguer::Password::new()
                        .with_prompt(question)
                        .allow_empty_password(true)
                        .report(false)
                        .interact_on(term)
                })?;
                (typed, format!("{question}: "))
            }
        };
        Ok((typed, rows(&drawn, self.columns())))
    }

    /// Prints `question: answer` (`[hidden]` for a secret) where the prompt was, the
    /// answer on a line of its own when both do not fit; returns the rows printed.
    fn record(&self, question: &str, reading: Reading<'_>, answer: &str) -> usize {
        let answer = match reading {
            Reading::Text { .. } => output::terminal_line(answer.trim()),
            Reading::Secret => "[hidden]".to_string(),
        };
        let one_line = format!("{question}: {answer}");
        let record = if console::measure_text_width(&one_line) <= self.text_width() {
            one_line
        } else {
            format!("{question}:\n{answer}")
        };
        output::stderr_line("", &record);
        record
            .split('\n')
            .map(|line| rows(line, self.columns()))
            .sum()
    }

    /// Prints why an answer was refused (`error: ...`), wrapped; returns the rows printed.
    fn refusal(&self, why: &str) -> usize {
        let label = self.style(Style::new().red().bold()).apply_to("error:");
        let text = format!("error: {}", output::terminal_text(why));
        let mut printed = 0;
        for (i, line) in wrap(&text, self.text_width()).iter().enumerate() {
            match line.strip_prefix("error: ").filter(|_| i == 0) {
                Some(rest) => output::stderr_line(&format!("{label} "), rest),
                None => output::stderr_line("", line),
            }
            printed += rows(line, self.columns());
        }
        printed
    }

    /// Puts the cursor back (after Ctrl-C during a prompt or a spinner).
    pub(crate) fn restore_terminal(&self) {
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
pub(crate) fn flow_owns_interrupts() {
    FLOW_OWNS_INTERRUPTS.store(true, Ordering::SeqCst);
}

/// The command's async work is running under the edge's Ctrl-C handling
/// (`commands::Context::block_on`): outside prompts, the watcher leaves it be.
static EDGE_LISTENS: AtomicBool = AtomicBool::new(false);

/// While it lives, the edge handles Ctrl-C (see [`EDGE_LISTENS`]).
pub(crate) struct EdgeListens;

impl EdgeListens {
    pub(crate) fn start() -> EdgeListens {
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
pub(crate) fn flow_handles_interrupts() -> bool {
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
pub(crate) fn watch_interrupts() {
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
                            exit_interrupted();
                        }
                    }
                });
            });
        if spawned.is_ok() {
            let _ = watching.recv_timeout(Duration::from_secs(2));
        }
    });
}

/// Ends the process for a Ctrl-C that came where nothing else handles it (at a prompt):
/// the line on stderr, the failure object with `--json`, exit 130.
pub(crate) fn exit_interrupted() -> ! {
    output::stderr_line("\n", "interrupted");
    if output::json() {
        output::print_json(&crate::error::Failure::interrupted("interrupted").to_json());
    }
    std::process::exit(i32::from(crate::error::ExitKind::Interrupted.code()))
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
pub(crate) fn prompt_failure(error: std::io::Error, what: &str) -> Failure {
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

/// The widest line of prose and of a prompt's error: an 80-column terminal keeps every
/// word whole (DESIGN.md §3 step 1).
pub(crate) const TEXT_WIDTH: usize = 78;

/// What a prompt's check makes of an answer (see [`Ui::ask`]).
pub(crate) enum Check<T, E> {
    /// Take it: this is what it stands for.
    Accept(T),
    /// Say why under the answer, and ask again.
    Refuse(String),
    /// Stop asking: the run cannot go on (a service could not be reached).
    Stop(E),
}

impl<T, E> From<Result<T, String>> for Check<T, E> {
    /// A value is accepted; a message refuses the answer.
    fn from(checked: Result<T, String>) -> Check<T, E> {
        match checked {
            Ok(value) => Check::Accept(value),
            Err(why) => Check::Refuse(why),
        }
    }
}

/// How a question is answered: a line of text (echoed), or a secret (hidden).
#[derive(Debug, Clone, Copy)]
enum Reading<'a> {
    Text { default: Option<&'a str> },
    Secret,
}

/// `text` broken at spaces into lines at most `width` columns wide, keeping its own line
/// breaks (a run of spaces becomes one). A word wider than `width` (a long URL) gets a
/// line of its own, whole.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|word| !word.is_empty()) {
            let wanted = console::measure_text_width(&line) + 1 + console::measure_text_width(word);
            if !line.is_empty() && wanted > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// How much of a line its continuation lines are indented by: the leading spaces, and a
/// list marker after them (`3. `, `- `).
fn hanging_indent(line: &str) -> usize {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[spaces..];
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let marker = if digits > 0 && rest[digits..].starts_with(". ") {
        digits + 2
    } else if rest.starts_with("- ") {
        2
    } else {
        0
    };
    spaces + marker
}

/// How many terminal rows a line of text takes in a terminal `columns` wide.
fn rows(line: &str, columns: usize) -> usize {
    console::measure_text_width(line)
        .div_ceil(columns.max(1))
        .max(1)
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
pub(crate) struct Spinner {
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
    pub(crate) fn set_message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(output::terminal_line(message));
        }
    }

    /// Clears the spinner.
    pub(crate) fn finish(self) {
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
    fn list_lines_continue_under_their_text() {
        assert_eq!(hanging_indent("  3. grant it okta.users.read"), 5);
        assert_eq!(hanging_indent("  - the Okta app"), 4);
        assert_eq!(hanging_indent("Checking Apono only"), 0);
        assert_eq!(hanging_indent("  12. x"), 6);
        assert_eq!(hanging_indent("2026 was"), 0);
    }

    #[test]
    fn prose_is_wrapped_at_spaces_keeping_its_own_line_breaks() {
        assert_eq!(
            wrap("one two three\nfour  five", 9),
            ["one two", "three", "four five"]
        );
        // A word wider than the line stays whole, on a line of its own.
        assert_eq!(
            wrap("see https://example.okta.com/admin now", 10),
            ["see", "https://example.okta.com/admin", "now"]
        );
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn rows_count_what_the_terminal_wraps() {
        assert_eq!(rows("", 80), 1);
        assert_eq!(rows(&"a".repeat(80), 80), 1);
        assert_eq!(rows(&"a".repeat(81), 80), 2);
        assert_eq!(
            rows(&"日".repeat(41), 80),
            2,
            "wide characters take two columns"
        );
    }

    proptest::proptest! {
        /// Wrapping loses no word and cuts none: the words come back in order, and a
        /// line is wider than the limit only when it is one word.
        #[test]
        fn wrapping_keeps_every_word_whole(
            text in "[a-z ]{0,200}(\n[a-z ]{0,50})?",
            width in 1usize..100,
        ) {
            let lines = wrap(&text, width);
            proptest::prop_assert!(lines.len() >= text.split('\n').count());
            let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
            proptest::prop_assert_eq!(words(&lines.join(" ")), words(&text));
            for line in &lines {
                proptest::prop_assert!(
                    line.len() <= width || !line.contains(' '),
                    "{:?} is wider than {}", line, width
                );
            }
        }
    }

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
