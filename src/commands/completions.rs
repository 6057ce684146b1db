//! `apono-okta completions <shell>`: shell completion scripts from the clap definitions.

use clap::CommandFactory;

use crate::cli::Cli;

/// The binary's name, as the shell and `man` know it.
pub const BIN_NAME: &str = "apono-okta";

/// The completion script for `shell`. clap_complete (4.6) names bash states after the
/// binary with `-` read as a subcommand separator in its `case` labels
/// (`apono__subcmd__okta__subcmd__status)`) but not where it assigns them
/// (`cmd="apono__okta__subcmd__status"`), so no subcommand flag ever completed; the
/// labels are rewritten to the assigned names.
pub fn script(shell: clap_complete::Shell) -> String {
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
