//! Integration tests: one test binary, one module per topic.

mod support;

mod bad_inputs;
mod connect;
mod contract_selftest;
mod debts;
mod inputs_and_edges;
mod interactive;
mod interrupt;
mod pagination;
mod perf_facts;
mod sandbox_contract;
mod status_disconnect;
