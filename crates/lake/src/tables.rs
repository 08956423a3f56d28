//! The Glue table definitions (`athena/tables/*.json`), read here as CDK reads them
//! (`cdk/lib/stacks/analytics.ts`), and their Hive column types in DuckDB's spelling.

use serde::Deserialize;

use starling_core::lake::PARTITION_KEYS;

/// The repository's table definitions, built in: `(file name, JSON)`.
/// A test checks this list against `athena/tables/`.
pub const EMBEDDED_TABLE_FILES: [(&str, &str); 2] = [
    (
        "analysed-messages-table.json",
        include_str!("../../../athena/tables/analysed-messages-table.json"),
    ),
    (
        "events.json",
        include_str!("../../../athena/tables/events.json"),
    ),
];

/// One Glue table over the lake: `{name, description?, columns: [{name, type, comment?}],
/// detailTypes?}`. The partition columns `detail_type`, `dt` and `hour` are added by the readers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableDefinition {
    /// The table's name (quote it in SQL when it has a `-`).
    pub name: String,
    /// What it holds.
    #[serde(default)]
    pub description: Option<String>,
    /// The data columns, Hive types.
    pub columns: Vec<Column>,
    /// Only these detail-types' partitions (all when absent).
    #[serde(default)]
    pub detail_types: Option<Vec<String>>,
}

/// A data column.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Column {
    /// Its name, as in the JSON (matched case-insensitively).
    pub name: String,
    /// Its Hive/Glue type: `string`, `double`, `bigint`, `array<…>`, `struct<a:…,b:…>`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// What it holds.
    #[serde(default)]
    pub comment: Option<String>,
}

/// A table definition or a type that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The file is not a table definition.
    #[error("table definition {file}: {message}")]
    Definition {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A column type is not a Hive type this engine knows.
    #[error("table {table}, column {column}: {message}")]
    Type {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
}

impl TableDefinition {
    /// Parses one definition file, with CDK's checks (a lower-case name, at least one column).
    pub fn parse(file: &str, json: &str) -> Result<Self, TableError> {
        let definition = |message: String| TableError::Definition {
            file: file.to_string(),
            message,
        };
        let table: Self = serde_json::from_str(json).map_err(|e| definition(e.to_string()))?;
        let name_ok = table
            .name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && table
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !name_ok {
            return Err(definition(format!(
                "name {:?}: lower case letters, digits, _ and - only",
                table.name
            )));
        }
        if table.columns.is_empty() {
            return Err(definition("no columns".into()));
        }
        for column in &table.columns {
            if PARTITION_KEYS.contains(&column.name.as_str()) {
                return Err(definition(format!(
                    "column {} is a partition key (added from the lake's layout)",
                    column.name
                )));
            }
        }
        Ok(table)
    }

    /// Each data column's name and DuckDB type.
    pub fn duckdb_columns(&self) -> Result<Vec<(String, String)>, TableError> {
        self.columns
            .iter()
            .map(|c| {
                hive_to_duckdb(&c.kind)
                    .map(|t| (c.name.clone(), t))
                    .map_err(|message| TableError::Type {
                        table: self.name.clone(),
                        column: c.name.clone(),
                        message,
                    })
            })
            .collect()
    }

    /// Whether events of this detail-type belong to the table.
    pub fn includes(&self, detail_type: &str) -> bool {
        self.detail_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == detail_type))
    }
}

/// The repository's table definitions (built in).
pub fn embedded_tables() -> Result<Vec<TableDefinition>, TableError> {
    EMBEDDED_TABLE_FILES
        .iter()
        .map(|(file, json)| TableDefinition::parse(file, json))
        .collect()
}

/// A Hive/Glue type in DuckDB's spelling: `array<T>` → `T[]`, `struct<a:T>` → `STRUCT("a" T)`,
/// `map<K,V>` → `MAP(K, V)`, scalars by name.
///
/// Hand-written (a small recursive-descent parser) rather than a SQL parser crate: Hive type
/// strings are a tiny grammar of their own, not SQL.
pub fn hive_to_duckdb(hive: &str) -> Result<String, String> {
    let mut parser = TypeParser { text: hive, pos: 0 };
    let out = parser.parse_type()?;
    parser.skip_ws();
    if parser.pos != hive.len() {
        return Err(format!(
            "unexpected {:?} at {} in {hive:?}",
            &hive[parser.pos..],
            parser.pos
        ));
    }
    Ok(out)
}

struct TypeParser<'a> {
    text: &'a str,
    pos: usize,
}

