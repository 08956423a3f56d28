//! Lambda: X webhook ingress.
fn main() {}
