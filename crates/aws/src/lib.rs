//! Starling's ports implemented with the aws-sdk-* crates, and Lambda configuration helpers.
