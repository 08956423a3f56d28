//! The X protocol: webhook CRC and signatures, Account Activity and X Activity payloads, OAuth 1.0a, API v2.
//!
//! Nothing here knows about Starling's events: `payload` turns X's JSON into typed activity items,
//! and `starling-core` maps those onto the bus (the anti-corruption layer). `oauth` signs requests
//! (RFC 5849 HMAC-SHA1), `text` counts and fits a post's weighted length (twitter-text v3), and
//! `api` uploads images and posts replies through X API v2.

pub mod api;
pub mod oauth;
pub mod oauth2;
pub mod payload;
pub mod text;
pub mod webhook;
