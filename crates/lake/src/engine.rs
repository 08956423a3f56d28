//! `starling query`'s engine: DuckDB (embedded, JSON extension linked in) with one view per table
//! definition over the lake's files, so Athena SQL runs unchanged — the same table names (quoted
//! ones too), lower-case access to PascalCase JSON keys, the partition columns, and
//! `CROSS JOIN UNNEST(…) AS t(x)`.
//!
//! Where Athena (Trino) has a function DuckDB lacks, a macro of the same name fills the gap
//! ([`TRINO_MACROS`]); the queries in `athena/` keep to that common subset.

use std::path::{Path, PathBuf};

use duckdb::types::{TimeUnit, Value as Db};
use serde_json::{Map, Value};

use super::tables::{TableDefinition, TableError, quote_ident};
use super::writer::{EVENTS_PREFIX, IN_PROGRESS_SUFFIX, LakeError, files_under};

/// Trino functions the queries in `athena/` use that DuckDB spells differently, as DuckDB macros
/// of the Trino name. Each keeps Trino's meaning for the inputs the lake holds (ISO 8601 UTC
/// times, JSON text).
pub const TRINO_MACROS: &[(&str, &str)] = &[
    (
        "from_iso8601_timestamp",
        // EventBridge times are UTC with a `Z`; DuckDB's TIMESTAMP cast reads them as UTC.
        "CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMP)",
    ),
    (
        "json_extract_scalar",
        "CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)",
    ),
    (
        "json_format",
        // Trino's JSON → its text; DuckDB's JSON values cast to text the same way.
        "CREATE MACRO json_format(j) AS CAST(j AS VARCHAR)",
    ),
    (
        "json_parse",
        // Trino's text → JSON, so `CAST(json_parse(s) AS JSON ARRAY)` unnests a JSON array held
        // as text (the silver tables' `entities`, `images`) in both engines; invalid JSON fails.
        "CREATE MACRO json_parse(s) AS CAST(s AS JSON)",
    ),
];

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The SQL engine refused or failed the query (its message).
    #[error("{0}")]
    Engine(String),
    /// A table definition is unusable.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The lake could not be listed.
    #[error(transparent)]
    Lake(#[from] LakeError),
}

impl From<duckdb::Error> for QueryError {
    fn from(e: duckdb::Error) -> Self {
        Self::Engine(e.to_string())
    }
}

/// A query's answer: column names and rows of JSON values (nested values as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
}

/// How `starling query` prints a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns with a header.
    Table,
    /// RFC 4180 CSV with a header.
    Csv,
    /// A JSON array of objects.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(Self::Table),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown format {other:?}: use table, csv or json")),
        }
    }
}

/// DuckDB over a lake directory, with the table definitions as views.
pub struct LakeEngine {
    conn: duckdb::Connection,
}

impl std::fmt::Debug for LakeEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeEngine").finish_non_exhaustive()
    }
}

impl LakeEngine {
    /// An in-memory DuckDB with a view per table over the files under `lake_root` (finalised
    /// parts and the in-progress ones, which hold acknowledged events too). An empty lake gives
    /// empty tables.
    pub fn open(lake_root: &Path, tables: &[TableDefinition]) -> Result<Self, QueryError> {
        let engine = Self::open_bronze(lake_root, tables)?;
        // The silver tables, deduplicated views over bronze.
        for table in super::silver::SILVER_TABLES {
            engine
                .conn
                .execute_batch(&super::silver::view_sql(lake_root, table))?;
        }
        Ok(engine)
    }

    /// [`LakeEngine::open`] with the bronze tables only.
    pub fn open_bronze(lake_root: &Path, tables: &[TableDefinition]) -> Result<Self, QueryError> {
        let conn = duckdb::Connection::open_in_memory()?;
        // Everything the queries need is linked in (JSON); never reach for the network.
        conn.execute_batch(
            "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;",
        )?;
        for (_, sql) in TRINO_MACROS {
            conn.execute_batch(sql)?;
        }
        let files = lake_files(lake_root)?;
        for table in tables {
            let mine: Vec<&PathBuf> = files
                .iter()
                .filter(|(dt, _)| table.includes(dt))
                .map(|(_, p)| p)
                .collect();
            conn.execute_batch(&view_sql(table, &mine)?)?;
        }
        Ok(Self { conn })
    }

