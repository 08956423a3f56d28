//! Starling on one machine: local adapters, the durable bus and the `starling` CLI.

pub mod analysis;
pub mod blob;
pub mod bus;
pub mod chatbot;
pub mod cli;
pub mod fetch;
pub mod functions;
pub mod idempotency;
pub mod lake;
pub mod notifier;
pub mod outbox;
pub mod runtime;
pub mod send;
pub mod server;
pub mod settings;
pub mod tasks;
