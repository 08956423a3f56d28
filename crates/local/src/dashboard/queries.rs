//! The `athena/` named queries, embedded, for the dashboard's query runner: the same files CDK
//! creates as Athena named queries and `starling query` runs.

/// One named query: its name (the file's stem), its file, and its SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedQuery {
    /// The file's stem, e.g. `sentiment-by-language`.
    pub name: &'static str,
    /// The SQL, opening with a comment that says what it answers.
    pub sql: &'static str,
}

impl NamedQuery {
    /// The path in the repository.
    pub fn file(&self) -> String {
        format!("athena/{}.sql", self.name)
    }

    /// What it answers: its opening comment, as one line.
    pub fn question(&self) -> String {
        self.sql
            .lines()
            .map_while(|l| l.trim_start().strip_prefix("--"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

macro_rules! named {
    ($($name:literal),* $(,)?) => {
        &[$(NamedQuery { name: $name, sql: include_str!(concat!("../../../../athena/", $name, ".sql")) }),*]
    };
}

/// Every `athena/*.sql` (a test checks the list against the directory).
pub const NAMED_QUERIES: &[NamedQuery] = named![
    "all-celebrities",
    "all-image-labels",
    "all-positive-messages",
    "failed-analyses-by-stage",
    "images-with-text",
    "messages-by-way-in",
    "most-recognised-people",
    "negative-messages-per-hour",
    "replies-and-suppressions-by-day",
    "reply-latency",
    "reply-rate-by-day",
    "reposts-by-day",
    "sentiment-by-language",
    "sentiment-per-hour",
    "top-authors-by-negative-posts",
    "top-entities",
    "top-labels",
];

/// The named query called `name`.
pub fn find(name: &str) -> Option<&'static NamedQuery> {
    NAMED_QUERIES.iter().find(|q| q.name == name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_athena_query_is_embedded_and_says_what_it_answers() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../athena");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".sql").map(str::to_string)
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = NAMED_QUERIES.iter().map(|q| q.name).collect();
        assert_eq!(embedded, on_disk);
        for q in NAMED_QUERIES {
            assert!(q.question().len() > 20, "{} has no opening comment", q.name);
        }
        assert!(
            find("sentiment-by-language")
                .unwrap()
                .question()
                .contains("language")
        );
        assert!(find("nope").is_none());
    }
}
