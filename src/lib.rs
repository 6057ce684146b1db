//! `apono-okta`: connect an Okta organization to Apono as its identity provider, in one
//! command, and leave no standing credentials behind.
//!
//! The binary (`src/main.rs`) only calls [`run`]. Layout (DESIGN.md §7):
//! [`cli`] (clap only) → [`settings`] (flags, env, keyring, prompts → plain settings) →
//! [`connect`] (observe, plan, apply) over [`okta`] and [`apono`], both built on the one
//! HTTP client in [`http`]. [`status`] and [`disconnect`] are the other two commands that
//! talk to the services. [`ui`] owns the terminal, [`secret`] the tokens, [`sandbox`]
//! the fake Okta and Apono used by `demo` and the tests. This file owns the commands that
//! need no service (`logout`, `completions`, `man`), the sandbox commands, and the edge:
//! printing a report or a failure (`--json` objects key-sorted) and the exit code.

pub mod apono;
pub mod cli;
pub mod connect;
pub mod disconnect;
pub mod error;
pub mod http;
pub mod okta;
pub mod sandbox;
pub mod secret;
pub mod settings;
pub mod status;
pub mod ui;

use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, ConnectArgs, OutputArgs, SandboxArgs};
use crate::connect::{ConnectSettings, Report};
use crate::error::{ExitKind, Failure};
use crate::sandbox::{Sandbox, SandboxOptions};
use crate::secret::Secret;
use crate::settings::{OktaTokenNeed, Purpose};
use crate::ui::{Appearance, Ui};

/// Parses the arguments, runs the command, and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            if !e.use_stderr() {
                return 0; // --help, --version
            }
            // Even a usage error prints its one JSON object, so CI can read what happened.
            if args.iter().any(|a| a == "--json") {
                let rendered = e.render().to_string();
                let first_line = rendered.lines().next().unwrap_or_default();
                let failure = Failure::usage(first_line.trim_start_matches("error: "));
                print_stdout(&connect::failure_json(&failure).to_string());
            }
            return ExitKind::Usage.code();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitKind::Unexpected.code();
        }
    };
    let appearance = appearance(&cli.display);
    match cli.command {
        Command::Connect(args) => finish(&args.output.clone(), appearance, |ui| {
            runtime.block_on(connect_command(args, ui))
        }),
        Command::Demo(args) => finish(&args.output.clone(), appearance, |ui| {
            runtime.block_on(demo_command(args.rotate, ui))
        }),
        Command::Status(args) => finish(&args.output.clone(), appearance, |ui| {
            let service =
                resolve_service(&args.service, OktaTokenNeed::IfGiven, Purpose::Status, ui)?;
            runtime
                .block_on(status::status(&service, ui))
                .map_err(|f| service.apono_token_source.explain(f))
        }),
        Command::Logout(args) => finish(&args.output.clone(), appearance, |ui| logout(&args, ui)),
        Command::Disconnect(args) => finish(&args.output.clone(), appearance, |ui| {
            let service = resolve_service(
                &args.service,
                OktaTokenNeed::Required,
                Purpose::Disconnect,
                ui,
            )?;
            let options = disconnect::DisconnectOptions {
                dry_run: args.dry_run,
                assume_yes: args.yes,
                keep_api_token: args.keep_api_token,
            };
            runtime
                .block_on(disconnect::disconnect(&service, options, ui))
                .map_err(|f| service.apono_token_source.explain(f))
        }),
        Command::Sandbox(args) => match runtime.block_on(sandbox_command(&args)) {
            Ok(()) => 0,
            Err(failure) => {
                Ui::new(true, appearance).error(&secret::redact(&failure.message));
                failure.exit_code()
            }
        },
        Command::Completions(args) => {
            print_stdout(completion_script(args.shell).trim_end());
            0
        }
        Command::Man(args) => man_command(&args),
    }
}

/// How stderr looks: `--color` (auto reads stderr and the environment) and `--quiet`.
fn appearance(display: &cli::DisplayArgs) -> Appearance {
    let color = match display.color {
        cli::ColorWhen::Always => true,
        cli::ColorWhen::Never => false,
        cli::ColorWhen::Auto => ui::auto_color(ui::stderr_is_terminal(), &settings::process_env),
    };
    Appearance {
        color,
        quiet: display.quiet,
    }
}

/// The binary's name, as the shell and `man` know it.
const BIN_NAME: &str = "apono-okta";

