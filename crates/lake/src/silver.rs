//! The silver layer: the bronze lake (JSON lines, at least once) turned into deduplicated, typed
//! tables — `events_silver` (every event once), `posts` (one row per post, its latest analysis
//! and what the bot did), `users` (one row per author) — defined once as SQL in `athena/silver/`
//! (Trino SQL that DuckDB runs through the macros of [`crate::engine::TRINO_MACROS`], so the same
//! statements serve Athena) and written as Parquet (zstd) by [`compact`], partitioned by day.
//!
//! Layout: `<lake>/silver/<table>/<generation>/[dt=YYYY-MM-DD/]data.parquet` and
//! `<lake>/silver/<table>/CURRENT`, which names the complete generation. A compaction writes a new
//! generation beside the old one, syncs it, then replaces `CURRENT` by a rename: a crash at any
//! point leaves `CURRENT` naming a complete generation (the half-written one is removed by the next
//! compaction). Readers ([`crate::LakeEngine`]) follow `CURRENT`; a table never compacted is
//! computed from bronze at query time by the same SQL.
//!
//! Each table's rows are computed once over all of bronze (the dedup rules span days: a post
//! redelivered the next day is still one post), sorted, then written one file per day, so a re-run
//! over the same bronze writes the same rows in the same files. With `since`, the days before it
//! are carried over from the current generation (hard links, no rewrite) and only the days from
//! `since` on are written.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;

use super::engine::{LakeEngine, QueryError};
use super::tables::{TableDefinition, quote_ident};
use super::writer::files_under;

/// Where silver tables live below the lake root.
pub const SILVER_PREFIX: &str = "silver";
/// The file naming a table's complete generation.
pub const CURRENT: &str = "CURRENT";
/// The one data file of a partition (or of an unpartitioned table).
const DATA_FILE: &str = "data.parquet";

/// One silver table: its name, its SQL over the bronze tables, the order of its written rows, and
/// whether it is partitioned by `dt`.
#[derive(Debug, Clone, Copy)]
pub struct SilverTable {
    /// The table's name in queries.
    pub name: &'static str,
    /// A `SELECT` over the bronze tables (`athena/silver/<name>.sql`).
    pub sql: &'static str,
    /// The `ORDER BY` of the written rows (so a re-run writes the same rows in the same order).
    pub order_by: &'static str,
    /// Partitioned by its `dt` column.
    pub by_day: bool,
}

/// The silver tables, in the order they are compacted.
pub const SILVER_TABLES: &[SilverTable] = &[
    SilverTable {
        name: "events_silver",
        sql: include_str!("../../../athena/silver/events_silver.sql"),
        order_by: "dt, event_time, id",
        by_day: true,
    },
    SilverTable {
        name: "posts",
        sql: include_str!("../../../athena/silver/posts.sql"),
        order_by: "dt, received_at, post_id",
        by_day: true,
    },
    SilverTable {
        name: "users",
        sql: include_str!("../../../athena/silver/users.sql"),
        order_by: "author_id",
        by_day: false,
    },
];

/// How a compaction is going, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Compaction of `table` begins; it will write `parts` files.
    Table {
        /// The silver table.
        table: &'static str,
        /// Its rows in all.
        rows: u64,
        /// Files to write (days, or 1).
        parts: u64,
    },
    /// One file of `table` was written with `rows` rows (or carried over: `carried`).
    Part {
        /// The silver table.
        table: &'static str,
        /// Its rows.
        rows: u64,
        /// Kept from the previous generation (`since`), not rewritten.
        carried: bool,
    },
}

/// What one compaction wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactReport {
    /// `(table, rows, files written, files carried over)` for each silver table.
    pub tables: Vec<(String, u64, u64, u64)>,
    /// Rows of the bronze `events` table read (duplicates included).
    pub bronze_events: u64,
    /// How long it took, in seconds.
    pub seconds: f64,
}

