//! The webhook handshake: CRC challenge answers and delivery signatures.
