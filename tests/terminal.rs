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

/// What fish offers for `line` (the script sourced, the binary on `PATH`); `None` when
/// fish is not installed.
fn fish_complete(line: &str) -> Option<Vec<String>> {
    let (_, script, _) = run(&["completions", "fish"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("apono-okta.fish");
    std::fs::write(&path, script).unwrap();
    let program = format!("source '{}'; complete -C '{line}'", path.display());
    let output = Command::new("fish")
        .args(["--no-config", "-c", &program])
        .current_dir(dir.path())
        .output()
        .ok()?;
    assert!(output.status.success(), "{output:?}");
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| line.split('\t').next().unwrap_or(line).to_string())
            .collect(),
    )
}

#[test]
fn fish_completes_shell_names_not_files() {
    // clap_complete's fish script has no line for a positional argument: ours adds it.
    let (code, script, _) = run(&["completions", "fish"]);
    assert_eq!(code, 0);
    let line = script
        .lines()
        .find(|line| line.contains("using_subcommand completions;") && line.contains(" -a "))
        .unwrap_or_else(|| panic!("no line offers the shells:\n{script}"));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(line.contains(shell), "{line}");
    }
    assert!(line.contains(" -f "), "{line}");
    let Some(shells) = fish_complete("apono-okta completions ") else {
        eprintln!("fish is not installed; skipped the run in fish");
        return;
    };
    // The temporary directory holds apono-okta.fish: a file name would be offered too.
    assert_eq!(shells, ["bash", "elvish", "fish", "powershell", "zsh"]);
    assert_eq!(
        fish_complete("apono-okta completions fish ").unwrap(),
        [] as [&str; 0]
    );
}

#[test]
fn version_names_the_commit_date_and_target_and_short_stays_plain() {
    let (code, long, _) = run(&["--version"]);
    assert_eq!(code, 0);
    let long = long.trim();
    let rest = long
        .strip_prefix(concat!("apono-okta ", env!("CARGO_PKG_VERSION"), " ("))
        .unwrap_or_else(|| panic!("{long}"));
    let (commit_and_date, target) = rest.trim_end_matches(')').split_once(", ").unwrap();
    let (commit, date) = commit_and_date.split_once(' ').unwrap();
    assert!(!commit.is_empty() && date.len() == 10, "{long}");
    assert!(target.contains('-'), "{long}");
    let (_, short, _) = run(&["-V"]);
    assert_eq!(
        short.trim(),
        concat!("apono-okta ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn man_prints_one_page_per_subcommand_and_writes_them_all() {
    let (code, top, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(top.contains(".TH apono-okta 1"), "{top}");
    let (code, connect, _) = run(&["man", "connect"]);
    assert_eq!(code, 0);
    assert!(connect.contains(".TH apono-okta-connect 1"), "{connect}");
    assert!(
        connect.contains("least") || connect.contains("reuse"),
        "{connect}"
    );
    let (code, _, stderr) = run(&["man", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("connect"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, _) = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    for page in [
        "apono-okta.1",
        "apono-okta-connect.1",
        "apono-okta-status.1",
        "apono-okta-man.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page}");
    }
    let (_, help, _) = run(&["--help"]);
    assert!(help.contains("  man "), "{help}");
    // Every page has the sections a man page reader looks for, and names no page that
    // is not generated (there is no `help` page).
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let page = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for section in [".SH EXAMPLES", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT"] {
            assert!(page.contains(section), "{section} missing:\n{page}");
        }
        assert!(!page.contains("help(1)"), "{page}");
    }
}

/// `man -l` renders every page without a warning.
#[test]
#[ignore = "needs groff (apt-get install groff-base); run with: cargo test --locked -- --include-ignored"]
fn man_pages_render_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, _) = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let rendered = std::process::Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .arg(&path)
            .output()
            .expect("groff runs (apt-get install groff-base)");
        let warnings = String::from_utf8_lossy(&rendered.stderr);
        assert!(warnings.trim().is_empty(), "{}: {warnings}", path.display());
    }
}

