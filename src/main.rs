//! The `apono-okta` binary: parse, run, exit. Everything else is in the library.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(apono_okta::run(std::env::args_os()))
}