impl TypeParser<'_> {
    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> Result<(), String> {
        self.skip_ws();
        if self.text[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(format!("expected '{c}' at {} in {:?}", self.pos, self.text))
        }
    }

    fn peek(&mut self, c: char) -> bool {
        self.skip_ws();
        self.text[self.pos..].starts_with(c)
    }

    /// A name: letters, digits, `_`, `-`; or anything between backticks.
    fn name(&mut self) -> Result<String, String> {
        self.skip_ws();
        let rest = &self.text[self.pos..];
        if let Some(quoted) = rest.strip_prefix('`') {
            let end = quoted
                .find('`')
                .ok_or_else(|| format!("unclosed ` in {:?}", self.text))?;
            self.pos += end + 2;
            return Ok(quoted[..end].to_string());
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(format!(
                "expected a name at {} in {:?}",
                self.pos, self.text
            ));
        }
        self.pos += len;
        Ok(rest[..len].to_string())
    }

    fn parse_type(&mut self) -> Result<String, String> {
        let name = self.name()?.to_ascii_lowercase();
        Ok(match name.as_str() {
            "array" => {
                self.eat('<')?;
                let inner = self.parse_type()?;
                self.eat('>')?;
                format!("{inner}[]")
            }
            "map" => {
                self.eat('<')?;
                let key = self.parse_type()?;
                self.eat(',')?;
                let value = self.parse_type()?;
                self.eat('>')?;
                format!("MAP({key}, {value})")
            }
            "struct" => {
                self.eat('<')?;
                let mut fields = Vec::new();
                while !self.peek('>') {
                    if !fields.is_empty() {
                        self.eat(',')?;
                    }
                    let field = self.name()?;
                    self.eat(':')?;
                    let kind = self.parse_type()?;
                    fields.push(format!("{} {kind}", quote_ident(&field)));
                }
                self.eat('>')?;
                format!("STRUCT({})", fields.join(", "))
            }
            "decimal" => {
                if self.peek('(') {
                    let start = self.pos;
                    let end = self.text[start..]
                        .find(')')
                        .ok_or_else(|| format!("unclosed ( in {:?}", self.text))?;
                    self.pos = start + end + 1;
                    format!("DECIMAL{}", &self.text[start..=start + end])
                } else {
                    "DECIMAL(10,0)".into()
                }
            }
            "varchar" | "char" => {
                if self.peek('(') {
                    let end = self.text[self.pos..]
                        .find(')')
                        .ok_or_else(|| format!("unclosed ( in {:?}", self.text))?;
                    self.pos += end + 1;
                }
                "VARCHAR".into()
            }
            "string" => "VARCHAR".into(),
            "boolean" => "BOOLEAN".into(),
            "tinyint" => "TINYINT".into(),
            "smallint" => "SMALLINT".into(),
            "int" | "integer" => "INTEGER".into(),
            "bigint" => "BIGINT".into(),
            "float" => "FLOAT".into(),
            "double" => "DOUBLE".into(),
            "date" => "DATE".into(),
            "timestamp" => "TIMESTAMP".into(),
            "binary" => "BLOB".into(),
            other => return Err(format!("unknown Hive type {other:?} in {:?}", self.text)),
        })
    }
}

/// `name` as a double-quoted SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hive_types_become_duckdb_types() {
        assert_eq!(hive_to_duckdb("string").unwrap(), "VARCHAR");
        assert_eq!(hive_to_duckdb("array<string>").unwrap(), "VARCHAR[]");
        assert_eq!(
            hive_to_duckdb(
                "struct<name:string, confidence:double, tags:array<struct<`key`:bigint>>>"
            )
            .unwrap(),
            r#"STRUCT("name" VARCHAR, "confidence" DOUBLE, "tags" STRUCT("key" BIGINT)[])"#
        );
        assert_eq!(
            hive_to_duckdb("map<string,int>").unwrap(),
            "MAP(VARCHAR, INTEGER)"
        );
        assert_eq!(hive_to_duckdb("decimal(10,2)").unwrap(), "DECIMAL(10,2)");
        assert!(hive_to_duckdb("struct<a:string").is_err());
        assert!(hive_to_duckdb("array<strin>").is_err());
        assert!(hive_to_duckdb("string extra").is_err());
    }

    #[test]
    fn the_built_in_definitions_are_the_files_in_athena_tables_and_all_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../athena/tables");
        let mut on_disk: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<(String, String)> = EMBEDDED_TABLE_FILES
            .iter()
            .map(|(f, j)| (f.to_string(), j.to_string()))
            .collect();
        assert_eq!(
            embedded, on_disk,
            "add new athena/tables files to EMBEDDED_TABLE_FILES"
        );
        for table in embedded_tables().unwrap() {
            table.duckdb_columns().unwrap();
        }
    }

    /// DuckDB matches JSON keys exactly, so a field spelled differently from the JSON would read
    /// as NULL: every struct field of the typed table is a property of the detail's JSON Schema.
    #[test]
    fn struct_fields_of_the_analysed_table_are_spelled_as_the_schema_spells_them() {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../../schemas/MESSAGE_ANALYSED.schema.json"
        ))
        .unwrap();
        let mut properties = std::collections::BTreeSet::new();
        let mut stack = vec![&schema];
        while let Some(v) = stack.pop() {
            if let Some(map) = v.get("properties").and_then(|p| p.as_object()) {
                properties.extend(map.keys().cloned());
            }
            if let Some(defs) = v.get("$defs").and_then(|d| d.as_object()) {
                stack.extend(defs.values());
            }
        }
        let table = embedded_tables()
            .unwrap()
            .into_iter()
            .find(|t| t.name == "analysed-messages-table")
            .unwrap();
        let detail = table.columns.iter().find(|c| c.name == "detail").unwrap();
        let fields = regex::Regex::new(r"([A-Za-z0-9_]+):").unwrap();
        let names: Vec<&str> = fields
            .captures_iter(&detail.kind)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert!(names.len() > 40, "{names:?}");
        for name in names {
            assert!(
                properties.contains(name),
                "{name} is not a property of MESSAGE_ANALYSED"
            );
        }
    }

    #[test]
    fn definitions_cdk_would_refuse_are_refused() {
        let bad_name = r#"{"name":"Events","columns":[{"name":"id","type":"string"}]}"#;
        assert!(TableDefinition::parse("x.json", bad_name).is_err());
        let no_columns = r#"{"name":"events","columns":[]}"#;
        assert!(TableDefinition::parse("x.json", no_columns).is_err());
        let partition = r#"{"name":"events","columns":[{"name":"dt","type":"string"}]}"#;
        assert!(TableDefinition::parse("x.json", partition).is_err());
    }
}
