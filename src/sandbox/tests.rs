//! Tests of the sandbox against its own HTTP servers.
