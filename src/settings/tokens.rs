//! Where tokens come from without a prompt: a token file (or stdin), the environment, or
//! the OS keyring's account for an Apono URL; and the warning for a token file others
//! can read or write.

use std::io::Read;
use std::path::Path;

use url::Url;

use super::{EnvLookup, MAX_TOKEN_FILE_LEN};
use crate::cli::ServiceArgs;
use crate::error::Failure;
use crate::secret::Secret;
use crate::ui::Ui;

/// The Okta token from `--okta-api-token-file` or `OKTA_API_TOKEN`, if either is set.
pub(super) fn given_okta_token(
    args: &ServiceArgs,
    env: EnvLookup<'_>,
) -> Result<Option<Secret>, Failure> {
    if let Some(path) = &args.okta_api_token_file {
        return read_secret_file(path, "--okta-api-token-file", "the Okta API token").map(Some);
    }
    env("OKTA_API_TOKEN")
        .map(|value| secret_from_env(&value, "OKTA_API_TOKEN"))
        .transpose()
}

/// The Apono token from `--apono-api-token-file`, `APONO_API_TOKEN` or
/// `APONO_PERSONAL_TOKEN`, if one is set.
pub(super) fn given_apono_token(
    args: &ServiceArgs,
    env: EnvLookup<'_>,
) -> Result<Option<Secret>, Failure> {
    if let Some(path) = &args.apono_api_token_file {
        return read_secret_file(path, "--apono-api-token-file", "the Apono API token").map(Some);
    }
    ["APONO_API_TOKEN", "APONO_PERSONAL_TOKEN"]
        .into_iter()
        .find_map(|name| env(name).map(|value| secret_from_env(&value, name)))
        .transpose()
}

fn secret_from_env(value: &str, name: &str) -> Result<Secret, Failure> {
    Secret::parse(value, name).map_err(|e| Failure::usage(e.to_string()))
}

/// The keyring account of an Apono token: the API host.
pub(crate) fn keyring_account(apono_url: &Url) -> String {
    match (apono_url.host_str(), apono_url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => apono_url.as_str().to_string(),
    }
}

/// Reads a token file, or stdin for `-`, up to [`MAX_TOKEN_FILE_LEN`] and never further.
fn read_secret_file(path: &Path, flag: &str, what: &str) -> Result<Secret, Failure> {
    let source = format!("{flag} {}", path.display());
    let raw = read_bounded_text(path, &source)?;
    Secret::parse(&raw, &format!("{what} from {source}")).map_err(|e| Failure::usage(e.to_string()))
}

/// Shows, and returns for the report, a warning for each token file others can use.
pub(super) fn token_file_warnings(args: &ServiceArgs, ui: &Ui) -> Vec<String> {
    [&args.okta_api_token_file, &args.apono_api_token_file]
        .into_iter()
        .flatten()
        .filter_map(|path| token_file_warning(path))
        .inspect(|warning| ui.warn(warning))
        .collect()
}

/// The warning for a token file that others can read or write (a Unix mode beyond
/// `0600`, DESIGN.md §5), naming the `chmod` that fixes it; `None` for stdin, for
/// anything but a regular file, and where files have no Unix mode.
fn token_file_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path == Path::new("-") {
            return None;
        }
        let metadata = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        mode_warning(path, metadata.permissions().mode())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// [`token_file_warning`] for a file of this Unix `mode`: any group or other bit is one
/// too many.
fn mode_warning(path: &Path, mode: u32) -> Option<String> {
    let mode = mode & 0o777;
    let how = if mode & 0o044 != 0 {
        "readable by others"
    } else if mode & 0o022 != 0 {
        "writable by others"
    } else if mode & 0o011 != 0 {
        "open to others"
    } else {
        return None;
    };
    Some(format!(
        "{} is {how} (mode {mode:04o}): chmod 600 {}",
        path.display(),
        shell_word(&path.display().to_string())
    ))
}

/// `text` as one word a shell reads back as it is: single-quoted unless it is made of
/// characters no shell treats specially.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The text of `path` (stdin for `-`), refused when longer than [`MAX_TOKEN_FILE_LEN`]
/// bytes or not UTF-8. Reads at most one byte past the limit, so `/dev/zero` or a
/// huge file fails at once. `source` names the flag and path in the message.
pub(super) fn read_bounded_text(path: &Path, source: &str) -> Result<String, Failure> {
    let cannot_read = |e: std::io::Error| Failure::usage(format!("{source}: cannot read it: {e}"));
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_TOKEN_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_read)?;
    } else {
        std::fs::File::open(path)
            .map_err(cannot_read)?
            .take(MAX_TOKEN_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_read)?;
    }
    if bytes.len() as u64 > MAX_TOKEN_FILE_LEN {
        return Err(Failure::usage(format!(
            "{source} is larger than 64 KiB; it is not a token file"
        )));
    }
    String::from_utf8(bytes).map_err(|_| Failure::usage(format!("{source} is not UTF-8 text")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_are_read_up_to_64_kib() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, vec![b'a'; MAX_TOKEN_FILE_LEN as usize + 1]).unwrap();
        let error = read_bounded_text(&path, "--f").unwrap_err().message;
        assert!(error.contains("larger than 64 KiB"), "{error}");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let error = read_bounded_text(&path, "--f").unwrap_err().message;
        assert!(error.contains("not UTF-8"), "{error}");
        if Path::new("/dev/zero").exists() {
            let error = read_bounded_text(Path::new("/dev/zero"), "--f").unwrap_err();
            assert!(error.message.contains("larger than 64 KiB"));
        }
    }

    #[test]
    fn a_token_file_others_can_use_gets_a_chmod_600_warning() {
        let path = Path::new("/run/secrets/okta token");
        let warning = |mode| mode_warning(path, mode);
        assert_eq!(
            warning(0o100644).as_deref(),
            Some(
                "/run/secrets/okta token is readable by others (mode 0644): chmod 600 '/run/secrets/okta token'"
            )
        );
        assert!(
            warning(0o640)
                .unwrap()
                .contains("readable by others (mode 0640)")
        );
        assert!(
            warning(0o620)
                .unwrap()
                .contains("writable by others (mode 0620)")
        );
        assert!(
            warning(0o601)
                .unwrap()
                .contains("open to others (mode 0601)")
        );
        for private in [0o600, 0o400, 0o700, 0o100600] {
            assert_eq!(warning(private), None, "{private:o}");
        }
        assert_eq!(shell_word("/tmp/okta-token.txt"), "/tmp/okta-token.txt");
        assert_eq!(shell_word("it's here"), "'it'\\''s here'");
        assert_eq!(shell_word("$HOME/t"), "'$HOME/t'");
    }

    #[cfg(unix)]
    #[test]
    fn token_file_modes_are_read_from_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "00abc").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warning = token_file_warning(&path).unwrap();
        assert!(warning.ends_with(&format!("(mode 0644): chmod 600 {}", path.display())));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(token_file_warning(&path), None);
        // Stdin, a missing file and anything but a regular file: nothing to say.
        assert_eq!(token_file_warning(Path::new("-")), None);
        assert_eq!(token_file_warning(&dir.path().join("missing")), None);
        assert_eq!(token_file_warning(Path::new("/dev/null")), None);
    }
}
