//! The reply policy's settings: one JSON document (camelCase keys, every key optional) read by
//! `starling up --policy FILE` and by the reply Lambdas from `REPLY_POLICY`. The defaults keep a
//! bot inside X's automation rules and posting limits without any configuration.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The reply policy's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Seconds between two replies to one author (default 60).
    pub cooldown_seconds: u64,
    /// Replies to one author per 24 hours (default 20).
    pub author_daily_cap: u32,
    /// Replies by the bot in one conversation per `conversationWindowSeconds` (default 3): what
    /// stops two auto-responders answering each other forever.
    pub conversation_cap: u32,
    /// The conversation cap's window (default 3,600 s).
    pub conversation_window_seconds: u64,
    /// Replies in all per `budgetWindowSeconds` (default 90, under X's 100 posts per 15 minutes
    /// per user).
    pub budget: u32,
    /// The budget's window (default 900 s, X's rate-limit window).
    pub budget_window_seconds: u64,
    /// Whole messages (mentions and URLs removed, case and end punctuation ignored) that opt the
    /// author out.
    pub stop_words: Vec<String>,
    /// Whole messages that opt an opted-out author back in.
    pub start_words: Vec<String>,
    /// Handles (with or without `@`) or user ids the bot answers; empty: everyone.
    pub allow: Vec<String>,
    /// Handles or user ids the bot never answers.
    pub deny: Vec<String>,
    /// The one reply to a stop (posted only when the stop summoned the bot).
    pub opt_out_confirmation: String,
    /// The reply to a start after an opt-out.
    pub opt_in_confirmation: String,
    /// Everything runs but nothing is posted: egress records the reply as REPLY_SUPPRESSED
    /// `dry-run` (locally it also writes the outbox).
    pub dry_run: bool,
    /// The moderation gate (README "Moderation gate").
    pub moderation: ModerationConfig,
    /// The repost rule for keyword-search matches (off by default).
    pub repost: RepostConfig,
}

/// The repost rule: the `repost` object of the policy document. X's developer guidelines allow
/// an app to repost "content from a curated list" for informational purposes and forbid bulk,
/// keyword-driven reposting, so only search matches by the listed authors are reposted, each
/// once, at most `dailyCap` a day and inside the reply budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RepostConfig {
    /// Whether search matches are considered for a repost at all (default false).
    pub enabled: bool,
    /// The curated authors: user ids (stable) or handles (with or without `@`; a handle can be
    /// renamed and taken by someone else, so prefer ids).
    pub authors: Vec<String>,
    /// Reposts per 24 hours, all authors together (default 10).
    pub daily_cap: u32,
}

impl Default for RepostConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            authors: Vec::new(),
            daily_cap: 10,
        }
    }
}

/// The moderation gate's settings: the `moderation` object of the policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ModerationConfig {
    /// Rekognition `DetectModerationLabels`' `MinConfidence` (percent, 0–100; default 60): a
    /// moderation label at least this confident flags an image.
    pub image_min_confidence: f64,
    /// Comprehend `DetectToxicContent`'s score (over 0, at most 1; default 0.5) at which a
    /// segment's `Toxicity` or any of its labels flags the text.
    pub text_threshold: f64,
    /// What reply-image does with an image moderation could not check (default `text-only`).
    pub when_unavailable: WhenUnavailable,
    /// Whether a flag alerts ops (default true): MODERATION_FLAGGED carries `Alert`, and the
    /// `alert-moderation` route sends it to the alert handler.
    pub alert_on_flag: bool,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        Self {
            image_min_confidence: 60.0,
            text_threshold: 0.5,
            when_unavailable: WhenUnavailable::TextOnly,
            alert_on_flag: true,
        }
    }
}

/// What reply-image does with an image the moderation gate could not check (no provider
/// configured, a format the provider refuses). Text replies are the bot's own answers: they go
/// out when text moderation is unavailable, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WhenUnavailable {
    /// Reply without it: only images moderation passed are attached, else text only.
    #[default]
    TextOnly,
    /// Post nothing: REPLY_SUPPRESSED `moderation`.
    Suppress,
    /// Attach it unchecked.
    Allow,
}

