//! Integration tests: one test binary, one module per topic.

mod support;

mod bad_inputs;
mod concurrency;
mod connect;
mod contract_selftest;
mod debts;
mod faults;
mod inputs_and_edges;
mod interactive;
mod interrupt;
mod least_privilege;
mod pagination;
mod sandbox_contract;
mod status_disconnect;
mod terminal;
