//! Starling on one machine: local adapters, the durable bus and the `starling` CLI.

pub mod blob;
pub mod idempotency;
pub mod send;
pub mod server;
pub mod settings;
pub mod tasks;
