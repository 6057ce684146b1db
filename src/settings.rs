//! Flags, environment, keyring and prompts, turned into plain [`ConnectSettings`].
//!
//! Each input resolves in a fixed order: flag, environment, stored (keyring), prompt
//! (only when [`Ui::can_prompt`]), else an error naming the flag to pass. Everything is
//! checked here, before the first network call.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::apono::{AponoClient, Integration};
use crate::cli::{ConnectArgs, ServiceArgs};
use crate::connect::ConnectSettings;
use crate::connect::config::ConfigTemplate;
use crate::error::{ExitKind, Failure};
use crate::http::{HttpSettings, check_secure_url};
use crate::okta::OktaClient;
use crate::secret::{NoKeyring, OsKeyring, Secret, TokenStore};
use crate::ui::Ui;

/// Set to skip retry waits and poll fast (tests only).
pub const TEST_NO_RETRY_DELAY_ENV: &str = "APONO_OKTA_TEST_NO_RETRY_DELAY";
/// Set to `none` to never touch the OS keyring (tests, CI, or by choice).
pub const KEYRING_ENV: &str = "APONO_OKTA_KEYRING";

/// How the process environment is read; a function so tests can pass a map.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The token store to use: the OS keyring unless `APONO_OKTA_KEYRING=none`.
pub fn token_store(env: EnvLookup<'_>) -> Box<dyn TokenStore> {
    match env(KEYRING_ENV).as_deref() {
        Some("none") => Box::new(NoKeyring {
            reason: format!("the keyring is turned off ({KEYRING_ENV}=none)"),
        }),
        _ => Box::new(OsKeyring),
    }
}

/// Shared HTTP settings from the environment and `--ca-bundle`.
pub fn http_settings(
    env: EnvLookup<'_>,
    ca_bundle: Option<&Path>,
    timeout: Duration,
) -> HttpSettings {
    HttpSettings {
        ca_bundle: ca_bundle.map(Path::to_path_buf),
        timeout,
        no_retry_delay: env(TEST_NO_RETRY_DELAY_ENV).is_some(),
    }
}

/// Time between two status reads while waiting for Apono.
pub fn poll_interval(http: &HttpSettings) -> Duration {
    if http.no_retry_delay {
        Duration::from_millis(10)
    } else {
        Duration::from_secs(2)
    }
}

/// Where the two services are and the tokens that reach them, resolved.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    pub okta_url: Url,
    pub domain: String,
    /// `None` only when the command asked for it as [`OktaTokenNeed::IfGiven`].
    pub okta_token: Option<Secret>,
    pub apono_url: Url,
    pub apono_token: Secret,
    pub integration_type: Option<String>,
    pub integration_id: Option<String>,
    /// The label of the app this tool creates and finds.
    pub app_label: String,
    pub http: HttpSettings,
}

impl ServiceSettings {
    /// The Apono client.
    pub fn apono_client(&self) -> Result<AponoClient, Failure> {
        AponoClient::new(self.apono_url.clone(), self.apono_token.clone(), &self.http)
            .map_err(Failure::usage)
    }

    /// The Okta client, when an Okta token was given.
    pub fn okta_client(&self) -> Result<Option<OktaClient>, Failure> {
        self.okta_token
            .clone()
            .map(|token| {
                OktaClient::new(self.okta_url.clone(), token, &self.http).map_err(Failure::usage)
            })
            .transpose()
    }

    /// This org's Apono integration, with the config template that reads it.
    pub async fn org_integration(
        &self,
        apono: &AponoClient,
    ) -> Result<(ConfigTemplate, Option<Integration>), Failure> {
        crate::connect::observe::org_integration(
            apono,
            self.integration_type.as_deref(),
            self.integration_id.as_deref(),
            &self.domain,
        )
        .await
    }
}

/// Whether a command needs the Okta token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OktaTokenNeed {
    /// Flag, environment, prompt, else an error.
    Required,
    /// Flag or environment only; no prompt, no error.
    IfGiven,
}

