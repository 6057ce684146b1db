//! The other values a command is given, each checked before any prompt: names, labels
//! and ids (bounded, printable), `--admin-role`, `--apono-config KEY=VALUE`, and
//! Apono's public key (`--apono-jwk-file`); and how a refused value is quoted.

use std::path::Path;

use serde_json::Value;

use super::tokens::read_bounded_text;
use super::{MAX_TEXT_LEN, STANDARD_ADMIN_ROLES};
use crate::error::Failure;

/// A value as quoted in a message: escaped (control characters become `\u{..}`), and
/// cut at 80 characters with its length, so a long paste does not flood the terminal.
pub(super) fn shown(value: &str) -> String {
    const SHOWN_CHARS: usize = 80;
    if value.chars().count() <= SHOWN_CHARS {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN_CHARS).collect();
        format!("{head:?}...")
    }
}

/// Why a command-line string is refused, if it is: longer than [`MAX_TEXT_LEN`] bytes,
/// or holding a control character.
pub(super) fn check_text_value(value: &str) -> Result<(), String> {
    if value.len() > MAX_TEXT_LEN {
        return Err(format!(
            "is {} bytes long; at most {MAX_TEXT_LEN} are accepted",
            value.len()
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("contains a control character (a tab, a newline, an escape)".into());
    }
    Ok(())
}

/// A name, label or id given with `flag`: bounded, no control characters, not blank.
pub(super) fn check_text(value: &str, flag: &str) -> Result<(), Failure> {
    if value.trim().is_empty() {
        return Err(Failure::usage(format!("{flag} cannot be empty")));
    }
    check_text_value(value).map_err(|e| Failure::usage(format!("{flag} {} {e}", shown(value))))
}

/// `--admin-role`: exactly one of [`STANDARD_ADMIN_ROLES`].
pub(super) fn check_admin_role(role: &str) -> Result<(), Failure> {
    if STANDARD_ADMIN_ROLES.contains(&role) {
        return Ok(());
    }
    let why = if role == "CUSTOM" {
        "is a custom role, which needs a role and a resource set; --admin-role takes a standard role"
            .to_string()
    } else if STANDARD_ADMIN_ROLES.contains(&role.trim().to_ascii_uppercase().as_str()) {
        format!(
            "is not an Okta role type as written (they are upper case: {})",
            role.trim().to_ascii_uppercase()
        )
    } else {
        "is not one of Okta's standard admin role types".to_string()
    };
    Err(Failure::usage(format!(
        "--admin-role {} {why}; accepted: {}",
        shown(role),
        STANDARD_ADMIN_ROLES.join(", ")
    )))
}

/// `--apono-config KEY=VALUE`: a bounded pair without control characters and with a
/// key; the value may be empty.
pub(super) fn parse_key_value(pair: &str) -> Result<(String, String), Failure> {
    check_text_value(pair)
        .map_err(|e| Failure::usage(format!("--apono-config {} {e}", shown(pair))))?;
    match pair.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(Failure::usage(format!(
            "--apono-config {} is not KEY=VALUE",
            shown(pair)
        ))),
    }
}

/// Reads Apono's public key from a JWK or a one-key JWKS file. Refuses private keys.
pub(crate) fn read_public_key(path: &Path) -> Result<Value, Failure> {
    let flag = format!("--apono-jwk-file {}", path.display());
    let text = read_bounded_text(path, &flag)?;
    let json: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("{flag} is not JSON: {e}")))?;
    let key = match json.get("keys").and_then(Value::as_array) {
        Some(keys) if keys.len() == 1 => keys[0].clone(),
        Some(keys) => {
            return Err(Failure::usage(format!(
                "{flag} holds {} keys; pass exactly one (Apono's public key)",
                keys.len()
            )));
        }
        None => json,
    };
    let mut key = match key {
        Value::Object(map) => map,
        _ => return Err(Failure::usage(format!("{flag} is not a JWK object"))),
    };
    if ["d", "p", "q", "dp", "dq", "qi"]
        .iter()
        .any(|k| key.contains_key(*k))
    {
        return Err(Failure::usage(format!(
            "{flag} holds a private key; pass Apono's public key only (Apono keeps the private one)"
        )));
    }
    let has = |k: &str| {
        key.get(k)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    if key.get("kty").and_then(Value::as_str) != Some("RSA") || !has("n") || !has("e") {
        return Err(Failure::usage(format!(
            "{flag} is not an RSA public key (needs kty RSA, n and e)"
        )));
    }
    // Okta's schema needs `use` to tell a signing key from an encryption key.
    key.entry("use")
        .or_insert_with(|| Value::String("sig".into()));
    Ok(Value::Object(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_roles_are_standard_and_exact() {
        assert!(check_admin_role("READ_ONLY_ADMIN").is_ok());
        assert!(check_admin_role("WORKFLOWS_ADMIN").is_ok());
        for (role, expected) in [
            ("CUSTOM", "custom role"),
            ("read_only_admin", "upper case: READ_ONLY_ADMIN"),
            (" READ_ONLY_ADMIN", "upper case"),
            ("NOT_A_ROLE", "standard admin role types"),
        ] {
            let error = check_admin_role(role).unwrap_err().message;
            assert!(error.contains(expected), "{role}: {error}");
            assert!(error.contains("accepted: ACCESS_CERTIFICATIONS_ADMIN"));
        }
    }

    #[test]
    fn text_inputs_are_bounded_and_printable() {
        assert!(check_text("Apono Integration", "--app-label").is_ok());
        assert!(check_text(&"a".repeat(MAX_TEXT_LEN), "--app-label").is_ok());
        for (value, expected) in [
            ("  ", "cannot be empty"),
            ("a\tb", "control character"),
            (&"a".repeat(MAX_TEXT_LEN + 1) as &str, "1025 bytes"),
        ] {
            let error = check_text(value, "--app-label").unwrap_err().message;
            assert!(error.starts_with("--app-label"), "{error}");
            assert!(error.contains(expected), "{error}");
            assert!(error.len() < 300, "the value is cut: {error}");
        }
        assert!(parse_key_value("k=\u{1b}[31m").is_err());
    }

    #[test]
    fn key_values() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
    }

    #[test]
    fn refuses_private_jwk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        std::fs::write(&path, r#"{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}"#).unwrap();
        let err = read_public_key(&path).unwrap_err();
        assert!(err.message.contains("private key"));
        std::fs::write(&path, r#"{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}"#).unwrap();
        assert_eq!(read_public_key(&path).unwrap()["use"], "sig");
    }
}
