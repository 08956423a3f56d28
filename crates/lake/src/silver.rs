//! The silver tables: the bronze lake (JSON lines, at least once) read as deduplicated, typed
//! tables — `events_silver` (every event once), `posts` (one row per post, its latest analysis
//! and what the bot did), `users` (one row per author) — defined once as SQL in `athena/silver/`
//! (Trino SQL that DuckDB runs through the macros of [`crate::engine::TRINO_MACROS`], so the same
//! statements serve Athena). Locally they are views computed from bronze at query time; writing
//! them as Parquet (`starling lake compact`) needs DuckDB's parquet extension, not built yet.

use super::tables::quote_ident;

/// One silver table: its name and its SQL over the bronze tables.
#[derive(Debug, Clone, Copy)]
pub struct SilverTable {
    /// The table's name in queries.
    pub name: &'static str,
    /// A `SELECT` over the bronze tables (`athena/silver/<name>.sql`).
    pub sql: &'static str,
}

/// The silver tables.
pub const SILVER_TABLES: &[SilverTable] = &[
    SilverTable {
        name: "events_silver",
        sql: include_str!("../../../athena/silver/events_silver.sql"),
    },
    SilverTable {
        name: "posts",
        sql: include_str!("../../../athena/silver/posts.sql"),
    },
    SilverTable {
        name: "users",
        sql: include_str!("../../../athena/silver/users.sql"),
    },
];

/// The view over `table`: its SQL over bronze.
pub(crate) fn view_sql(table: &SilverTable) -> String {
    format!(
        "CREATE OR REPLACE VIEW {} AS {};",
        quote_ident(table.name),
        table.sql.trim().trim_end_matches(';')
    )
}