/// `demo` with `extra` arguments and environment variables.
fn demo(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let h = Harness::new();
    let mut command = h.command();
    command.arg("demo").args(args).env_remove("NO_COLOR");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn colour_follows_the_color_flag_and_no_color_not_stdout() {
    // stdout and stderr are both pipes here: `--color always` still colours stderr,
    // and never stdout.
    let (code, stdout, stderr) = demo(&["--color", "always"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("\u{1b}["), "{stderr}");
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    let (_, _, stderr) = demo(&["--color", "auto"], &[("CLICOLOR_FORCE", "1")]);
    assert!(stderr.contains("\u{1b}["), "{stderr}");
    for (args, env) in [
        (vec![], vec![]),
        (vec!["--color", "never"], vec![("CLICOLOR_FORCE", "1")]),
        (vec![], vec![("NO_COLOR", "1")]),
    ] {
        let (_, _, stderr) = demo(&args, &env);
        assert!(!stderr.contains('\u{1b}'), "{args:?} {env:?}: {stderr}");
    }
}

#[test]
fn quiet_prints_the_summary_and_nothing_else() {
    let (code, stdout, stderr) = demo(&["-q"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
    assert!(stdout.contains("Connected"), "{stdout}");
}

/// `POST path` to `base` (`http://127.0.0.1:PORT`) over a plain socket; the raw answer.
fn post(base: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn the_sandbox_mints_super_admin_tokens_so_a_second_run_rotates() {
    let h = Harness::new();
    h.connect(&[]).assert_code(0);
    let answer = post(&h.sandbox.okta_url(), "/sandbox/tokens");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let body: serde_json::Value =
        serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let token = body["token"].as_str().unwrap().to_string();
    let run = h.connect_with_tokens(&token, &h.sandbox.apono_token(), &["--json"]);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "rotated");
    assert_eq!(run.json()["retired_app_ids"].as_array().unwrap().len(), 1);
    assert!(h.sandbox.mint_token_command().ends_with("/sandbox/tokens"));
}

#[test]
fn demo_rotate_connects_then_rotates() {
    let (code, stdout, stderr) = demo(&["--rotate"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Rotated"), "{stdout}");
    assert!(stderr.contains("was deleted"), "{stderr}");
    let (code, stdout, stderr) = demo(&[], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Connected"), "{stdout}");
    assert!(stderr.contains("demo --rotate"), "{stderr}");
}

/// Panics unless `stdout` is one JSON object whose keys, at every level, are sorted:
/// `Value` (no `preserve_order`) sorts them, so sorted output reads back unchanged.
fn assert_key_sorted(what: &str, stdout: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{what}: not one JSON object ({e}): {stdout}"));
    assert_eq!(
        stdout.trim(),
        value.to_string(),
        "{what}: keys are not sorted"
    );
    value
}

/// `COMMAND --json` against the sandbox, with both tokens.
fn json_run(h: &Harness, args: &[&str], okta_token: &str) -> crate::support::harness::Run {
    let mut command = h.command();
    command
        .args(args)
        .args([
            "--okta-url",
            &h.sandbox.okta_url(),
            "--apono-url",
            &h.sandbox.apono_url(),
            "--non-interactive",
            "--json",
        ])
        .env("APONO_API_TOKEN", h.sandbox.apono_token())
        .env("OKTA_API_TOKEN", okta_token);
    h.run(command, None)
}

#[test]
fn every_json_object_has_sorted_keys() {
    let h = Harness::new();
    let connected = json_run(
        &h,
        &["connect", "--no-store"],
        &h.sandbox.super_admin_token(),
    );
    connected.assert_code(0);
    let report = assert_key_sorted("connect", &connected.stdout);
    assert_eq!(report["left_behind"], serde_json::json!([]));
    let status = json_run(&h, &["status"], &h.sandbox.mint_super_admin_token());
    status.assert_code(0);
    let report = assert_key_sorted("status", &status.stdout);
    assert!(report.get("unreferenced_app_ids").is_some(), "{report}");
    let disconnected = json_run(
        &h,
        &["disconnect", "--yes"],
        &h.sandbox.mint_super_admin_token(),
    );
    disconnected.assert_code(0);
    let report = assert_key_sorted("disconnect", &disconnected.stdout);
    assert!(report.get("left_behind").is_some(), "{report}");
    let failed = json_run(&h, &["connect"], "00-not-a-real-token-at-all");
    failed.assert_code(3);
    assert_key_sorted("a failure", &failed.stdout);

    let mut command = h.command();
    command.args(["logout", "--apono-url", "https://api.apono.io", "--json"]);
    let logout = h.run(command, None);
    // The keyring is turned off (the harness's APONO_OKTA_KEYRING=none): whether a token
    // is stored there is not known, so not "nothing_stored".
    logout.assert_code(1);
    let report = assert_key_sorted("logout", &logout.stdout);
    assert_eq!(report["result"], "keyring_unavailable");
    assert_eq!(report["account"], "api.apono.io");
    assert!(
        report["error"]
            .as_str()
            .is_some_and(|e| e.contains("APONO_OKTA_KEYRING=none")),
        "{report}"
    );
}

#[test]
fn every_help_ends_with_examples_that_use_its_own_command() {
    let (code, top, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(top.contains("Examples:\n  # "), "{top}");
    assert!(top.contains("  $ apono-okta demo\n"), "{top}");
    for command in [
        "connect",
        "status",
        "disconnect",
        "logout",
        "demo",
        "sandbox",
        "completions",
        "man",
    ] {
        for flag in ["--help", "-h"] {
            let (code, help, _) = run(&[command, flag]);
            assert_eq!(code, 0, "{command} {flag}");
            let (_, examples) = help
                .split_once("\nExamples:\n")
                .unwrap_or_else(|| panic!("{command} {flag} has no examples:\n{help}"));
            assert!(
                examples.contains(&format!("apono-okta {command}")),
                "{command} {flag}:\n{examples}"
            );
            assert!(examples.contains("Exit status: 0 success"), "{examples}");
        }
    }
}
