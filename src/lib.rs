//! `apono-okta`: connect an Okta organization to Apono as its identity provider, in one
//! command, and leave no standing credentials behind.
//!
//! The binary (`src/main.rs`) only calls [`run`]. Layout (DESIGN.md §7):
//! [`cli`] (clap only) → [`settings`] (flags, env, keyring, prompts → plain settings) →
//! [`commands`] (one module per subcommand, and the edge that prints a report or a
//! failure) → [`connect`] (observe, plan, apply) over [`okta`] and [`apono`], both built
//! on the one HTTP client in [`http`]. [`ui`] owns the terminal, [`secret`] the tokens.
//! The fake Okta and Apono used by `demo`, `sandbox` and the tests is the member crate
//! `apono-okta-sandbox` (`sandbox/`), reached only with the default-on `sandbox` feature;
//! without it the binary holds no server code. This file parses the arguments and
//! dispatches; nothing else. What clap refuses is said by `argv`, which never echoes an
//! argument it did not expect (a pasted token).

pub mod apono;
mod argv;
pub mod cli;
pub mod commands;
pub mod connect;
pub mod error;
pub mod help;
pub mod http;
pub mod okta;
pub mod org;
pub mod output;
pub mod secret;
pub mod settings;
pub mod ui;

use std::ffi::OsString;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands::{finish, resolve_service};
use crate::error::ExitKind;
use crate::settings::{OktaTokenNeed, Purpose};
use crate::ui::Appearance;

/// Parses the arguments, runs the command, and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        // Never echoes a stray argument (a pasted token); `--json` gets its object too.
        Err(e) => return argv::refuse(e, &args),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            output::stderr_line("error: ", &format!("cannot start the async runtime: {e}"));
            return ExitKind::Unexpected.code();
        }
    };
    let appearance = appearance(&cli.display);
    match cli.command {
        Command::Connect(args) => finish(&args.output.clone(), appearance, |ui| {
            commands::connect::run(args, &runtime, ui)
        }),
        #[cfg(feature = "sandbox")]
        Command::Demo(args) => finish(&args.output.clone(), appearance, |ui| {
            runtime.block_on(commands::demo::run(args.rotate, ui))
        }),
        Command::Status(args) => finish(&args.output.clone(), appearance, |ui| {
            let service =
                resolve_service(&args.service, OktaTokenNeed::IfGiven, Purpose::Status, ui)?;
            runtime
                .block_on(commands::status::run(&service, ui))
                .map_err(|f| service.apono_token_source.explain(f))
        }),
        Command::Logout(args) => finish(&args.output.clone(), appearance, |_| {
            commands::logout::run(&args)
        }),
        Command::Disconnect(args) => finish(&args.output.clone(), appearance, |ui| {
            let service = resolve_service(
                &args.service,
                OktaTokenNeed::Required,
                Purpose::Disconnect,
                ui,
            )?;
            let options = commands::disconnect::DisconnectOptions {
                dry_run: args.dry_run,
                assume_yes: args.yes,
                keep_api_token: args.keep_api_token,
            };
            runtime
                .block_on(commands::disconnect::run(&service, options, ui))
                .map_err(|f| service.apono_token_source.explain(f))
        }),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => match runtime.block_on(commands::sandbox::run(&args)) {
            Ok(()) => 0,
            Err(failure) => {
                ui::Ui::new(true, appearance).error(&failure.message);
                failure.exit_code()
            }
        },
        Command::Completions(args) => {
            output::print_raw(commands::completions::script(args.shell).trim_end());
            0
        }
        Command::Man(args) => commands::man::run(&args),
    }
}

/// How stderr looks: `--color` (auto reads stderr and the environment) and `--quiet`.
fn appearance(display: &cli::DisplayArgs) -> Appearance {
    let color = match display.color {
        cli::ColorWhen::Always => true,
        cli::ColorWhen::Never => false,
        cli::ColorWhen::Auto => ui::auto_color(ui::stderr_is_terminal(), &settings::process_env),
    };
    http::trace_requests(display.verbose);
    Appearance {
        color,
        quiet: display.quiet,
        verbose: display.verbose,
    }
}
