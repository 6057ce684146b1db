//! Integration tests: one test binary, one module per topic.

mod support;

mod contract_selftest;
