//! The media fetcher: [`starling_http::ReqwestFetcher`], shared with the download-media Lambda.

pub use starling_http::ReqwestFetcher;
