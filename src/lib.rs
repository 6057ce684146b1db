//! `apono-okta`: connect an Okta organization to Apono as its identity provider.
//!
//! The binary (`src/main.rs`) is a thin wrapper around [`run`]; everything else lives here
//! so the integration tests and the built-in sandbox share the same code.

pub mod sandbox;