/// Resolves the service inputs every command shares. Everything that needs no prompt
/// is checked first, so a typo fails fast and before any network call.
pub fn resolve_service(
    args: &ServiceArgs,
    okta_token_need: OktaTokenNeed,
    env: EnvLookup<'_>,
    store: &dyn TokenStore,
    ui: &Ui,
) -> Result<ServiceSettings, Failure> {
    let apono_url = parse_base_url(&args.apono_url, "--apono-url")?;
    if let Some(path) = args.ca_bundle.as_ref().filter(|p| !p.is_file()) {
        return Err(Failure::usage(format!(
            "--ca-bundle {}: no such file",
            path.display()
        )));
    }
    if args.okta_api_token_file.as_deref() == Some(Path::new("-"))
        && args.apono_api_token_file.as_deref() == Some(Path::new("-"))
    {
        return Err(Failure::usage(
            "--okta-api-token-file - and --apono-api-token-file - cannot both read stdin",
        ));
    }
    let okta = resolve_okta_target(args, env, ui)?;
    if let Some(note) = &okta.note {
        ui.info(note);
    }
    let okta_token = match okta_token_need {
        OktaTokenNeed::Required => Some(resolve_okta_token(args, env, Some(ui))?),
        // Nothing given is fine; something given and broken is an error.
        OktaTokenNeed::IfGiven
            if args.okta_api_token_file.is_none() && env("OKTA_API_TOKEN").is_none() =>
        {
            None
        }
        OktaTokenNeed::IfGiven => Some(resolve_okta_token(args, env, None)?),
    };
    let apono_token = resolve_apono_token(args, env, store, &apono_url, ui)?;
    Ok(ServiceSettings {
        okta_url: okta.url,
        domain: okta.domain,
        okta_token,
        apono_url,
        apono_token,
        integration_type: args.apono_integration_type.clone(),
        integration_id: args.apono_integration_id.clone(),
        app_label: args.app_label.trim().to_string(),
        http: http_settings(
            env,
            args.ca_bundle.as_deref(),
            Duration::from_secs(args.timeout),
        ),
    })
}

/// Resolves `connect`'s inputs. `store` is where a stored Apono token may come from.
pub fn resolve_connect(
    args: &ConnectArgs,
    env: EnvLookup<'_>,
    store: &dyn TokenStore,
    ui: &Ui,
) -> Result<ConnectSettings, Failure> {
    let public_key = match &args.apono_jwk_file {
        Some(path) => read_public_key(path)?,
        None => crate::apono::public_jwk(),
    };
    let apono_config = args
        .apono_config
        .iter()
        .map(|pair| parse_key_value(pair))
        .collect::<Result<Vec<_>, _>>()?;
    for (value, flag) in [
        (&args.service.app_label, "--app-label"),
        (&args.admin_role, "--admin-role"),
    ] {
        if value.trim().is_empty() {
            return Err(Failure::usage(format!("{flag} cannot be empty")));
        }
    }
    let service = resolve_service(&args.service, OktaTokenNeed::Required, env, store, ui)?;
    let okta_token = service
        .okta_token
        .ok_or_else(|| Failure::usage("no Okta API token given"))?;
    Ok(ConnectSettings {
        okta_url: service.okta_url,
        domain: service.domain,
        okta_token,
        apono_url: service.apono_url,
        apono_token: service.apono_token,
        app_label: service.app_label,
        admin_role: args.admin_role.trim().to_string(),
        manager_attribute: args.manager_attribute.clone(),
        apono_config,
        integration_type: service.integration_type,
        integration_id: service.integration_id,
        integration_name: args.apono_integration_name.clone(),
        public_key,
        keep_api_token: args.keep_api_token,
        keep_orphans: args.keep_orphans,
        reuse_app: args.reuse_app,
        dry_run: args.dry_run,
        assume_yes: args.yes,
        wait: (!args.no_wait).then(|| Duration::from_secs(args.wait)),
        poll_interval: poll_interval(&service.http),
        http: service.http,
    })
}

/// An Okta org, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OktaTarget {
    /// The origin: `https://example.okta.com`.
    pub url: Url,
    /// `example.okta.com`, with `:port` only when the URL has one.
    pub domain: String,
    /// Said to the user when the input was rewritten (an admin-console URL).
    pub note: Option<String>,
}