    /// Runs statements that return no rows (a `COPY`).
    pub fn execute(&self, sql: &str) -> Result<(), QueryError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    /// The first column of the first row of `sql`, as a count.
    pub fn count(&self, sql: &str) -> Result<u64, QueryError> {
        let n: i64 = self.conn.query_row(sql, [], |row| row.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The first column of every row of `sql`, as text.
    pub fn strings(&self, sql: &str) -> Result<Vec<String>, QueryError> {
        let mut statement = self.conn.prepare(sql)?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Runs one SQL statement (or several; the last one's rows are returned).
    pub fn query(&self, sql: &str) -> Result<QueryResult, QueryError> {
        let mut statements = split_statements(sql);
        let last = statements.pop().unwrap_or_default();
        for statement in statements {
            self.conn.execute_batch(&statement)?;
        }
        let mut stmt = self.conn.prepare(&last)?;
        let mut rows = stmt.query(())?;
        let mut out = Vec::new();
        let mut columns = Vec::new();
        while let Some(row) = rows.next()? {
            let stmt = row.as_ref();
            if columns.is_empty() {
                columns = stmt.column_names();
            }
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                values.push(to_json(row.get::<_, Db>(i)?));
            }
            out.push(values);
        }
        drop(rows);
        if columns.is_empty() {
            columns = stmt.column_names();
        }
        Ok(QueryResult { columns, rows: out })
    }
}

/// Every lake file with its detail-type partition value.
fn lake_files(lake_root: &Path) -> Result<Vec<(String, PathBuf)>, QueryError> {
    let events = lake_root.join(EVENTS_PREFIX);
    let mut out = Vec::new();
    for path in files_under(&events)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let part = name.ends_with(IN_PROGRESS_SUFFIX)
            || (!name.starts_with('.') && (name.ends_with(".json") || name.ends_with(".gz")));
        if !part {
            continue;
        }
        let detail_type = path
            .strip_prefix(&events)
            .ok()
            .and_then(|rel| rel.components().next())
            .and_then(|c| c.as_os_str().to_str())
            .and_then(|c| c.strip_prefix("detail_type="));
        if let Some(dt) = detail_type {
            out.push((dt.to_string(), path));
        }
    }
    Ok(out)
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `CREATE VIEW "<table>" AS SELECT <columns>, detail_type, dt, hour FROM read_json([...])`.
fn view_sql(table: &TableDefinition, files: &[&PathBuf]) -> Result<String, QueryError> {
    let columns = table.duckdb_columns()?;
    let partitions = ["detail_type", "dt", "hour"];
    let select: Vec<String> = columns
        .iter()
        .map(|(name, _)| quote_ident(name))
        .chain(partitions.iter().map(|p| p.to_string()))
        .collect();
    let body = if files.is_empty() {
        let typed: Vec<String> = columns
            .iter()
            .map(|(name, kind)| format!("CAST(NULL AS {kind}) AS {}", quote_ident(name)))
            .chain(
                partitions
                    .iter()
                    .map(|p| format!("CAST(NULL AS VARCHAR) AS {p}")),
            )
            .collect();
        format!("SELECT {} WHERE false", typed.join(", "))
    } else {
        let list: Vec<String> = files
            .iter()
            .map(|p| sql_string(&p.to_string_lossy()))
            .collect();
        let spec: Vec<String> = columns
            .iter()
            .map(|(name, kind)| format!("{}: {}", sql_string(name), sql_string(kind)))
            .collect();
        format!(
            "SELECT {} FROM read_json([{}], format = 'newline_delimited', columns = {{{}}}, \
             hive_partitioning = true, hive_types = {{'detail_type': 'VARCHAR', 'dt': 'VARCHAR', 'hour': 'VARCHAR'}}, \
             ignore_errors = true, compression = 'auto_detect', maximum_object_size = 16777216)",
            select.join(", "),
            list.join(", "),
            spec.join(", ")
        )
    };
    Ok(format!(
        "CREATE OR REPLACE VIEW {} AS {body};",
        quote_ident(&table.name)
    ))
}

/// Splits a script on `;` outside quotes and comments; empty statements are dropped.
fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    let mut has_code = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                current.push(c);
                has_code = true;
                for d in chars.by_ref() {
                    current.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                current.push(c);
                for d in chars.by_ref() {
                    current.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            ';' => {
                if has_code {
                    out.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
                has_code = false;
            }
            _ => {
                if !c.is_whitespace() {
                    has_code = true;
                }
                current.push(c);
            }
        }
    }
    if has_code {
        out.push(current);
    }
    out
}

fn to_json(v: Db) -> Value {
    match v {
        Db::Null => Value::Null,
        Db::Boolean(b) => b.into(),
        Db::TinyInt(n) => n.into(),
        Db::SmallInt(n) => n.into(),
        Db::Int(n) => n.into(),
        Db::BigInt(n) => n.into(),
        Db::UTinyInt(n) => n.into(),
        Db::USmallInt(n) => n.into(),
        Db::UInt(n) => n.into(),
        Db::UBigInt(n) => n.into(),
        Db::HugeInt(n) => {
            i64::try_from(n).map_or_else(|_| Value::String(n.to_string()), Value::from)
        }
        Db::UHugeInt(n) => {
            u64::try_from(n).map_or_else(|_| Value::String(n.to_string()), Value::from)
        }
        Db::Float(f) => {
            serde_json::Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number)
        }
        Db::Double(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        Db::Decimal(d) => {
            let text = d.to_string();
            text.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::String(text), Value::Number)
        }
        Db::Timestamp(unit, n) => {
            let micros = to_micros(unit, n);
            chrono::DateTime::from_timestamp_micros(micros).map_or(Value::Null, |t| {
                t.naive_utc()
                    .format("%Y-%m-%d %H:%M:%S%.f")
                    .to_string()
                    .into()
            })
        }
        Db::Date32(days) => chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)
            .map_or(Value::Null, |d| d.to_string().into()),
        Db::Time64(unit, n) => {
            let micros = to_micros(unit, n);
            let secs = micros.div_euclid(1_000_000);
            chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                u32::try_from(secs).unwrap_or(0),
                u32::try_from(micros.rem_euclid(1_000_000) * 1_000).unwrap_or(0),
            )
            .map_or(Value::Null, |t| t.to_string().into())
        }
        Db::Interval {
            months,
            days,
            nanos,
        } => format!("{months} months {days} days {} s", nanos as f64 / 1e9).into(),
        Db::Text(s) | Db::Enum(s) => Value::String(s),
        Db::Blob(b) | Db::Geometry(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
        Db::List(items) | Db::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect())
        }
        Db::Struct(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v.clone())))
                .collect::<Map<_, _>>(),
        ),
        Db::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match to_json(k.clone()) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v.clone()))
                })
                .collect(),
        ),
        Db::Union(inner) => to_json(*inner),
        // A type added to DuckDB after this was written: shown, not lost.
        other => Value::String(format!("{other:?}")),
    }
}

