//! Helpers shared by the integration tests.

pub mod endstate;
pub mod harness;
pub mod hostile_server;
// The peak RSS of a run: getrusage's figure for the children of a process, as Linux gives it.
#[cfg(target_os = "linux")]
pub mod peak_memory;
pub mod plain_site;
pub mod real;
// The Secret Service is the keyring of Linux and the BSDs; macOS and Windows have their own.
#[cfg(all(unix, not(target_os = "macos")))]
pub mod secret_service;
