//! The command line, as clap definitions and nothing else. [`crate::settings`] turns
//! these into plain settings; no other module sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::help;

/// The longest `--timeout`, in seconds: an hour per request is already generous, and
/// the bound keeps `Instant + Duration` far from overflowing.
pub(crate) const MAX_TIMEOUT_SECONDS: u64 = 3_600;
/// The longest `--wait`, in seconds: a day.
pub(crate) const MAX_WAIT_SECONDS: u64 = 86_400;

/// A number of seconds from 1 to `max`, for `--timeout` and `--wait`. Read as a signed
/// number (with `allow_negative_numbers` on the flag), so `-1` gets the range message
/// that `0` gets ("-1 is not in 1..=3600") rather than "unexpected argument".
fn seconds(max: u64) -> clap::builder::RangedI64ValueParser<u64> {
    clap::builder::RangedI64ValueParser::<u64>::new()
        .range(1..=i64::try_from(max).unwrap_or(i64::MAX))
}

/// `--version`: the version, then the commit, build date and target (`build.rs`).
/// `-V` prints the version alone.
pub(crate) const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("APONO_OKTA_COMMIT"),
    " ",
    env!("APONO_OKTA_BUILD_DATE"),
    ", ",
    env!("APONO_OKTA_TARGET"),
    ")"
);

/// Connect an Okta organization to Apono as its identity provider, in one command,
/// and leave no standing credentials behind.
#[derive(Debug, Parser)]
#[command(
    name = "apono-okta",
    version,
    long_version = LONG_VERSION,
    about,
    long_about = None,
    propagate_version = true,
    after_help = help::after_help(None)
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) display: DisplayArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How stderr looks; global, so they go before or after the subcommand.
#[derive(Debug, Args, Clone)]
pub(crate) struct DisplayArgs {
    /// When to colour stderr: auto (a terminal, and NO_COLOR unset; CLICOLOR_FORCE forces it), always, never.
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t = ColorWhen::Auto)]
    pub(crate) color: ColorWhen,

    /// Print only errors and the final summary (no progress, notes or warnings on stderr).
    #[arg(long, short = 'q', global = true)]
    pub(crate) quiet: bool,

    /// Also print one line per request on stderr: method, path, status, time, Okta's request id (never headers or bodies).
    #[arg(long, short = 'v', global = true, conflicts_with = "quiet")]
    pub(crate) verbose: bool,
}

/// `--color WHEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create (or rotate) the Okta service app and register it with Apono.
    #[command(after_help = help::after_help(Some("connect")))]
    Connect(Box<ConnectArgs>),
    /// Run the whole connect flow against a built-in sandbox of Okta and Apono; no account needed.
    #[command(after_help = help::after_help(Some("demo")))]
    #[cfg(feature = "sandbox")]
    Demo(DemoArgs),
    /// Read-only health of both sides; exit 0 when healthy, 5 when not.
    #[command(after_help = help::after_help(Some("status")))]
    Status(Box<StatusArgs>),
    /// Delete the Apono integration, then deactivate and delete the Okta app.
    #[command(after_help = help::after_help(Some("disconnect")))]
    Disconnect(Box<DisconnectArgs>),
    /// Forget the Apono API token stored in the OS keyring for this Apono.
    #[command(after_help = help::after_help(Some("logout")))]
    Logout(LogoutArgs),
    /// Serve the sandbox on 127.0.0.1 and print its URLs and tokens, until Ctrl-C.
    #[command(after_help = help::after_help(Some("sandbox")))]
    #[cfg(feature = "sandbox")]
    Sandbox(SandboxArgs),
    /// Print shell completions.
    #[command(after_help = help::after_help(Some("completions")))]
    Completions(CompletionsArgs),
    /// Print a man page (roff), or write them all with --dir.
    #[command(after_help = help::after_help(Some("man")))]
    Man(ManArgs),
}

/// Output and prompting, shared by the commands that talk to the services.
#[derive(Debug, Args, Clone)]
pub(crate) struct OutputArgs {
    /// Print one JSON object on stdout instead of the text summary (also on failure).
    #[arg(long)]
    pub(crate) json: bool,

    /// Never prompt; a missing input is an error naming the flag to pass.
    #[arg(long)]
    pub(crate) non_interactive: bool,
}

/// Where the two services are and how to authenticate: shared by every command that
/// talks to them. The environment variables are read in [`crate::settings`], after the
/// flags, so a flag always wins.
#[derive(Debug, Args, Clone)]
pub(crate) struct ServiceArgs {
    /// The Okta org URL, e.g. https://example.okta.com (an admin-console URL is accepted) [env: OKTA_URL].
    #[arg(long, value_name = "URL", conflicts_with_all = ["org_id", "base_url"])]
    pub(crate) okta_url: Option<String>,

    /// The Okta org name, the `example` of example.okta.com [env: OKTA_ORG_NAME].
    #[arg(long, value_name = "NAME")]
    pub(crate) org_id: Option<String>,

    /// The Okta base domain, with --org-id [default: okta.com] [env: OKTA_BASE_URL].
    #[arg(long, value_name = "DOMAIN")]
    pub(crate) base_url: Option<String>,

