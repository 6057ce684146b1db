//! Helpers shared by the integration tests.

pub mod contract;
pub mod endstate;
pub mod harness;
