//! Starling on one machine: local adapters, the durable bus and the `starling` CLI.

pub mod blob;
pub mod bus;
pub mod cli;
