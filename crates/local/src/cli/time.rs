//! Times on the command line: RFC 3339, a date, or `now` (optionally minus a duration).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

/// Parses `2026-11-23T10:00:00Z`, `2026-11-23T10:00:00` (UTC), `2026-11-23` (midnight UTC),
/// `now`, or `now-90s` / `now-15m` / `now-2h` / `now-7d`.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    parse_at(text, Utc::now())
}

fn parse_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(now);
    }
    if let Some(ago) = text.strip_prefix("now-") {
        return parse_duration(ago).map(|d| now - d);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Ok(t.and_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!(
        "{text:?} is not a time; use RFC 3339 (2026-11-23T10:00:00Z), a date (2026-11-23), \
         now, or now-<N>s|m|h|d"
    ))
}

fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let bad = || format!("{text:?} is not a duration like 90s, 15m, 2h or 7d");
    let split = text.len().checked_sub(1).ok_or_else(bad)?;
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let delta = match unit {
        "s" => TimeDelta::try_seconds(n),
        "m" => TimeDelta::try_minutes(n),
        "h" => TimeDelta::try_hours(n),
        "d" => TimeDelta::try_days(n),
        _ => None,
    };
    delta.ok_or_else(bad)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_form_parses() {
        let now: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
        let t = |s| parse_at(s, now).unwrap().to_rfc3339();
        assert_eq!(t("2026-11-23T09:00:00+01:00"), "2026-11-23T08:00:00+00:00");
        assert_eq!(t("2026-11-23T09:30:00"), "2026-11-23T09:30:00+00:00");
        assert_eq!(t("2026-11-22"), "2026-11-22T00:00:00+00:00");
        assert_eq!(t("now"), "2026-11-23T10:00:00+00:00");
        assert_eq!(t("now-90s"), "2026-11-23T09:58:30+00:00");
        assert_eq!(t("now-2h"), "2026-11-23T08:00:00+00:00");
        assert_eq!(t("now-1d"), "2026-11-22T10:00:00+00:00");
    }

    #[test]
    fn nonsense_is_refused_with_the_accepted_forms() {
        let now = Utc::now();
        for bad in ["yesterday", "now-", "now-5y", "now-xh", "2026-13-01", ""] {
            let err = parse_at(bad, now).unwrap_err();
            assert!(err.contains("not a"), "{bad}: {err}");
        }
    }
}
