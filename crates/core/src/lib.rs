//! Every handler's logic, written against ports (traits) only. No SDK is imported here:
//! `starling-aws` implements the ports with the AWS SDK, `starling-local` for one machine.

pub mod acl;
pub mod alert;
pub mod analysis;
pub mod egress;
pub mod handler;
pub mod ingress;
pub mod lake;
pub mod memory;
pub mod moderation;
pub mod policy;
pub mod ports;
pub mod publish;
pub mod responding;
pub mod secrets;
pub mod sources;
