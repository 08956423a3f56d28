//! The data lake on one machine: what Firehose, S3, Glue and Athena do on AWS.
//!
//! - [`writer`]: every event lands as one line of JSON under
//!   `<lake>/events/detail_type=X/dt=YYYY-MM-DD/hour=HH/`, the S3 layout the CDK Analytics stack
//!   gives Firehose, framed and partitioned by the same core rule as the firehose-transform Lambda
//!   (`starling_core::lake`).
//! - [`tables`]: the Glue table definitions (`athena/tables/*.json`, shared with CDK) with their
//!   DuckDB column types.
//! - [`engine`] (feature `sql`): `starling query` — the SQL in `athena/` (Athena/Trino) run
//!   unchanged by embedded DuckDB over the lake's files.
//! - [`silver`] (feature `sql`): the deduplicated tables `events_silver`, `posts` and `users`,
//!   defined by `athena/silver/*.sql`: `starling lake compact` writes them as Parquet; until then
//!   they are views over the bronze files.
//!
//! Must not import: the bus (the route target that feeds the writer lives in the runtime,
//! `starling-local`), any AWS SDK or `lambda_*` crate. DuckDB only behind the `sql` feature, so a
//! crate that only writes the lake never compiles it.

#[cfg(feature = "sql")]
pub mod engine;
#[cfg(feature = "sql")]
pub mod silver;
pub mod tables;
pub mod writer;

#[cfg(feature = "sql")]
pub use engine::{Format, LakeEngine, QueryError, QueryResult};
#[cfg(feature = "sql")]
pub use silver::{CompactReport, SILVER_TABLES, compact};
pub use tables::{TableDefinition, embedded_tables};
pub use writer::{Appended, Framed, LakeConfig, LakeError, LakeWriter};