impl WhenUnavailable {
    /// The wire name (`text-only`, `suppress`, `allow`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextOnly => "text-only",
            Self::Suppress => "suppress",
            Self::Allow => "allow",
        }
    }
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let words = |list: &[&str]| list.iter().map(|w| (*w).to_string()).collect();
        Self {
            cooldown_seconds: 60,
            author_daily_cap: 20,
            conversation_cap: 3,
            conversation_window_seconds: 3600,
            budget: 90,
            budget_window_seconds: 900,
            stop_words: words(&[
                "stop",
                "stopall",
                "unsubscribe",
                "cancel",
                "end",
                "quit",
                "opt out",
                "optout",
            ]),
            start_words: words(&["start", "unstop", "subscribe", "opt in", "optin"]),
            allow: Vec::new(),
            deny: Vec::new(),
            opt_out_confirmation:
                "OK, I won't reply to you any more. Mention me with START to opt back in."
                    .to_string(),
            opt_in_confirmation: "Welcome back! Mention me any time.".to_string(),
            dry_run: false,
            moderation: ModerationConfig::default(),
            repost: RepostConfig::default(),
        }
    }
}

/// Why a policy document was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyConfigError {
    /// Not JSON of the expected shape (an unknown key, a wrong type).
    #[error("reply policy {source_name}: {error}")]
    Unreadable {
        /// Where the document came from (a path, an environment variable).
        source_name: String,
        /// serde's message: the key and what was wrong.
        error: serde_json::Error,
    },
    /// A value that would make the policy meaningless.
    #[error("reply policy {source_name}: {message}")]
    Invalid {
        /// Where the document came from.
        source_name: String,
        /// What to change.
        message: String,
    },
}

impl PolicyConfig {
    /// Reads a policy document; `source_name` names it in errors. Missing keys take the defaults.
    pub fn from_json(json: &str, source_name: &str) -> Result<Self, PolicyConfigError> {
        let config: Self =
            serde_json::from_str(json).map_err(|error| PolicyConfigError::Unreadable {
                source_name: source_name.to_string(),
                error,
            })?;
        config.validate(source_name)?;
        Ok(config)
    }

    fn validate(&self, source_name: &str) -> Result<(), PolicyConfigError> {
        let invalid = |message: &str| PolicyConfigError::Invalid {
            source_name: source_name.to_string(),
            message: message.to_string(),
        };
        if self.budget_window_seconds == 0 || self.conversation_window_seconds == 0 {
            return Err(invalid("windows must be at least one second"));
        }
        const YEAR: u64 = 366 * 24 * 3600;
        if [
            self.cooldown_seconds,
            self.budget_window_seconds,
            self.conversation_window_seconds,
        ]
        .iter()
        .any(|s| *s > YEAR)
        {
            return Err(invalid("durations may be at most a year (31,622,400 s)"));
        }
        if self.stop_words.iter().any(|w| w.trim().is_empty()) {
            return Err(invalid("stopWords may not contain an empty word"));
        }
        if self.repost.enabled && self.repost.authors.iter().all(|a| a.trim().is_empty()) {
            return Err(invalid(
                "repost.enabled needs repost.authors: X allows reposting a curated list of authors, not every keyword match",
            ));
        }
        let m = &self.moderation;
        if !(0.0..=100.0).contains(&m.image_min_confidence) {
            return Err(invalid(&format!(
                "moderation.imageMinConfidence {} is outside 0–100 (percent, Rekognition's MinConfidence)",
                m.image_min_confidence
            )));
        }
        if !(m.text_threshold > 0.0 && m.text_threshold <= 1.0) {
            return Err(invalid(&format!(
                "moderation.textThreshold {} must be over 0 and at most 1 (0 would flag every text)",
                m.text_threshold
            )));
        }
        Ok(())
    }