/// The completion script for `shell`. clap_complete (4.6) names bash states after the
/// binary with `-` read as a subcommand separator in its `case` labels
/// (`apono__subcmd__okta__subcmd__status)`) but not where it assigns them
/// (`cmd="apono__okta__subcmd__status"`), so no subcommand flag ever completed; the
/// labels are rewritten to the assigned names.
pub fn completion_script(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN_NAME, &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    if shell != clap_complete::Shell::Bash {
        return script;
    }
    let misnamed = format!("{}__subcmd__", BIN_NAME.replace('-', "__subcmd__"));
    let assigned = format!("{}__subcmd__", BIN_NAME.replace('-', "__"));
    script.replace(&misnamed, &assigned)
}

/// Every man page, as (file name, roff): `apono-okta.1` and one per subcommand
/// (`apono-okta-connect.1`, ...), each with the options and usage clap knows.
fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut top = Cli::command();
    // Building propagates the version and gives each subcommand its display name
    // (`apono-okta-connect`), which becomes the page's title.
    top.build();
    let mut pages = Vec::new();
    for command in std::iter::once(&top).chain(top.get_subcommands()) {
        if command.get_name() == "help" {
            continue;
        }
        let mut roff = Vec::new();
        clap_mangen::Man::new(command.clone()).render(&mut roff)?;
        let title = command.get_display_name().unwrap_or(command.get_name());
        pages.push((format!("{title}.1"), roff));
    }
    Ok(pages)
}

/// `man`: print the top page or one subcommand's, or write them all to `--dir`.
fn man_command(args: &cli::ManArgs) -> u8 {
    let pages = match man_pages() {
        Ok(pages) => pages,
        Err(e) => {
            eprintln!("error: cannot render the man pages: {e}");
            return ExitKind::Unexpected.code();
        }
    };
    if let Some(dir) = &args.dir {
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            pages
                .iter()
                .try_for_each(|(name, roff)| std::fs::write(dir.join(name), roff))
        });
        return match written {
            Ok(()) => {
                eprintln!("Wrote {} man pages to {}.", pages.len(), dir.display());
                0
            }
            Err(e) => {
                eprintln!(
                    "error: cannot write the man pages to {}: {e}",
                    dir.display()
                );
                ExitKind::Unexpected.code()
            }
        };
    }
    let wanted = match &args.command {
        Some(command) => format!("{BIN_NAME}-{command}.1"),
        None => format!("{BIN_NAME}.1"),
    };
    match pages.iter().find(|(name, _)| *name == wanted) {
        Some((_, roff)) => {
            print_stdout(String::from_utf8_lossy(roff).trim_end());
            0
        }
        None => {
            let known: Vec<&str> = pages
                .iter()
                .filter_map(|(name, _)| {
                    name.strip_prefix(&format!("{BIN_NAME}-"))?
                        .strip_suffix(".1")
                })
                .collect();
            eprintln!(
                "error: no man page for `{}`; one of: {}",
                args.command.as_deref().unwrap_or_default(),
                known.join(", ")
            );
            ExitKind::Usage.code()
        }
    }
}

/// The service settings of `status` and `disconnect`, from the process environment.
fn resolve_service(
    args: &cli::ServiceArgs,
    need: OktaTokenNeed,
    purpose: Purpose,
    ui: &Ui,
) -> Result<settings::ServiceSettings, Failure> {
    let env = settings::process_env;
    let store = settings::token_store(&env);
    settings::resolve_service(args, need, purpose, &env, store.as_ref(), ui)
}

/// A command's result, printable as text or as the one JSON object of `--json`.
trait Summary: serde::Serialize {
    fn to_text(&self) -> String;
    /// The exit code of a command that ran to the end (`status` is 5 when unhealthy).
    fn exit_code(&self) -> u8 {
        0
    }
}

impl Summary for Report {
    fn to_text(&self) -> String {
        Report::to_text(self)
    }
    /// 6 when the run connected but left something for a person (DESIGN.md §3).
    fn exit_code(&self) -> u8 {
        if self.left_behind.is_empty() {
            0
        } else {
            ExitKind::LeftBehind.code()
        }
    }
}

impl Summary for status::StatusReport {
    fn to_text(&self) -> String {
        status::StatusReport::to_text(self)
    }
    fn exit_code(&self) -> u8 {
        status::StatusReport::exit_code(self)
    }
}

/// What `logout` did.
#[derive(Debug, serde::Serialize)]
struct LogoutReport {
    /// `removed`, or `nothing_stored`.
    result: &'static str,
    keyring_service: &'static str,
    /// The Apono API host the token was stored under.
    account: String,
}

