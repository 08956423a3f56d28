//! `starling`: Starling on one machine.

fn main() {}