impl CompactReport {
    /// Bronze events turned into silver per second.
    pub fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bronze_events as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The directory of `table`'s current generation, if it has been compacted.
pub fn current_generation(lake_root: &Path, table: &str) -> Option<PathBuf> {
    let dir = lake_root.join(SILVER_PREFIX).join(table);
    let name = std::fs::read_to_string(dir.join(CURRENT)).ok()?;
    let name = name.trim();
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return None;
    }
    let generation = dir.join(name);
    generation.is_dir().then_some(generation)
}

/// The SQL of the view over `table`: its current Parquet generation, or its SQL over bronze.
pub(crate) fn view_sql(lake_root: &Path, table: &SilverTable) -> String {
    let body = match current_generation(lake_root, table.name) {
        Some(generation) if has_parquet(&generation) => {
            let glob = generation.join("**").join("*.parquet");
            format!(
                "SELECT * FROM read_parquet('{}', hive_partitioning = {}, hive_types_autocast = false, union_by_name = true)",
                glob.to_string_lossy().replace('\'', "''"),
                table.by_day
            )
        }
        // Compacted while empty: an empty lake's SQL gives the right (empty) table.
        _ => table.sql.trim().trim_end_matches(';').to_string(),
    };
    format!(
        "CREATE OR REPLACE VIEW {} AS {body};",
        quote_ident(table.name)
    )
}

fn has_parquet(dir: &Path) -> bool {
    files_under(dir).is_ok_and(|files| {
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "parquet"))
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> QueryError + '_ {
    move |e| QueryError::Engine(format!("{}: {e}", path.display()))
}

/// Writes the rows of `select` to `file` as Parquet (zstd, row groups sized for scans) and syncs it.
fn write_parquet(engine: &LakeEngine, select: &str, file: &Path) -> Result<(), QueryError> {
    engine.execute(&format!(
        "COPY ({select}) TO {} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
        sql_path(file)
    ))?;
    sync_file(file)
}

fn sync_file(path: &Path) -> Result<(), QueryError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(path))
}

fn sql_path(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', "''"))
}

