//! Starling on one machine: the local runtime (which handler each route's target runs, the
//! analyse-message tasks), the local adapters (blob store, notifier, outbox, idempotency, the
//! reply policy's store), the
//! webhook server, settings, the demo and the `starling` CLI.
//!
//! The engines it wires are crates of their own: `starling-bus` (the durable event log),
//! `starling-lake` (the lake writer and its SQL), `starling-offline` (the offline providers and
//! the chat-bot matcher), `starling-patterns` and `starling-states`. This crate is the top of the
//! dependency picture in ARCHITECTURE.md: nothing in the workspace imports it.

pub mod blob;
pub mod checkpoints;
pub mod cli;
pub mod dashboard;
pub mod data_dir;
pub mod demo;
pub mod functions;
pub mod idempotency;
pub mod notifier;
pub mod outbox;
pub mod policy_store;
pub mod progress;
pub mod runtime;
pub mod send;
pub mod server;
pub mod settings;
pub mod targets;
pub mod tasks;

pub use data_dir::DataDir;
