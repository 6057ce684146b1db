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
mod cli;
mod commands;
mod connect;
mod error;
mod help;
pub mod http;
pub mod okta;
mod org;
mod output;
mod secret;
mod settings;
mod ui;

use std::ffi::OsString;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands::finish;
use crate::error::ExitKind;
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
    let rt = &runtime;
    // Every command is entered the same way: its arguments and a context in, a report
    // or a failure out, printed by the one edge (`commands::finish`).
    match cli.command {
        Command::Connect(args) => finish(&args.output.clone(), appearance, rt, |cx| {
            commands::connect::run(args, cx)
        }),
        #[cfg(feature = "sandbox")]
        Command::Demo(args) => finish(&args.output.clone(), appearance, rt, |cx| {
            commands::demo::run(&args, cx)
        }),
        Command::Status(args) => finish(&args.output.clone(), appearance, rt, |cx| {
            commands::status::run(&args, cx)
        }),
        Command::Logout(args) => finish(&args.output.clone(), appearance, rt, |cx| {
            commands::logout::run(&args, cx)
        }),
        Command::Disconnect(args) => finish(&args.output.clone(), appearance, rt, |cx| {
            commands::disconnect::run(&args, cx)
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