    /// What a runner should tell the operator at start: settings that are valid but risky.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        // X allows 100 posts per 15 minutes per user on self-serve tiers: a larger budget gets
        // the account rate limited and replies wait out 429s. Enterprise limits are higher, so
        // this is a warning, not a refusal.
        let per_15_min = f64::from(self.budget) * 900.0 / self.budget_window_seconds as f64;
        if per_15_min > 100.0 {
            out.push(format!(
                "reply budget {} per {} s is {per_15_min:.0} per 15 minutes, over X's self-serve limit of 100 posts per 15 minutes",
                self.budget, self.budget_window_seconds
            ));
        }
        if self.dry_run {
            out.push("dry run: replies are composed and recorded, never posted on X".into());
        }
        if self.repost.enabled {
            let handles = self
                .repost
                .authors
                .iter()
                .filter(|a| {
                    !a.trim()
                        .trim_start_matches('@')
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                })
                .count();
            if handles > 0 {
                out.push(format!(
                    "repost.authors lists {handles} handle(s): a handle can be renamed and taken by someone else; user ids cannot"
                ));
            }
        }
        if self.moderation.when_unavailable == WhenUnavailable::Allow {
            out.push(
                "moderation.whenUnavailable is allow: images moderation could not check are attached unchecked"
                    .into(),
            );
        }
        out
    }

    /// The cooldown as a duration.
    pub fn cooldown(&self) -> Duration {
        Duration::from_secs(self.cooldown_seconds)
    }

    /// Whether `handle_or_id` is on `list` (handles case-insensitive, `@` optional).
    pub(crate) fn listed(list: &[String], user_id: &str, handle: &str) -> bool {
        let handle = handle.trim_start_matches('@');
        list.iter().any(|entry| {
            let entry = entry.trim().trim_start_matches('@');
            entry == user_id || entry.eq_ignore_ascii_case(handle)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_document_is_the_defaults_and_a_partial_one_keeps_the_rest() {
        assert_eq!(
            PolicyConfig::from_json("{}", "t").unwrap(),
            PolicyConfig::default()
        );
        let c =
            PolicyConfig::from_json(r#"{"cooldownSeconds": 5, "deny": ["@spam"]}"#, "t").unwrap();
        assert_eq!(c.cooldown_seconds, 5);
        assert_eq!(c.deny, ["@spam"]);
        assert_eq!(c.budget, 90);
    }

    #[test]
    fn an_unknown_key_is_refused_naming_it_and_the_source() {
        let e = PolicyConfig::from_json(r#"{"cooldown": 5}"#, "policy.json").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("policy.json") && msg.contains("cooldown"),
            "{msg}"
        );
    }

    #[test]
    fn a_budget_over_xs_self_serve_limit_is_a_warning_not_a_refusal() {
        assert!(PolicyConfig::default().warnings().is_empty());
        let over = PolicyConfig::from_json(r#"{"budget": 150}"#, "t").unwrap();
        assert!(
            over.warnings()[0].contains("100 posts per 15 minutes"),
            "{:?}",
            over.warnings()
        );
        // The same rate over a longer window is within the limit.
        let spread =
            PolicyConfig::from_json(r#"{"budget": 180, "budgetWindowSeconds": 1800}"#, "t")
                .unwrap();
        assert!(spread.warnings().is_empty());
    }

    #[test]
    fn a_duration_over_a_year_or_a_zero_window_is_refused() {
        for bad in [
            r#"{"cooldownSeconds": 40000000}"#,
            r#"{"budgetWindowSeconds": 0}"#,
        ] {
            assert!(PolicyConfig::from_json(bad, "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn moderation_defaults_and_a_partial_section_keeps_the_rest() {
        let d = PolicyConfig::default().moderation;
        assert_eq!(
            (
                d.image_min_confidence,
                d.text_threshold,
                d.when_unavailable,
                d.alert_on_flag
            ),
            (60.0, 0.5, WhenUnavailable::TextOnly, true)
        );
        let c = PolicyConfig::from_json(
            r#"{"moderation": {"whenUnavailable": "suppress", "imageMinConfidence": 80}}"#,
            "t",
        )
        .unwrap();
        assert_eq!(c.moderation.when_unavailable, WhenUnavailable::Suppress);
        assert_eq!(c.moderation.image_min_confidence, 80.0);
        assert_eq!(c.moderation.text_threshold, 0.5);
        assert!(c.moderation.alert_on_flag);
        let allow = PolicyConfig::from_json(r#"{"moderation": {"whenUnavailable": "allow"}}"#, "t")
            .unwrap();
        assert!(
            allow.warnings().iter().any(|w| w.contains("unchecked")),
            "{:?}",
            allow.warnings()
        );
    }

    #[test]
    fn moderation_refuses_unknown_keys_values_and_out_of_range_thresholds() {
        for (bad, names) in [
            (r#"{"moderation": {"minConfidence": 50}}"#, "minConfidence"),
            (
                r#"{"moderation": {"whenUnavailable": "skip"}}"#,
                "text-only",
            ),
            (
                r#"{"moderation": {"imageMinConfidence": 101}}"#,
                "imageMinConfidence",
            ),
            (
                r#"{"moderation": {"imageMinConfidence": -1}}"#,
                "imageMinConfidence",
            ),
            (r#"{"moderation": {"textThreshold": 0}}"#, "textThreshold"),
            (r#"{"moderation": {"textThreshold": 1.5}}"#, "textThreshold"),
        ] {
            let msg = PolicyConfig::from_json(bad, "policy.json")
                .unwrap_err()
                .to_string();
            assert!(
                msg.contains(names) && msg.contains("policy.json"),
                "{bad}: {msg}"
            );
        }
    }

    #[test]
    fn lists_match_ids_and_handles_with_or_without_the_at_sign() {
        let list = vec!["@Alice".to_string(), "42".to_string()];
        assert!(PolicyConfig::listed(&list, "1", "alice"));
        assert!(PolicyConfig::listed(&list, "42", "bob"));
        assert!(!PolicyConfig::listed(&list, "1", "bob"));
    }
}
