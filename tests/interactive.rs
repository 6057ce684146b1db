//! The path a person takes: the real binary in a pseudo-terminal (80x24, as the pty is
//! opened), answering the org, token and confirmation prompts.

#![cfg(unix)]

use std::time::Duration;

use expectrl::{ControlCode, Eof, Expect, Session};

use crate::support::harness::Harness;

/// Everything the terminal showed, accumulated across `expect` calls.
struct Transcript {
    session: expectrl::session::OsSession,
    text: String,
}

impl Transcript {
    fn expect(&mut self, needle: &str) {
        match self.session.expect(needle) {
            Ok(found) => {
                self.text.push_str(&String::from_utf8_lossy(found.before()));
                for m in found.matches() {
                    self.text.push_str(&String::from_utf8_lossy(m));
                }
            }
            Err(e) => panic!(
                "waiting for {needle:?}: {e}\n--- terminal so far\n{}",
                self.text
            ),
        }
    }

    /// Types a secret at a hidden prompt, then waits for `next`. A hidden prompt turns
    /// echo off with `tcsetattr(TCSAFLUSH)`, which throws away what was typed before it
    /// did; typing as soon as the prompt text shows can lose the answer. So: type, and if
    /// `next` does not show within 15 s (it comes in milliseconds when the answer was
    /// read), the prompt is still waiting: type again, once.
    fn type_secret_then_expect(&mut self, secret: &str, next: &str) {
        self.session
            .set_expect_timeout(Some(Duration::from_secs(15)));
        for _ in 0..2 {
            self.session.send_line(secret).unwrap();
            if let Ok(found) = self.session.expect(next) {
                self.text.push_str(&String::from_utf8_lossy(found.before()));
                for m in found.matches() {
                    self.text.push_str(&String::from_utf8_lossy(m));
                }
                self.session
                    .set_expect_timeout(Some(Duration::from_secs(60)));
                return;
            }
        }
        panic!(
            "waiting for {next:?} after a secret\n--- terminal so far\n{}",
            self.text
        );
    }

    /// Ctrl-C at the prompt on screen: the run ends with 130.
    fn interrupt_expecting_130(&mut self) {
        self.session.send(ControlCode::EndOfText).unwrap();
        assert_eq!(self.finish(), 130, "terminal:\n{}", self.text);
    }

    fn finish(&mut self) -> i32 {
        if let Ok(rest) = self.session.expect(Eof) {
            self.text.push_str(&String::from_utf8_lossy(rest.before()));
            for m in rest.matches() {
                self.text.push_str(&String::from_utf8_lossy(m));
            }
        }
        match self.session.get_process_mut().wait() {
            Ok(expectrl::process::unix::WaitStatus::Exited(_, code)) => code,
            other => panic!("the binary did not exit normally: {other:?}"),
        }
    }
}

