//! What the terminal side offers without any service: shell completions, man pages,
//! `--version`, colour and quiet output.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::harness::Harness;

/// `apono-okta ARGS` with an isolated environment; stdout, stderr and the exit code.
fn run(args: &[&str]) -> (i32, String, String) {
    let h = Harness::new();
    let output = h.command().args(args).output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bash_completion_case_labels_match_the_state_names_it_builds() {
    let (code, script, _) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    let assigned: BTreeSet<&str> = script
        .lines()
        .filter_map(|line| line.trim().strip_prefix("cmd=\""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .filter(|state| !state.is_empty())
        .collect();
    let labels: BTreeSet<&str> = script
        .lines()
        .filter_map(|line| line.trim().strip_suffix(')'))
        .filter(|label| !label.contains([',', '*', '"', ' ', '$']))
        .collect();
    assert!(
        assigned.contains("apono__okta__subcmd__status"),
        "{assigned:?}"
    );
    for state in &assigned {
        assert!(
            labels.contains(state),
            "the state {state} is built but has no case label; labels: {labels:?}"
        );
    }
    assert!(!script.contains("apono__subcmd__okta"));
}

/// Runs the bash completion function for `words` (the last one being completed) and
/// returns what it offers; `None` when bash is not installed.
fn bash_complete(words: &[&str]) -> Option<Vec<String>> {
    let (_, script, _) = run(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("apono-okta.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _apono__okta apono-okta '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let output = Command::new("bash").args(["-c", &program]).output().ok()?;
    assert!(output.status.success(), "{output:?}");
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn bash_completes_subcommand_flags_and_shell_names() {
    let Some(flags) = bash_complete(&["apono-okta", "status", "--"]) else {
        eprintln!("bash is not installed; skipped");
        return;
    };
    assert!(flags.contains(&"--okta-url".to_string()), "{flags:?}");
    assert!(flags.contains(&"--json".to_string()), "{flags:?}");
    let shells = bash_complete(&["apono-okta", "completions", ""]).unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(shells.contains(&shell.to_string()), "{shells:?}");
    }
}
