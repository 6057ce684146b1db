//! Helpers shared by the integration tests.

pub mod endstate;
pub mod harness;
pub mod plain_site;
pub mod real;
// The Secret Service is the keyring of Linux and the BSDs; macOS and Windows have their own.
#[cfg(all(unix, not(target_os = "macos")))]
pub mod secret_service;
