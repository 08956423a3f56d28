//! The repost rule (route `repost`): a keyword-search match by a curated author is reposted,
//! once, inside a daily cap and the budget replies share; every other search match is a
//! REPOST_SUPPRESSED with the reason. Off unless the policy's `repost.enabled` says so, and then
//! silent for anything that is not a search match.
//!
//! The rule posts the repost itself rather than through egress: a repost carries no text and no
//! media, and X keeps one repost per account and post, so repeating the call after a lost answer
//! reposts nothing twice — egress's claims and look-before-posting exist for replies, which X
//! would post twice.

use std::sync::Arc;

use async_trait::async_trait;
use starling_contracts::{
    MessageReceived, MessageSource, OutgoingEvent, RepostSuppressReason, RepostSuppressed,
    Reposted, detail_type, source,
};

use super::decide::{ReplyPolicy, RepostVerdict};
use crate::handler::{DetailHandler, HandlerError};
use crate::ports::{XError, XPoster};

/// The repost rule over the reply policy's state and an X poster.
pub struct RepostRule {
    policy: Arc<ReplyPolicy>,
    x: Arc<dyn XPoster>,
    dry_run: bool,
}

impl RepostRule {
    /// The rule under `policy` (its `repost` settings, state and budget), reposting through `x`;
    /// with `dry_run` (or the policy's `dryRun`) nothing is reposted and each repost decided is
    /// a REPOST_SUPPRESSED `dry-run`.
    pub fn new(policy: Arc<ReplyPolicy>, x: Arc<dyn XPoster>, dry_run: bool) -> Self {
        let dry_run = dry_run || policy.config().dry_run;
        Self { policy, x, dry_run }
    }

    fn suppressed(
        m: &MessageReceived,
        reason: RepostSuppressReason,
        detail: String,
    ) -> Result<OutgoingEvent, HandlerError> {
        event(
            detail_type::REPOST_SUPPRESSED,
            &m.twitter.tweet_id,
            RepostSuppressed {
                reason,
                tweet_id: m.twitter.tweet_id.clone(),
                user_id: m.twitter.user_id.clone(),
                author: author(m),
                detail,
            },
        )
    }
}

fn author(m: &MessageReceived) -> String {
    if m.author.is_empty() {
        m.twitter.user_id.clone()
    } else {
        m.author.clone()
    }
}

fn event<T: serde::Serialize>(
    kind: &str,
    post: &str,
    detail: T,
) -> Result<OutgoingEvent, HandlerError> {
    OutgoingEvent::new(source::RESPONDING, kind, detail)
        .map(|e| e.with_resources([post.to_string()]))
        .map_err(|e| HandlerError::invalid_input(format!("{kind} not serialisable: {e}")))
}

#[async_trait]
impl DetailHandler for RepostRule {
    type Detail = MessageReceived;