/// The org: `--okta-url`, `--org-id` (+ `--base-url`), then `OKTA_URL`, then
/// `OKTA_ORG_NAME` (+ `OKTA_BASE_URL`), then a prompt. Flags beat the environment, so an
/// exported `OKTA_ORG_NAME` (the Okta Terraform provider's) never blocks `--okta-url`.
fn resolve_okta_target(
    args: &ServiceArgs,
    env: EnvLookup<'_>,
    ui: &Ui,
) -> Result<OktaTarget, Failure> {
    let from_url = |url: &str, source: &str| {
        parse_okta_target(url).map_err(|e| Failure::usage(format!("{source}: {e}")))
    };
    let from_org_id = |org_id: &str| {
        let base = args
            .base_url
            .clone()
            .or_else(|| env("OKTA_BASE_URL"))
            .unwrap_or_else(|| "okta.com".into());
        okta_target_from_org_id(org_id, &base).map_err(Failure::usage)
    };
    if let Some(url) = &args.okta_url {
        return from_url(url, "--okta-url");
    }
    if let Some(org_id) = &args.org_id {
        return from_org_id(org_id);
    }
    if args.base_url.is_some() && env("OKTA_ORG_NAME").is_none() {
        return Err(Failure::usage(
            "--base-url needs --org-id (the `example` of example.okta.com)",
        ));
    }
    // `--base-url` given as a flag asks for the org-id form, whatever OKTA_URL says.
    if let (Some(_), Some(org_id)) = (&args.base_url, env("OKTA_ORG_NAME")) {
        return from_org_id(&org_id);
    }
    if let Some(url) = env("OKTA_URL") {
        return from_url(&url, "OKTA_URL");
    }
    if let Some(org_id) = env("OKTA_ORG_NAME") {
        return from_org_id(&org_id);
    }
    if ui.can_prompt() {
        loop {
            let answer = ui
                .ask("Okta domain (as in the admin console's user menu, e.g. example.okta.com)")
                .map_err(|e| prompt_failure(e, "the Okta domain"))?;
            match parse_okta_target(&answer) {
                Ok(target) => return Ok(target),
                Err(e) => ui.error(&e),
            }
        }
    }
    Err(Failure::usage(
        "no Okta org given: pass --okta-url https://example.okta.com (or set OKTA_URL), or --org-id example --base-url okta.com",
    ))
}

/// A prompt that could not be answered; Ctrl-C at a prompt is an interruption (130).
pub fn prompt_failure(error: std::io::Error, what: &str) -> Failure {
    if error.kind() == std::io::ErrorKind::Interrupted {
        Failure::new(ExitKind::Interrupted, "interrupted")
    } else {
        Failure::usage(format!("could not read {what}: {error}"))
    }
}

/// `--org-id example --base-url okta.com` → `https://example.okta.com`.
pub fn okta_target_from_org_id(org_id: &str, base_url: &str) -> Result<OktaTarget, String> {
    let org_id = org_id.trim();
    let base = base_url
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    if !valid(org_id) || org_id.contains('.') {
        return Err(format!(
            "--org-id \"{org_id}\" is not an Okta org name (the `example` of example.okta.com)"
        ));
    }
    if !valid(base) {
        return Err(format!(
            "--base-url \"{base_url}\" is not a domain like okta.com"
        ));
    }
    parse_okta_target(&format!("https://{org_id}.{base}"))
}

/// Reads a domain or URL as typed or pasted: `example.okta.com`,
/// `https://example.okta.com/`, `https://example-admin.okta.com/admin/dashboard`,
/// `http://127.0.0.1:8080`.
pub fn parse_okta_target(input: &str) -> Result<OktaTarget, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("the Okta domain is empty".into());
    }
    let with_scheme = if input.contains("://") {
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| format!("\"{input}\" is not a domain or URL ({e})"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("\"{input}\" has no host"))?
        .to_ascii_lowercase();
    let (host, note) = match host.split_once('.') {
        Some((first, rest)) if first.ends_with("-admin") && first.len() > "-admin".len() => {
            let plain = format!("{}.{rest}", first.trim_end_matches("-admin"));
            let note =
                format!("Using the org domain {plain} (you gave the admin console's {host}).");
            (plain, Some(note))
        }
        _ => (host, None),
    };
    let domain = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    let origin = Url::parse(&format!("{}://{domain}", url.scheme()))
        .map_err(|e| format!("\"{input}\": {e}"))?;
    check_secure_url(&origin)?;
    Ok(OktaTarget {
        url: origin,
        domain,
        note,
    })
}

/// A service base URL: https, or http on loopback.
pub fn parse_base_url(input: &str, flag: &str) -> Result<Url, Failure> {
    let url = Url::parse(input.trim())
        .map_err(|e| Failure::usage(format!("{flag} \"{input}\" is not a URL ({e})")))?;
    check_secure_url(&url).map_err(|e| Failure::usage(format!("{flag}: {e}")))?;
    Ok(url)
}

