//! `apono-okta completions <shell>`: shell completion scripts from the clap definitions.

use clap::CommandFactory;

use crate::cli::Cli;

/// The binary's name, as the shell and `man` know it.
pub(crate) const BIN_NAME: &str = "apono-okta";

/// The completion script for `shell`, mended where clap_complete falls short (below).
pub(crate) fn script(shell: clap_complete::Shell) -> String {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN_NAME, &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    match shell {
        clap_complete::Shell::Bash => bash_state_names(&script),
        clap_complete::Shell::Fish => script + &fish_positional_values(&command),
        _ => script,
    }
}

/// clap_complete (4.6) names bash states after the binary with `-` read as a subcommand
/// separator in its `case` labels (`apono__subcmd__okta__subcmd__status)`) but not where
/// it assigns them (`cmd="apono__okta__subcmd__status"`), so no subcommand flag ever
/// completed; the labels are rewritten to the assigned names.
fn bash_state_names(script: &str) -> String {
    let misnamed = format!("{}__subcmd__", BIN_NAME.replace('-', "__subcmd__"));
    let assigned = format!("{}__subcmd__", BIN_NAME.replace('-', "__"));
    script.replace(&misnamed, &assigned)
}

/// clap_complete's fish script completes options only, never a positional argument
/// (clap-rs/clap#6295), so `completions <Tab>` offered files. A subcommand whose
/// arguments all have possible values gets them offered instead, until one is typed,
/// and never a file name.
fn fish_positional_values(command: &clap::Command) -> String {
    let using = format!("__fish_{}_using_subcommand", BIN_NAME.replace('-', "_"));
    let mut lines = String::new();
    for subcommand in command.get_subcommands() {
        let values: Vec<Vec<String>> = subcommand
            .get_positionals()
            .map(|argument| {
                argument
                    .get_possible_values()
                    .iter()
                    .filter(|value| !value.is_hide_set())
                    .map(|value| value.get_name().to_string())
                    .collect()
            })
            .collect();
        if values.is_empty() || values.iter().any(Vec::is_empty) {
            continue;
        }
        let name = subcommand.get_name();
        lines.push_str(&format!(
            "complete -c {BIN_NAME} -n \"{using} {name}\" -f\n"
        ));
        for values in values {
            let values = values.join(" ");
            lines.push_str(&format!(
                "complete -c {BIN_NAME} -n \"{using} {name}; and not __fish_seen_subcommand_from {values}\" -f -a \"{values}\"\n"
            ));
        }
    }
    lines
}