impl Summary for LogoutReport {
    fn to_text(&self) -> String {
        match self.result {
            "removed" => format!(
                "Removed the Apono API token stored for {} from the OS keyring.",
                self.account
            ),
            _ => format!(
                "No Apono API token was stored for {} in the OS keyring; nothing to remove.",
                self.account
            ),
        }
    }
}

/// `logout`: forgets the Apono token stored for this Apono API host. Exit 0 whether or
/// not one was stored; an unavailable keyring cannot hold one (this tool never falls
/// back to a file), so that is "nothing stored", with the reason on stderr.
fn logout(args: &cli::LogoutArgs, ui: &Ui) -> Result<LogoutReport, Failure> {
    let apono_url = settings::parse_base_url(&args.apono_url, "--apono-url")?;
    let account = settings::keyring_account(&apono_url);
    let store = settings::token_store(&settings::process_env);
    let removed = match store.delete(&account) {
        Ok(removed) => removed,
        Err(why) => {
            ui.info(&format!("note: {why}"));
            false
        }
    };
    Ok(LogoutReport {
        result: if removed { "removed" } else { "nothing_stored" },
        keyring_service: secret::KEYRING_SERVICE,
        account,
    })
}

impl Summary for disconnect::DisconnectReport {
    fn to_text(&self) -> String {
        disconnect::DisconnectReport::to_text(self)
    }
    /// 6 when something is left for a person (an app not deleted, a live token).
    fn exit_code(&self) -> u8 {
        if self.left_behind.is_empty() {
            0
        } else {
            ExitKind::LeftBehind.code()
        }
    }
}

/// Runs a command that ends in a [`Summary`]; prints it, or the failure, and returns
/// the exit code.
fn finish<S: Summary>(
    output: &OutputArgs,
    appearance: Appearance,
    command: impl FnOnce(&Ui) -> Result<S, Failure>,
) -> u8 {
    let ui = Ui::new(output.non_interactive, appearance);
    match command(&ui) {
        Ok(report) => {
            let text = if output.json {
                // Through `Value`, whose maps are sorted: every object this tool prints
                // has its keys in order, as failures do.
                serde_json::to_value(&report)
                    .map(|value| value.to_string())
                    .unwrap_or_default()
            } else {
                report.to_text()
            };
            // A belt: server text is redacted where it enters an error already.
            print_stdout(&secret::redact(&text));
            report.exit_code()
        }
        Err(failure) => {
            report_failure(&failure, &ui);
            if output.json {
                print_stdout(&connect::failure_json(&failure).to_string());
            }
            failure.exit_code()
        }
    }
}

/// Prints a line on stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// Prints a failure on stderr: the message, what was undone, what is left behind, and
/// the hints, each with both tokens redacted (a belt: see [`secret::redact`]).
fn report_failure(failure: &Failure, ui: &Ui) {
    use secret::redact;
    ui.error(&redact(&failure.message));
    if !failure.undone.is_empty() {
        ui.info("Undone:");
        for item in &failure.undone {
            ui.info(&format!("  - {}", redact(item)));
        }
    }
    if !failure.left_behind.is_empty() {
        ui.info("Left behind (clean these up, or re-run `apono-okta connect`):");
        for item in &failure.left_behind {
            ui.info(&format!("  - {}", redact(item)));
        }
    }
    for hint in &failure.hints {
        ui.hint(&redact(hint));
    }
}

async fn connect_command(args: Box<ConnectArgs>, ui: &Ui) -> Result<Report, Failure> {
    let env = settings::process_env;
    let store = settings::token_store(&env);
    let (settings, apono_token_source) =
        settings::resolve_connect(&args, &env, store.as_ref(), ui)?;
    // From here on the flow undoes its own work on Ctrl-C.
    ui::flow_owns_interrupts();
    let mut report = connect::connect(&settings, ui)
        .await
        .map_err(|f| apono_token_source.explain(f))?;
    if !settings.dry_run {
        if args.no_store {
            ui.info("The Apono token was not stored (--no-store).");
        } else {
            let account = settings::keyring_account(&settings.apono_url);
            match store.save(&account, &settings.apono_token) {
                Ok(()) => ui.info(&format!("Stored the Apono token in the OS keyring (service apono-okta, account {account}).")),
                Err(e) => ui.warn(&format!(
                    "could not store the Apono token in the OS keyring: {e}; pass it again next time (nothing was written to disk)"
                )),
            }
        }
    }
    report.warnings = ui.warnings();
    Ok(report)
}

