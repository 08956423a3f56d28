//! HTTP adapters shared by the Lambdas and the local runtime.

pub mod fetch;

pub use fetch::ReqwestFetcher;
