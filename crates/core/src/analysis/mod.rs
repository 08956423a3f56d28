//! The analyse-message handlers: text (Comprehend-shaped) and, later, media and images.

pub mod image;
pub mod media;
pub mod text;