/// `demo`: the whole connect flow against an in-process sandbox; with `rotate`, a second
/// run with a freshly minted token rotates to a new app.
async fn demo_command(rotate: bool, ui: &Ui) -> Result<Report, Failure> {
    let sandbox = Sandbox::start(SandboxOptions::default()).map_err(|e| {
        Failure::new(
            ExitKind::Unexpected,
            format!("cannot start the sandbox: {e}"),
        )
    })?;
    ui::flow_owns_interrupts();
    ui.heading("apono-okta demo: connecting a sandbox Okta org to a sandbox Apono (nothing leaves this machine)");
    ui.info(&format!("  sandbox Okta:  {}", sandbox.okta_url()));
    ui.info(&format!("  sandbox Apono: {}", sandbox.apono_url()));
    let mut report =
        connect::connect(&demo_settings(&sandbox, sandbox.super_admin_token())?, ui).await?;
    if rotate {
        let first_app = report.okta.app_id.clone().unwrap_or_default();
        ui.heading(&format!(
            "\nRotation: that token is revoked, so the demo mints another super admin token (as `{}` does) and connects again",
            sandbox.mint_token_command()
        ));
        report = connect::connect(
            &demo_settings(&sandbox, sandbox.mint_super_admin_token())?,
            ui,
        )
        .await?;
        ui.info(&format!(
            "Rotated: Apono now uses app {}; the previous app {first_app} was {}.",
            report.okta.app_id.as_deref().unwrap_or("?"),
            if report.retired_app_ids.contains(&first_app) {
                "deleted"
            } else {
                "not deleted"
            }
        ));
    }
    let snapshot = sandbox.snapshot();
    ui.info(&format!(
        "The sandbox now holds {} Okta app(s) and {} Apono integration(s); the demo's Okta token is {}.",
        snapshot.okta.apps.len(),
        snapshot.apono.integrations.len(),
        if report.api_token_revoked { "revoked" } else { "still valid" }
    ));
    if !rotate {
        ui.info(
            "To see a rotation (a re-run: new app, previous one deleted): apono-okta demo --rotate",
        );
    }
    Ok(report)
}

fn demo_settings(sandbox: &Sandbox, okta_token: String) -> Result<ConnectSettings, Failure> {
    let secret = |value: String, what: &str| {
        Secret::parse(&value, what).map_err(|e| Failure::new(ExitKind::Unexpected, e.to_string()))
    };
    let okta = settings::parse_okta_target(&sandbox.okta_url()).map_err(Failure::usage)?;
    let env = settings::process_env;
    let http = settings::http_settings(&env, None, http::DEFAULT_TIMEOUT);
    Ok(ConnectSettings {
        okta_url: okta.url,
        domain: okta.domain,
        okta_token: secret(okta_token, "the sandbox Okta token")?,
        apono_url: settings::parse_base_url(&sandbox.apono_url(), "the sandbox Apono URL")?,
        apono_token: secret(sandbox.apono_token(), "the sandbox Apono token")?,
        app_label: okta::DEFAULT_APP_LABEL.into(),
        admin_role: None,
        manager_attribute: None,
        apono_config: Vec::new(),
        integration_type: None,
        integration_id: None,
        integration_name: None,
        public_key: apono::public_jwk(),
        keep_api_token: false,
        keep_orphans: false,
        reuse_app: false,
        dry_run: false,
        assume_yes: true,
        wait: Some(Duration::from_secs(60)),
        poll_interval: if http.no_retry_delay {
            settings::poll_interval(&http)
        } else {
            Duration::from_millis(400)
        },
        http,
    })
}

/// `sandbox`: serve until Ctrl-C.
async fn sandbox_command(args: &SandboxArgs) -> Result<(), Failure> {
    let options = SandboxOptions {
        client_privileges_setting: args.client_privileges,
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(options).map_err(|e| {
        Failure::new(
            ExitKind::Unexpected,
            format!("cannot start the sandbox: {e}"),
        )
    })?;
    print_stdout(&format!(
        "okta_url={}\napono_url={}\nokta_super_admin_token={}\nokta_read_only_admin_token={}\napono_token={}",
        sandbox.okta_url(),
        sandbox.apono_url(),
        sandbox.super_admin_token(),
        sandbox.read_only_admin_token(),
        sandbox.apono_token()
    ));
    eprintln!(
        "Sandbox running; try:\n  OKTA_API_TOKEN=... APONO_API_TOKEN=... apono-okta connect --okta-url {} --apono-url {}\nEach connect revokes its Okta token; for another super admin token (to re-run, i.e. rotate):\n  {}\nPress Ctrl-C to stop.",
        sandbox.okta_url(),
        sandbox.apono_url(),
        sandbox.mint_token_command()
    );
    let _ = tokio::signal::ctrl_c().await;
    drop(sandbox);
    Ok(())
}