    /// Read the Okta API token from this file (`-` for stdin). Default: $OKTA_API_TOKEN, else a hidden prompt (connect, disconnect; status never asks, and checks Okta only when a token is given).
    #[arg(long, value_name = "PATH")]
    pub(crate) okta_api_token_file: Option<PathBuf>,

    /// Read the Apono API token from this file (`-` for stdin). Default: $APONO_API_TOKEN, $APONO_PERSONAL_TOKEN, the keyring, else a hidden prompt.
    #[arg(long, value_name = "PATH")]
    pub(crate) apono_api_token_file: Option<PathBuf>,

    /// The Apono API base URL.
    #[arg(
        long,
        value_name = "URL",
        env = "APONO_URL",
        hide_env_values = true,
        default_value = crate::apono::DEFAULT_API_URL
    )]
    pub(crate) apono_url: String,

    /// Extra root certificates (PEM), for a corporate TLS proxy.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_bundle: Option<PathBuf>,

    /// Use this Apono integration type instead of finding "Okta Directory" in the catalog.
    #[arg(long, value_name = "TYPE")]
    pub(crate) apono_integration_type: Option<String>,

    /// Which Apono integration is this org's, when several exist.
    #[arg(long, value_name = "ID")]
    pub(crate) apono_integration_id: Option<String>,

    /// The label of the Okta app (apps with this label are found and adopted).
    #[arg(long, value_name = "LABEL", default_value = crate::okta::DEFAULT_APP_LABEL)]
    pub(crate) app_label: String,

    /// Longest time, in seconds, one request to Okta or Apono may take (1 to 3600).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = crate::http::DEFAULT_TIMEOUT.as_secs(),
        allow_negative_numbers = true,
        value_parser = seconds(MAX_TIMEOUT_SECONDS)
    )]
    pub(crate) timeout: u64,
}

#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    #[command(flatten)]
    pub(crate) service: ServiceArgs,

    /// A standard admin role for the app's client instead of least privilege: one of Okta's standard role types (not CUSTOM), e.g. READ_ONLY_ADMIN [a re-run keeps the kind the app has].
    #[arg(long, value_name = "ROLE")]
    pub(crate) admin_role: Option<String>,

    /// Least privilege, the default for a new connection: a custom role that reads users and groups and nothing else ("Apono Directory Reader" over the resource set "Apono Directory"). Moves an existing connection to it; stops before any write on an org that cannot use custom roles.
    #[arg(long, conflicts_with = "admin_role")]
    pub(crate) least_privilege: bool,

    /// The Okta user attribute that holds a user's manager.
    #[arg(long, value_name = "ATTRIBUTE")]
    pub(crate) manager_attribute: Option<String>,

    /// Set an Apono integration config parameter by id (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) apono_config: Vec<String>,

    /// The name of a new Apono integration [default: "Okta <domain>"].
    #[arg(long, value_name = "NAME")]
    pub(crate) apono_integration_name: Option<String>,

    /// Apono's public key as a JWK or JWKS JSON file (default: the key Apono publishes).
    #[arg(long, value_name = "FILE")]
    pub(crate) apono_jwk_file: Option<PathBuf>,

    /// Do not revoke the Okta API token at the end.
    #[arg(long)]
    pub(crate) keep_api_token: bool,

    /// Leave apps with the same label that Apono does not use.
    #[arg(long)]
    pub(crate) keep_orphans: bool,

    /// Converge the existing app in place (repair) instead of creating a new one (rotate).
    #[arg(long)]
    pub(crate) reuse_app: bool,

    /// Show the plan and stop; write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Do not ask for confirmation before writing.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,

    /// Longest wait, in seconds, for Apono to report the integration Active (1 to 86400).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = crate::apono::DEFAULT_WAIT.as_secs(),
        allow_negative_numbers = true,
        value_parser = seconds(MAX_WAIT_SECONDS)
    )]
    pub(crate) wait: u64,

    /// Do not wait for Apono (then no app is retired and the token is not revoked).
    #[arg(long, conflicts_with = "wait")]
    pub(crate) no_wait: bool,

    /// Do not store the Apono token in the OS keyring.
    #[arg(long)]
    pub(crate) no_store: bool,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) service: ServiceArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DisconnectArgs {
    #[command(flatten)]
    pub(crate) service: ServiceArgs,

    /// Do not revoke the Okta API token at the end.
    #[arg(long)]
    pub(crate) keep_api_token: bool,

    /// Show what would be deleted and stop.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Do not ask for confirmation before deleting.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to print completions for.
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// The Apono API base URL whose stored token to forget (the keyring account is its host).
    #[arg(
        long,
        value_name = "URL",
        env = "APONO_URL",
        hide_env_values = true,
        default_value = crate::apono::DEFAULT_API_URL
    )]
    pub(crate) apono_url: String,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The subcommand whose page to print (e.g. `connect`); none prints the top page.
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub(crate) command: Option<String>,

    /// Write every page into this directory (apono-okta.1, apono-okta-connect.1, ...).
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

#[cfg(feature = "sandbox")]
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Then connect again with a fresh token: a rotation (a new app; the previous one deleted).
    #[arg(long)]
    pub(crate) rotate: bool,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[cfg(feature = "sandbox")]
#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// Make the sandbox org's clientPrivilegesSetting true.
    #[arg(long)]
    pub(crate) client_privileges: bool,
}