    fn detail_type(&self) -> &'static str {
        detail_type::MESSAGE_RECEIVED
    }

    async fn handle(&self, m: MessageReceived) -> Result<Vec<OutgoingEvent>, HandlerError> {
        if m.source != MessageSource::Search || !self.policy.config().repost.enabled {
            return Ok(vec![]);
        }
        let verdict = self
            .policy
            .decide_repost(&m)
            .await
            .map_err(HandlerError::unavailable)?;
        let post = &m.twitter.tweet_id;
        let published = match verdict {
            RepostVerdict::Suppress { reason, detail } => Self::suppressed(&m, reason, detail)?,
            RepostVerdict::Repost if self.dry_run => Self::suppressed(
                &m,
                RepostSuppressReason::DryRun,
                "dry run: the rule would repost it".into(),
            )?,
            RepostVerdict::Repost => match self.x.repost(post).await {
                Ok(repost_id) => {
                    tracing::info!(post, repost = ?repost_id, "reposted a curated author's search match");
                    event(
                        detail_type::REPOSTED,
                        post,
                        Reposted {
                            tweet_id: post.clone(),
                            user_id: m.twitter.user_id.clone(),
                            author: author(&m),
                            repost_id,
                        },
                    )?
                }
                Err(e @ XError::Rejected { .. }) => {
                    Self::suppressed(&m, RepostSuppressReason::Refused, e.to_string())?
                }
                Err(XError::RateLimited { reset_at }) => {
                    return Err(
                        HandlerError::throttled("X rate limit on reposts").retry_at(reset_at)
                    );
                }
                // X keeps one repost per account and post: trying again is safe.
                Err(e @ (XError::Unavailable(_) | XError::Uncertain(_))) => {
                    return Err(HandlerError::unavailable(e));
                }
            },
        };
        Ok(vec![published])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Mutex;

    use chrono::{DateTime, TimeDelta, Utc};
    use starling_contracts::TwitterRef;

    use super::*;
    use crate::memory::MemoryPolicyStore;
    use crate::policy::{PolicyConfig, RepostConfig};
    use crate::ports::Clock;

    const BOT: &str = "42";

    struct TestClock(Mutex<DateTime<Utc>>);
    impl Clock for TestClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    /// An X that keeps one repost per post, as X does, and can be told to fail.
    #[derive(Default)]
    struct FakeX {
        reposts: Mutex<Vec<String>>,
        calls: Mutex<usize>,
        fail: Mutex<Option<XError>>,
    }

    #[async_trait]
    impl XPoster for FakeX {
        async fn upload_media(&self, _: Vec<u8>, _: &str) -> Result<String, XError> {
            unreachable!("the repost rule uploads nothing")
        }
        async fn post_reply(&self, _: &str, _: &str, _: &[String]) -> Result<String, XError> {
            unreachable!("the repost rule replies to nothing")
        }
        async fn find_reply(&self, _: &str, _: DateTime<Utc>) -> Result<Option<String>, XError> {
            unreachable!("the repost rule looks for no reply")
        }
        async fn repost(&self, post_id: &str) -> Result<Option<String>, XError> {
            *self.calls.lock().unwrap() += 1;
            if let Some(e) = self.fail.lock().unwrap().take() {
                return Err(e);
            }
            let mut reposts = self.reposts.lock().unwrap();
            if !reposts.iter().any(|p| p == post_id) {
                reposts.push(post_id.to_string());
            }
            Ok(Some(format!("rp{post_id}")))
        }
    }

    struct Setup {
        rule: RepostRule,
        x: Arc<FakeX>,
        clock: Arc<TestClock>,
    }

    fn setup(repost: RepostConfig, budget: u32, dry_run: bool) -> Setup {
        let clock = Arc::new(TestClock(Mutex::new(
            "2026-12-07T10:00:00Z".parse().unwrap(),
        )));
        let policy = Arc::new(ReplyPolicy::new(
            PolicyConfig {
                repost,
                budget,
                ..PolicyConfig::default()
            },
            Some(BOT.into()),
            Arc::new(MemoryPolicyStore::new()),
            clock.clone(),
        ));
        let x = Arc::new(FakeX::default());
        Setup {
            rule: RepostRule::new(policy, x.clone(), dry_run),
            x,
            clock,
        }
    }

    fn curated() -> RepostConfig {
        RepostConfig {
            enabled: true,
            authors: vec!["@NASA".into(), "11348282".into()],
            daily_cap: 3,
        }
    }

    fn found(id: &str, user: &str, handle: &str) -> MessageReceived {
        MessageReceived {
            text: "#starling sighting".into(),
            author: handle.into(),
            twitter: TwitterRef {
                tweet_id: id.into(),
                user_id: user.into(),
                ..Default::default()
            },
            source: MessageSource::Search,
            ..Default::default()
        }
    }

    fn outcome(events: &[OutgoingEvent]) -> (String, String) {
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        let what = e.detail["Reason"]
            .as_str()
            .or(e.detail["RepostId"].as_str())
            .unwrap_or_default()
            .to_string();
        (e.detail_type.clone(), what)
    }

    #[tokio::test]
    async fn a_curated_authors_match_is_reposted_once_and_a_retry_reposts_nothing_twice() {
        let s = setup(curated(), 90, false);
        let m = found("700", "11348282", "nasa_news");
        let first = s.rule.handle(m.clone()).await.unwrap();
        assert_eq!(outcome(&first), ("REPOSTED".into(), "rp700".into()));
        assert_eq!(first[0].source, "starling.responding");
        assert_eq!(first[0].detail["Author"], "nasa_news");
        // The same match again (a retry after the publish failed): the same verdict, no second
        // repost on X, nothing charged twice.
        let again = s.rule.handle(m).await.unwrap();
        assert_eq!(outcome(&again).0, "REPOSTED");
        assert_eq!(s.x.reposts.lock().unwrap().len(), 1);
        // Listed by handle, any case, `@` optional.
        let by_handle = s.rule.handle(found("701", "5", "nasa")).await.unwrap();
        assert_eq!(outcome(&by_handle).0, "REPOSTED");
    }

    #[tokio::test]
    async fn everyone_else_is_not_curated_and_the_bot_is_never_reposted() {
        let s = setup(curated(), 90, false);
        let other = s.rule.handle(found("702", "9", "someone")).await.unwrap();
        assert_eq!(
            outcome(&other),
            ("REPOST_SUPPRESSED".into(), "not-curated".into())
        );
        let mut own = found("703", BOT, "starling_bot");
        own.author = "nasa".into();
        assert_eq!(outcome(&s.rule.handle(own).await.unwrap()).1, "own-post");
        assert_eq!(*s.x.calls.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn the_daily_cap_holds_for_a_day_and_the_budget_is_shared_with_replies() {
        let s = setup(curated(), 90, false);
        for i in 0..3 {
            let got = s
                .rule
                .handle(found(&format!("71{i}"), "11348282", "nasa"))
                .await;
            assert_eq!(outcome(&got.unwrap()).0, "REPOSTED");
        }
        let capped = s
            .rule
            .handle(found("719", "11348282", "nasa"))
            .await
            .unwrap();
        assert_eq!(outcome(&capped).1, "daily-cap");
        *s.clock.0.lock().unwrap() += TimeDelta::hours(24) + TimeDelta::minutes(2);
        let next_day = s
            .rule
            .handle(found("720", "11348282", "nasa"))
            .await
            .unwrap();
        assert_eq!(outcome(&next_day).0, "REPOSTED");

        let s = setup(curated(), 1, false);
        assert_eq!(
            outcome(
                &s.rule
                    .handle(found("730", "11348282", "nasa"))
                    .await
                    .unwrap()
            )
            .0,
            "REPOSTED"
        );
        let spent = s
            .rule
            .handle(found("731", "11348282", "nasa"))
            .await
            .unwrap();
        assert_eq!(outcome(&spent).1, "budget");
    }

    #[tokio::test]
    async fn off_by_default_and_silent_for_anything_but_a_search_match() {
        let s = setup(RepostConfig::default(), 90, false);
        assert!(
            s.rule
                .handle(found("740", "11348282", "nasa"))
                .await
                .unwrap()
                .is_empty()
        );
        let s = setup(curated(), 90, false);
        let mut mention = found("741", "11348282", "nasa");
        mention.source = MessageSource::Mentions;
        assert!(s.rule.handle(mention).await.unwrap().is_empty());
        assert_eq!(*s.x.calls.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn a_dry_run_decides_but_never_calls_x() {
        let s = setup(curated(), 90, true);
        let held = s
            .rule
            .handle(found("750", "11348282", "nasa"))
            .await
            .unwrap();
        assert_eq!(outcome(&held).1, "dry-run");
        assert_eq!(*s.x.calls.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn xs_refusal_is_recorded_and_its_outages_are_retried() {
        let s = setup(curated(), 90, false);
        *s.x.fail.lock().unwrap() = Some(XError::Rejected {
            status: 403,
            title: "Forbidden".into(),
            detail: "You are not allowed to repost this post.".into(),
        });
        let refused = s
            .rule
            .handle(found("760", "11348282", "nasa"))
            .await
            .unwrap();
        assert_eq!(outcome(&refused).1, "refused");
        assert!(
            refused[0].detail["Detail"]
                .as_str()
                .unwrap()
                .contains("403")
        );

        let reset: DateTime<Utc> = "2026-12-07T10:15:00Z".parse().unwrap();
        *s.x.fail.lock().unwrap() = Some(XError::RateLimited {
            reset_at: Some(reset),
        });
        let m = found("761", "11348282", "nasa");
        let limited = s.rule.handle(m.clone()).await.unwrap_err();
        assert!(limited.kind.is_retryable());
        assert_eq!(limited.retry_at, Some(reset));
        // The retry reposts it: the decision was kept, X is asked again.
        assert_eq!(outcome(&s.rule.handle(m).await.unwrap()).0, "REPOSTED");
    }
}