/// Rewrites every silver table from the bronze lake under `lake_root` (see the module docs):
/// every day, or with `since` the days from it on. Running it again over the same bronze writes
/// the same rows.
pub fn compact(
    lake_root: &Path,
    bronze: &[TableDefinition],
    since: Option<NaiveDate>,
    mut progress: impl FnMut(Progress),
) -> Result<CompactReport, QueryError> {
    let started = Instant::now();
    // One compaction at a time (`starling up`'s hourly one, `starling lake compact`): each
    // removes the generations it did not write, so a second one must wait.
    let silver = lake_root.join(SILVER_PREFIX);
    std::fs::create_dir_all(&silver).map_err(io(&silver))?;
    let lock_path = silver.join(".compact.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    lock.lock().map_err(io(&lock_path))?;
    let engine = LakeEngine::open_bronze(lake_root, bronze)?;
    let bronze_events = engine.count("SELECT count(*) FROM events")?;
    let mut tables = Vec::new();
    for table in SILVER_TABLES {
        let dir = lake_root.join(SILVER_PREFIX).join(table.name);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let previous = current_generation(lake_root, table.name);
        let generation = format!(
            "gen-{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
            uuid::Uuid::new_v4().simple()
        );
        let target = dir.join(&generation);
        std::fs::create_dir_all(&target).map_err(io(&target))?;
        // The table once, sorted: the dedup rules see all of bronze.
        let staged = format!("staged_{}", table.name);
        engine.execute(&format!(
            "CREATE OR REPLACE TEMP TABLE {} AS SELECT * FROM ({}) ORDER BY {}",
            quote_ident(&staged),
            table.sql.trim().trim_end_matches(';'),
            table.order_by
        ))?;
        let rows = engine.count(&format!("SELECT count(*) FROM {}", quote_ident(&staged)))?;
        let (mut written, mut carried) = (0u64, 0u64);
        if table.by_day {
            let days = engine.strings(&format!(
                "SELECT DISTINCT CAST(dt AS VARCHAR) FROM {} WHERE dt IS NOT NULL ORDER BY 1",
                quote_ident(&staged)
            ))?;
            let keep_old = |day: &str| {
                since.is_some_and(|s| {
                    NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok_and(|d| d < s)
                })
            };
            // Days before `since` that the current generation holds are carried over as they are.
            let mut carry: Vec<(String, PathBuf)> = Vec::new();
            if let (Some(_), Some(old)) = (since, &previous) {
                for entry in std::fs::read_dir(old).map_err(io(old))?.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if let Some(day) = name.strip_prefix("dt=")
                        && keep_old(day)
                    {
                        carry.push((name.clone(), entry.path()));
                    }
                }
            }
            // Every other day is written: the days from `since` on, and any earlier day the
            // current generation lacks.
            let fresh: Vec<&String> = days
                .iter()
                .filter(|d| {
                    !carry
                        .iter()
                        .any(|(name, _)| name.strip_prefix("dt=") == Some(d.as_str()))
                })
                .collect();
            progress(Progress::Table {
                table: table.name,
                rows,
                parts: (fresh.len() + carry.len()) as u64,
            });
            for (name, from) in &carry {
                let to = target.join(name);
                std::fs::create_dir_all(&to).map_err(io(&to))?;
                let (src, dst) = (from.join(DATA_FILE), to.join(DATA_FILE));
                std::fs::hard_link(&src, &dst)
                    .or_else(|_| std::fs::copy(&src, &dst).map(|_| ()))
                    .map_err(io(&dst))?;
                carried += 1;
                progress(Progress::Part {
                    table: table.name,
                    rows: 0,
                    carried: true,
                });
            }
            for day in fresh {
                let part = target.join(format!("dt={day}"));
                std::fs::create_dir_all(&part).map_err(io(&part))?;
                let file = part.join(DATA_FILE);
                let day_sql = day.replace('\'', "''");
                let filter = format!("CAST(dt AS VARCHAR) = '{day_sql}'");
                let n = engine.count(&format!(
                    "SELECT count(*) FROM {} WHERE {filter}",
                    quote_ident(&staged)
                ))?;
                // `dt` is the partition directory's name (Hive style), not a column of the file.
                write_parquet(
                    &engine,
                    &format!(
                        "SELECT * EXCLUDE (dt) FROM {} WHERE {filter}",
                        quote_ident(&staged)
                    ),
                    &file,
                )?;
                written += 1;
                progress(Progress::Part {
                    table: table.name,
                    rows: n,
                    carried: false,
                });
            }
        } else {
            progress(Progress::Table {
                table: table.name,
                rows,
                parts: 1,
            });
            let file = target.join(DATA_FILE);
            write_parquet(
                &engine,
                &format!("SELECT * FROM {}", quote_ident(&staged)),
                &file,
            )?;
            written += 1;
            progress(Progress::Part {
                table: table.name,
                rows,
                carried: false,
            });
        }
        engine.execute(&format!("DROP TABLE {}", quote_ident(&staged)))?;
        publish(&dir, &generation)?;
        tables.push((table.name.to_string(), rows, written, carried));
    }
    Ok(CompactReport {
        tables,
        bronze_events,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Makes `generation` the table's current one: `CURRENT` replaced by a rename (synced), then
/// every other generation removed.
fn publish(dir: &Path, generation: &str) -> Result<(), QueryError> {
    let pointer = dir.join(format!(".{CURRENT}.tmp"));
    std::fs::write(&pointer, generation).map_err(io(&pointer))?;
    sync_file(&pointer)?;
    std::fs::rename(&pointer, dir.join(CURRENT)).map_err(io(dir))?;
    sync_file(dir)?;
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("gen-") && name != generation {
            std::fs::remove_dir_all(entry.path()).map_err(io(&entry.path()))?;
        }
    }
    Ok(())
}