/// A value as one cell of text: strings bare, NULL as `NULL`, nested values as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl QueryResult {
    /// The result printed in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.table(),
            Format::Csv => self.csv(),
            Format::Json => self.json(),
        }
    }

    fn table(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect();
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows
                    .iter()
                    .all(|r| matches!(r.get(i), Some(Value::Number(_) | Value::Null)))
            })
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([c.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |values: &[String], out: &mut String| {
            let padded: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let pad = widths[i].saturating_sub(v.chars().count());
                    if numeric[i] {
                        format!("{}{v}", " ".repeat(pad))
                    } else {
                        format!("{v}{}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(padded.join(" | ").trim_end());
            out.push('\n');
        };
        let mut out = String::new();
        line(&self.columns, &mut out);
        out.push_str(
            &widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("-+-"),
        );
        out.push('\n');
        for row in &cells {
            line(row, &mut out);
        }
        let n = self.rows.len();
        out.push_str(&format!("({n} row{})\n", if n == 1 { "" } else { "s" }));
        out
    }

    /// RFC 4180 by hand: quoting is a few lines, not worth a dependency.
    fn csv(&self) -> String {
        let field = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| field(c)).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let values: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Null => String::new(),
                    other => field(&cell(other)),
                })
                .collect();
            out.push_str(&values.join(","));
            out.push_str("\r\n");
        }
        out
    }

    fn json(&self) -> String {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                Value::Object(
                    self.columns
                        .iter()
                        .cloned()
                        .zip(r.iter().cloned())
                        .collect(),
                )
            })
            .collect();
        let mut out = serde_json::to_string_pretty(&Value::Array(rows)).unwrap_or_default();
        out.push('\n');
        out
    }
}

/// A DuckDB time value in `unit` as microseconds.
fn to_micros(unit: TimeUnit, n: i64) -> i64 {
    match unit {
        TimeUnit::Second => n.saturating_mul(1_000_000),
        TimeUnit::Millisecond => n.saturating_mul(1_000),
        TimeUnit::Microsecond => n,
        TimeUnit::Nanosecond => n / 1_000,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scripts_split_on_semicolons_outside_quotes_and_comments() {
        let parts =
            split_statements("-- a; comment\nSELECT ';' AS x; SELECT \"a;b\" FROM t;\n-- end;\n");
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].contains("SELECT ';' AS x"));
        assert!(parts[1].contains("\"a;b\""));
    }

    #[test]
    fn results_render_as_aligned_table_csv_and_json() {
        let result = QueryResult {
            columns: vec!["name".into(), "n".into()],
            rows: vec![
                vec!["Ada, \"the\" first".into(), 12.into()],
                vec![Value::Null, 3.into()],
            ],
        };
        let expected = [
            format!("name{} |  n", " ".repeat(12)),
            format!("{}-+---", "-".repeat(16)),
            "Ada, \"the\" first | 12".to_string(),
            format!("NULL{} |  3", " ".repeat(12)),
            "(2 rows)".to_string(),
        ];
        assert_eq!(result.render(Format::Table), expected.join("\n") + "\n");
        assert_eq!(
            result.render(Format::Csv),
            "name,n\r\n\"Ada, \"\"the\"\" first\",12\r\n,3\r\n"
        );
        let json: Value = serde_json::from_str(&result.render(Format::Json)).unwrap();
        assert_eq!(json[0]["name"], "Ada, \"the\" first");
        assert_eq!(json[1]["n"], 3);
    }
}
