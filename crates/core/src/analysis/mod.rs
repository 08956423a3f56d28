//! The analyse-message handlers: text (Comprehend-shaped), media and images; and `decode`, the
//! upright image decoding shared with reply-image.

pub mod decode;
pub mod image;
pub mod media;
pub mod text;
