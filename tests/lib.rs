//! Integration tests: one test binary, one module per topic.

mod support;

mod bad_inputs;
mod concurrency;
mod connect;
mod debts;
mod faults;
mod hostile;
mod inputs_and_edges;
mod interactive;
mod interrupt;
mod least_privilege;
mod okta_org;
mod pagination;
mod perf_facts;
mod real_bash_completion;
// The Secret Service is the keyring of Linux and the BSDs; macOS and Windows have their own.
#[cfg(all(unix, not(target_os = "macos")))]
mod real_keyring;
mod real_proxy;
mod real_tls;
mod snapshots;
mod status_disconnect;
mod terminal;
