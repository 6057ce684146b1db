//! Runs the real binary against a sandbox started in this test process, so a test can
//! assert on the exit code, the exact output, and the state the sandbox ends in.
//!
//! Every run is checked for two things whatever the test asserts: no token string
//! appears in stdout or stderr, and every exchange so far agrees with the reference
//! documents.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apono_okta_sandbox::{Exchange, Sandbox, SandboxOptions};

use apono_okta_sandbox::contract::Contract;

/// The built binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_apono-okta");

/// Runs `command` with no stdin and its output captured; kills it and panics if it is
/// still running after `limit` (a hang guard, not a measure of speed). Unchecked: see
/// [`Harness::run_within`].
pub fn output_within(mut command: Command, limit: Duration) -> Run {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = read_all(Box::new(child.stderr.take().expect("stderr is piped")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the binary can be waited for") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the binary was still running after {limit:?} and was killed\n--- stderr\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout is read"),
        stderr: stderr.join().expect("stderr is read"),
    }
}

/// A sandbox plus an isolated home directory for the binary.
pub struct Harness {
    pub sandbox: Sandbox,
    home: tempfile::TempDir,
    /// Extra strings that must never be printed (tokens a test made up).
    extra_secrets: Vec<String>,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as one JSON object.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Panics with the output unless the exit code is `code`.
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The fault that makes Apono refuse the first integration create with a 500 saying
/// `details`: a run fails after its Okta writes, and undoes them.
pub fn apono_create_fails(details: &str) -> apono_okta_sandbox::Fault {
    apono_okta_sandbox::Fault::respond(
        apono_okta_sandbox::Service::Apono,
        "POST",
        "/api/admin/v4/integrations",
        1,
        500,
        serde_json::json!({"error_code": "INTERNAL", "error_details": details}),
    )
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_options(SandboxOptions::default())
    }

    pub fn with_options(options: SandboxOptions) -> Harness {
        Harness {
            sandbox: Sandbox::start(options).expect("the sandbox starts"),
            home: tempfile::tempdir().expect("a temporary home"),
            extra_secrets: Vec::new(),
        }
    }

    /// Registers a made-up token that must never be printed either.
    pub fn secret(&mut self, token: &str) -> String {
        self.extra_secrets.push(token.to_string());
        token.to_string()
    }

    /// The binary with a clean environment: no inherited tokens or URLs, an isolated
    /// home, no keyring, no colour, no retry waits.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command.env_clear();
        // What a process needs to run at all (Windows needs SYSTEMROOT for sockets).
        for name in ["PATH", "SYSTEMROOT", "WINDIR", "TEMP", "TMP", "TMPDIR"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("APONO_OKTA_KEYRING", "none")
            .env("APONO_OKTA_TEST_NO_RETRY_DELAY", "1")
            .env("NO_COLOR", "1");
        command
    }

    /// The arguments that point `connect` at the sandbox.
    pub fn target_args(&self) -> Vec<String> {
        vec![
            "connect".into(),
            "--okta-url".into(),
            self.sandbox.okta_url(),
            "--apono-url".into(),
            self.sandbox.apono_url(),
            "--non-interactive".into(),
            "--no-store".into(),
        ]
    }

    /// `status`, `disconnect` (or another command taking the service flags) against the
    /// sandbox, non-interactive, with the Apono token and, when given, an Okta token.
    /// The caller adds `--json` or other flags.
    pub fn service_command(&self, command: &str, okta_token: Option<&str>) -> Command {
        let mut cmd = self.command();
        cmd.args([
            command,
            "--okta-url",
            &self.sandbox.okta_url(),
            "--apono-url",
            &self.sandbox.apono_url(),
            "--non-interactive",
        ])
        .env("APONO_API_TOKEN", self.sandbox.apono_token());
        if let Some(token) = okta_token {
            cmd.env("OKTA_API_TOKEN", token);
        }
        cmd
    }

    /// `connect` against the sandbox with the super admin's and Apono's tokens in the
    /// environment, plus `extra` arguments.
    pub fn connect(&self, extra: &[&str]) -> Run {
        let okta = self.sandbox.super_admin_token();
        let apono = self.sandbox.apono_token();
        self.connect_with_tokens(&okta, &apono, extra)
    }

    /// `connect` with the given tokens.
    pub fn connect_with_tokens(&self, okta_token: &str, apono_token: &str, extra: &[&str]) -> Run {
        let mut command = self.command();
        command
            .args(self.target_args())
            .args(extra)
            .env("OKTA_API_TOKEN", okta_token)
            .env("APONO_API_TOKEN", apono_token);
        self.run(command, None)
    }

    /// Runs a command, feeding `stdin`, and checks the run (see the module doc).
    pub fn run(&self, mut command: Command, stdin: Option<&str>) -> Run {
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary starts");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin is piped")
                .write_all(input.as_bytes())
                .expect("stdin is written");
        }
        let output = child.wait_with_output().expect("the binary finishes");
        self.checked(Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs a command with no stdin like [`Harness::run`], under a hang guard: one still
    /// running after `limit` is killed, and the test fails saying so. For runs against
    /// a server that may never answer.
    pub fn run_within(&self, command: Command, limit: Duration) -> Run {
        self.checked(output_within(command, limit))
    }

    /// The checks every run gets (see the module doc); returns the run.
    pub fn checked(&self, run: Run) -> Run {
        self.assert_no_secret_in(&run.stdout, "stdout");
        self.assert_no_secret_in(&run.stderr, "stderr");
        Contract::get().assert_all(&self.sandbox.exchanges());
        run
    }

    /// Panics if any token appears in `text`.
    pub fn assert_no_secret_in(&self, text: &str, what: &str) {
        let mut secrets = vec![
            self.sandbox.super_admin_token(),
            self.sandbox.read_only_admin_token(),
            self.sandbox.apono_token(),
        ];
        secrets.extend(self.extra_secrets.iter().cloned());
        for secret in secrets {
            assert!(
                !text.contains(&secret),
                "a token appears in {what}:\n{text}"
            );
        }
    }

    /// Whether the sandbox's Okta has revoked this token.
    pub fn token_revoked(&self, token: &str) -> bool {
        self.sandbox
            .snapshot()
            .okta
            .api_token(token)
            .expect("a token the sandbox issued")
            .revoked
    }

    /// Drifts an app as an admin clicking in the console would: takes away its
    /// `okta.groups.read` grant and every admin role.
    pub fn drift_app(&self, app_id: &str) {
        self.sandbox.with_state(|state| {
            let app = state
                .okta
                .apps
                .iter_mut()
                .find(|a| a.id == app_id)
                .expect("the app exists");
            app.grants.retain(|g| g.scope_id != "okta.groups.read");
            app.roles.clear();
        });
    }

    /// Every write request the sandbox saw.
    pub fn writes(&self) -> Vec<Exchange> {
        self.sandbox
            .exchanges()
            .into_iter()
            .filter(Exchange::is_write)
            .collect()
    }
}
