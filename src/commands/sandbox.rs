//! `apono-okta sandbox`: serves the sandbox on loopback and prints its URLs and tokens,
//! for trying `connect` by hand, until Ctrl-C.

use crate::cli::SandboxArgs;
use crate::error::Failure;
use crate::output;
use apono_okta_sandbox::{Sandbox, SandboxOptions};

/// `sandbox`: serve until Ctrl-C.
pub(crate) async fn run(args: &SandboxArgs) -> Result<(), Failure> {
    let options = SandboxOptions {
        client_privileges_setting: args.client_privileges,
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(options)
        .map_err(|e| Failure::unexpected(format!("cannot start the sandbox: {e}")))?;
    // The sandbox's own tokens, printed on purpose: they open nothing but this sandbox.
    output::print_raw(&format!(
        "okta_url={}\napono_url={}\nokta_super_admin_token={}\nokta_read_only_admin_token={}\napono_token={}",
        sandbox.okta_url(),
        sandbox.apono_url(),
        sandbox.super_admin_token(),
        sandbox.read_only_admin_token(),
        sandbox.apono_token()
    ));
    output::stderr_line(
        "",
        &format!(
            "Sandbox running; try:\n  OKTA_API_TOKEN=... APONO_API_TOKEN=... apono-okta connect --okta-url {} --apono-url {}\nEach connect revokes its Okta token; for another super admin token (to re-run, i.e. rotate):\n  {}\nPress Ctrl-C to stop.",
            sandbox.okta_url(),
            sandbox.apono_url(),
            sandbox.mint_token_command()
        ),
    );
    let _ = tokio::signal::ctrl_c().await;
    drop(sandbox);
    Ok(())
}