/// The Okta token: file, environment, then a prompt when `ui` allows one.
fn resolve_okta_token(
    args: &ServiceArgs,
    env: EnvLookup<'_>,
    ui: Option<&Ui>,
) -> Result<Secret, Failure> {
    if let Some(path) = &args.okta_api_token_file {
        return read_secret_file(path, "--okta-api-token-file", "the Okta API token");
    }
    if let Some(value) = env("OKTA_API_TOKEN") {
        return Secret::parse(&value, "OKTA_API_TOKEN").map_err(|e| Failure::usage(e.to_string()));
    }
    if let Some(ui) = ui.filter(|ui| ui.can_prompt()) {
        return prompt_secret(
            ui,
            "Okta API token (an Okta super admin's; Security > API > Tokens)",
            "the Okta API token",
        );
    }
    Err(Failure::usage(
        "no Okta API token given: set OKTA_API_TOKEN or pass --okta-api-token-file PATH (`-` reads stdin)",
    )
    .with_hint("the token must be an Okta super admin's (Security > API > Tokens)"))
}

fn resolve_apono_token(
    args: &ServiceArgs,
    env: EnvLookup<'_>,
    store: &dyn TokenStore,
    apono_url: &Url,
    ui: &Ui,
) -> Result<Secret, Failure> {
    if let Some(path) = &args.apono_api_token_file {
        return read_secret_file(path, "--apono-api-token-file", "the Apono API token");
    }
    for name in ["APONO_API_TOKEN", "APONO_PERSONAL_TOKEN"] {
        if let Some(value) = env(name) {
            return Secret::parse(&value, name).map_err(|e| Failure::usage(e.to_string()));
        }
    }
    match store.load(&keyring_account(apono_url)) {
        Ok(Some(token)) => {
            ui.info("Using the Apono API token stored in the OS keyring.");
            return Ok(token);
        }
        Ok(None) => {}
        Err(e) => ui.info(&format!("(no stored Apono token: {e})")),
    }
    if ui.can_prompt() {
        return prompt_secret(
            ui,
            "Apono API token (Apono > Settings > API tokens)",
            "the Apono API token",
        );
    }
    Err(Failure::usage(
        "no Apono API token given: set APONO_API_TOKEN or pass --apono-api-token-file PATH (`-` reads stdin)",
    )
    .with_hint("an Apono admin creates one under their profile's settings (API tokens)"))
}

/// The keyring account of an Apono token: the API host.
pub fn keyring_account(apono_url: &Url) -> String {
    match (apono_url.host_str(), apono_url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => apono_url.as_str().to_string(),
    }
}

fn prompt_secret(ui: &Ui, question: &str, what: &str) -> Result<Secret, Failure> {
    loop {
        match ui.ask_secret(question, what) {
            Ok(Ok(secret)) => return Ok(secret),
            Ok(Err(problem)) => ui.error(&problem),
            Err(e) => return Err(prompt_failure(e, what)),
        }
    }
}

fn read_secret_file(path: &Path, flag: &str, what: &str) -> Result<Secret, Failure> {
    let raw = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("{flag} -: cannot read stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("{flag} {}: {e}", path.display())))?
    };
    Secret::parse(&raw, &format!("{what} from {flag} {}", path.display()))
        .map_err(|e| Failure::usage(e.to_string()))
}

fn parse_key_value(pair: &str) -> Result<(String, String), Failure> {
    match pair.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(Failure::usage(format!(
            "--apono-config \"{pair}\" is not KEY=VALUE"
        ))),
    }
}

/// Reads Apono's public key from a JWK or a one-key JWKS file. Refuses private keys.
pub fn read_public_key(path: &Path) -> Result<Value, Failure> {
    let flag = format!("--apono-jwk-file {}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("{flag}: {e}")))?;
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
    fn normalises_admin_console_urls() {
        let target = parse_okta_target("https://example-admin.okta.com/admin/dashboard").unwrap();
        assert_eq!(target.url.as_str(), "https://example.okta.com/");
        assert_eq!(target.domain, "example.okta.com");
        assert!(target.note.unwrap().contains("example-admin.okta.com"));
    }

    #[test]
    fn accepts_domains_and_loopback_urls() {
        assert_eq!(
            parse_okta_target("Example.okta.com").unwrap().domain,
            "example.okta.com"
        );
        let sandbox = parse_okta_target("http://127.0.0.1:8080/").unwrap();
        assert_eq!(sandbox.domain, "127.0.0.1:8080");
        assert_eq!(
            sandbox.url.origin().ascii_serialization(),
            "http://127.0.0.1:8080"
        );
        assert!(parse_okta_target("http://example.okta.com").is_err());
        assert!(parse_okta_target("  ").is_err());
    }

    #[test]
    fn org_id_and_base_url() {
        let target = okta_target_from_org_id("example", "oktapreview.com").unwrap();
        assert_eq!(target.domain, "example.oktapreview.com");
        assert!(okta_target_from_org_id("a.b", "okta.com").is_err());
        assert!(okta_target_from_org_id("ex", "okta.com/x").is_err());
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
