//! The `starling` command: Starling on one machine.

fn main() {}