#[test]
fn answering_the_prompts_reaches_the_summary_without_echoing_tokens() {
    let h = Harness::new();
    let mut command = h.command();
    command.args([
        "connect",
        "--apono-url",
        &h.sandbox.apono_url(),
        "--no-store",
    ]);
    command.env("TERM", "dumb");
    let mut session = Session::spawn(command).expect("the binary starts in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    let mut t = Transcript {
        session,
        text: String::new(),
    };

    t.expect("Okta org id");
    // A whole URL at the first question is the org: the base URL is not asked for.
    t.session.send_line(h.sandbox.okta_url()).unwrap();
    t.expect("Okta API token (");
    t.type_secret_then_expect(&h.sandbox.super_admin_token(), "Apono API token");
    t.type_secret_then_expect(&h.sandbox.apono_token(), "Apply this plan?");
    t.session.send("y").unwrap();
    t.expect("Connected");
    let code = t.finish();

    assert_eq!(code, 0, "terminal:\n{}", t.text);
    h.assert_no_secret_in(&t.text, "the terminal");
    assert!(!t.text.contains("Base URL"), "{}", t.text);
    assert!(
        t.text
            .contains("Okta API token of ada.admin@example.com, a super admin"),
        "{}",
        t.text
    );
    assert!(t.text.contains("Okta API token     revoked"), "{}", t.text);
    assert_eq!(h.sandbox.snapshot().okta.apps.len(), 1);
    assert!(h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn declining_the_plan_writes_nothing() {
    let h = Harness::new();
    let mut command = h.command();
    command
        .args(
            h.target_args()
                .into_iter()
                .filter(|a| a != "--non-interactive"),
        )
        .env("OKTA_API_TOKEN", h.sandbox.super_admin_token())
        .env("APONO_API_TOKEN", h.sandbox.apono_token())
        .env("TERM", "dumb");
    let mut session = Session::spawn(command).expect("the binary starts in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    let mut t = Transcript {
        session,
        text: String::new(),
    };
    t.expect("Apply this plan?");
    t.session.send("n").unwrap();
    let code = t.finish();
    assert_eq!(code, 130, "terminal:\n{}", t.text);
    // The user's own answer, said as a statement, not as an error.
    assert!(
        t.text.contains("Cancelled: nothing was changed.\r\n"),
        "{}",
        t.text
    );
    assert!(!t.text.contains("error"), "{}", t.text);
    assert!(h.writes().is_empty());
}

/// `apono-okta ARGS` in a pseudo-terminal with `env`, the transcript ready to expect.
fn spawn(h: &Harness, args: &[String], env: &[(&str, String)]) -> Transcript {
    let mut command = h.command();
    command.args(args).env("TERM", "dumb");
    for (name, value) in env {
        command.env(name, value);
    }
    let mut session = Session::spawn(command).expect("the binary starts in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    Transcript {
        session,
        text: String::new(),
    }
}

fn interactive_connect_args(h: &Harness) -> Vec<String> {
    h.target_args()
        .into_iter()
        .filter(|a| a != "--non-interactive")
        .collect()
}

#[test]
fn the_wizard_introduces_itself_and_refuses_a_bad_domain_before_any_token() {
    let h = Harness::new();
    let args: Vec<String> = [
        "connect",
        "--apono-url",
        &h.sandbox.apono_url(),
        "--no-store",
    ]
    .map(String::from)
    .to_vec();
    let mut t = spawn(&h, &args, &[]);
    t.expect("super admin");
    t.expect(&format!("Apono: {}", h.sandbox.apono_url()));
    t.expect("--apono-url");
    t.expect("Okta org id");
    t.session.send_line("http//127.0.0.1:36669").unwrap();
    t.expect("missing colon");
    // Asked again, not moved on to the token.
    assert!(!t.text.contains("Okta API token ("), "{}", t.text);
    t.interrupt_expecting_130();
    assert!(h.writes().is_empty());
}

#[test]
fn ctrl_c_at_any_prompt_exits_130() {
    // At the hidden token prompt.
    let h = Harness::new();
    let args: Vec<String> = [
        "connect",
        "--okta-url",
        &h.sandbox.okta_url(),
        "--apono-url",
        &h.sandbox.apono_url(),
        "--no-store",
    ]
    .map(String::from)
    .to_vec();
    let mut t = spawn(&h, &args, &[]);
    t.expect("Okta API token (");
    t.interrupt_expecting_130();

    // At the confirmation, after the preflight has run.
    let mut t = spawn(
        &h,
        &interactive_connect_args(&h),
        &[
            ("OKTA_API_TOKEN", h.sandbox.super_admin_token()),
            ("APONO_API_TOKEN", h.sandbox.apono_token()),
        ],
    );
    t.expect("Apply this plan?");
    t.interrupt_expecting_130();
    assert!(h.writes().is_empty());
}

/// Mints a fresh super admin token in the sandbox (the first run revokes the first).
fn fresh_super_admin_token(h: &Harness) -> String {
    h.sandbox.mint_super_admin_token()
}

#[test]
fn a_plan_that_deletes_an_app_defaults_to_no() {
    let h = Harness::new();
    h.connect(&[]).assert_code(0);
    let before = h.sandbox.snapshot().okta.apps.len();
    let mut args = interactive_connect_args(&h);
    args.push("--json".into());
    let mut t = spawn(
        &h,
        &args,
        &[
            ("OKTA_API_TOKEN", fresh_super_admin_token(&h)),
            ("APONO_API_TOKEN", h.sandbox.apono_token()),
        ],
    );
    t.expect("[y/N]");
    t.session.send("\r").unwrap();
    let code = t.finish();
    assert_eq!(code, 130, "terminal:\n{}", t.text);
    assert!(
        t.text.contains("Cancelled: nothing was changed.\r\n"),
        "{}",
        t.text
    );
    // --json: the failure object too (stdout and stderr share the terminal).
    assert!(
        t.text.contains(r#""exit_code":130"#) && t.text.contains(r#""result":"failed""#),
        "{}",
        t.text
    );
    assert_eq!(h.sandbox.snapshot().okta.apps.len(), before);
}

/// `apono-okta connect` against the sandbox's Apono, in a pseudo-terminal, with nothing
/// else given: the wizard asks for everything.
fn spawn_wizard(h: &Harness, extra: &[String]) -> Transcript {
    let mut args: Vec<String> = [
        "connect",
        "--apono-url",
        &h.sandbox.apono_url(),
        "--no-store",
    ]
    .map(String::from)
    .to_vec();
    args.extend_from_slice(extra);
    spawn(h, &args, &[])
}

#[test]
fn an_org_id_then_enter_is_that_org_under_okta_com() {
    let h = Harness::new();
    let mut t = spawn_wizard(&h, &[]);
    t.expect("Okta org id");
    t.session.send_line("example").unwrap();
    t.expect("Base URL (or oktapreview.com, okta-emea.com) [okta.com]: ");
    t.session.send_line("").unwrap();
    t.expect("Okta org: https://example.okta.com");
    t.expect("Okta API token (");
    // Stopped before a token: nothing is sent anywhere (example.okta.com included).
    t.interrupt_expecting_130();
    assert!(h.sandbox.exchanges().is_empty());
}

#[test]
fn a_wrong_token_is_asked_for_again_before_the_next_question() {
    let mut h = Harness::new();
    let wrong_okta = h.secret("00WrongWrongWrongWrongWrongWrongWrongWrong");
    let wrong_apono = h.secret("not-the-apono-token");
    let mut t = spawn_wizard(&h, &["--okta-url".into(), h.sandbox.okta_url()]);
    t.expect("Okta API token (");
    // (Expected text is picked within a row: the binary wraps errors at spaces.)
    t.type_secret_then_expect(&wrong_okta, "401 E0000011");
    t.expect("Okta API token (");
    assert!(!t.text.contains("Apono API token"), "{}", t.text);
    t.type_secret_then_expect(&h.sandbox.super_admin_token(), "Apono API token (");
    t.type_secret_then_expect(&wrong_apono, "401 UNAUTHORIZED");
    t.expect("Apono API token (");
    assert!(!t.text.contains("Apply this plan?"), "{}", t.text);
    t.type_secret_then_expect(&h.sandbox.apono_token(), "Apply this plan?");
    t.session.send("y").unwrap();
    t.expect("Connected");
    assert_eq!(t.finish(), 0, "terminal:\n{}", t.text);
    h.assert_no_secret_in(&t.text, "the terminal");
    assert!(h.token_revoked(&h.sandbox.super_admin_token()));
}

#[test]
fn a_read_only_admins_token_is_refused_at_the_prompt() {
    let h = Harness::new();
    let mut t = spawn_wizard(&h, &["--okta-url".into(), h.sandbox.okta_url()]);
    t.expect("Okta API token (");
    t.type_secret_then_expect(
        &h.sandbox.read_only_admin_token(),
        "super admin (holds READ_ONLY_ADMIN)",
    );
    t.expect("Okta API token (");
    assert!(!t.text.contains("Apono API token"), "{}", t.text);
    t.interrupt_expecting_130();
    assert!(h.writes().is_empty());
}

#[test]
fn refused_answers_and_long_errors_leave_nothing_stale_in_80_columns() {
    let h = Harness::new();
    let mut t = spawn_wizard(&h, &[]);
    let size = t.session.get_process().get_window_size().unwrap();
    assert_eq!(size, (80, 24), "the pty is 80 columns by 24 rows");
    t.expect("Okta org id");
    // Prompt and answer take three rows, the error two.
    let long = format!("http//127.0.0.1:36669/{}", "abc/".repeat(30));
    t.session.send_line(&long).unwrap();
    t.expect("missing colon");
    t.expect("Okta org id");
    t.session.send_line("exa mple").unwrap();
    t.expect("nor a domain or URL");
    t.expect("Okta org id");
    t.session.send_line(h.sandbox.okta_url()).unwrap();
    t.expect("Okta API token (");
    t.type_secret_then_expect(&h.sandbox.read_only_admin_token(), "READ_ONLY_ADMIN");
    t.expect("Okta API token (");
    t.type_secret_then_expect(&h.sandbox.super_admin_token(), "Apono API token (");
    let screen = Screen::of(&t.text);
    t.interrupt_expecting_130();

    let shown = screen.join("\n");
    for gone in ["abc/abc", "missing colon", "exa mple", "READ_ONLY_ADMIN"] {
        assert!(
            !shown.contains(gone),
            "{gone:?} is still on screen:\n{shown}"
        );
    }
    let count = |text: &str| screen.iter().filter(|row| row.contains(text)).count();
    assert_eq!(count("Okta org id"), 1, "{shown}");
    assert_eq!(count("Okta API token ("), 1, "{shown}");
    assert_eq!(count("✓ Okta API token of"), 1, "{shown}");
    // Every row was wrapped by the binary at a space, none by the terminal.
    for row in &screen {
        assert!(row.chars().count() <= 78, "{row:?}\n{shown}");
    }
    assert!(
        screen
            .join(" ")
            .contains("two scope grants and a custom admin role that reads them"),
        "{shown}"
    );
}

/// What an 80-column terminal shows after `output`: a small emulator of what the
/// binary's prompts and spinners send (text that wraps after the last column, CR, LF,
/// backspace, cursor up, down, left and right, erase in line and below); other escapes
/// are ignored. Rows past the 24th are kept (scrolled off, they stay in the list).
struct Screen {
    rows: Vec<Vec<char>>,
    row: usize,
    col: usize,
    /// A character was written in the last column: the next one starts a new row.
    wrap_next: bool,
}

impl Screen {
    const COLUMNS: usize = 80;

    /// The rows, trailing spaces trimmed.
    fn of(output: &str) -> Vec<String> {
        let mut screen = Screen {
            rows: vec![Vec::new()],
            row: 0,
            col: 0,
            wrap_next: false,
        };
        let mut chars = output.chars();
        while let Some(c) = chars.next() {
            match c {
                '\u{1b}' => screen.escape(&mut chars),
                '\r' => screen.move_to(screen.row, 0),
                '\n' => screen.move_to(screen.row + 1, screen.col),
                '\u{8}' => screen.move_to(screen.row, screen.col.saturating_sub(1)),
                c if c.is_control() => {}
                c => screen.put(c),
            }
        }
        screen
            .rows
            .iter()
            .map(|row| row.iter().collect::<String>().trim_end().to_string())
            .collect()
    }

    fn move_to(&mut self, row: usize, col: usize) {
        self.row = row;
        self.col = col.min(Self::COLUMNS - 1);
        self.wrap_next = false;
        while self.rows.len() <= self.row {
            self.rows.push(Vec::new());
        }
    }

    fn put(&mut self, c: char) {
        if self.wrap_next {
            self.move_to(self.row + 1, 0);
        }
        let row = &mut self.rows[self.row];
        if row.len() <= self.col {
            row.resize(self.col + 1, ' ');
        }
        row[self.col] = c;
        if self.col + 1 == Self::COLUMNS {
            self.wrap_next = true;
        } else {
            self.col += 1;
        }
    }

    /// A CSI sequence (`ESC [ params final`); anything else after ESC is dropped.
    fn escape(&mut self, chars: &mut std::str::Chars<'_>) {
        if chars.next() != Some('[') {
            return;
        }
        let mut params = String::new();
        let Some(action) = chars.find(|c| {
            let last = ('\u{40}'..='\u{7e}').contains(c);
            if !last {
                params.push(*c);
            }
            last
        }) else {
            return;
        };
        let n = params.parse::<usize>().unwrap_or(0);
        let (row, col) = (self.row, self.col);
        match action {
            'A' => self.move_to(row.saturating_sub(n.max(1)), col),
            'B' => self.move_to(row + n.max(1), col),
            'C' => self.move_to(row, col + n.max(1)),
            'D' => self.move_to(row, col.saturating_sub(n.max(1))),
            'K' => {
                let line = &mut self.rows[row];
                match n {
                    0 => line.truncate(col),
                    1 => line.iter_mut().take(col + 1).for_each(|c| *c = ' '),
                    _ => line.clear(),
                }
            }
            'J' => {
                self.rows[row].truncate(col);
                self.rows.truncate(row + 1);
            }
            _ => {}
        }
    }
}
