//! Decoding with EXIF orientation: the shared implementation in `starling_core::analysis::decode`,
//! which reply-image uses too, so faces are found and boxed in the same upright frame.

pub use starling_core::analysis::decode::*;
