//! The reply policy: what the bot may post, under X's automation rules. Analysis, alerts and the
//! lake see every message; the policy governs only replies. It answers only posts that summon
//! the bot, never its own, never an opted-out author; one reply per post; a per-author cooldown
//! and daily cap; a conversation cap against bot-to-bot loops; a global budget under X's posting
//! limits; allow and deny lists; a dry run. Every reply not posted is a REPLY_SUPPRESSED event.

mod config;
mod decide;
mod gate;
mod repost;

pub use config::{
    ModerationConfig, PolicyConfig, PolicyConfigError, RepostConfig, WhenUnavailable,
};
pub use decide::{ReplyPolicy, RepostVerdict, Verdict};
pub use gate::{PolicyGate, suppressed};
pub use repost::RepostRule;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;
    use chrono::{DateTime, TimeDelta, Utc};
    use starling_contracts::{
        Analysis, MessageAnalysed, MessageReceived, OutgoingEvent, SendTweet, TwitterRef,
        detail_type, source,
    };

    use super::*;
    use crate::handler::{DetailHandler, HandlerError};
    use crate::memory::MemoryPolicyStore;
    use crate::ports::Clock;

    const BOT: &str = "42";

    /// A clock the test moves.
    struct TestClock(Mutex<DateTime<Utc>>);
    impl TestClock {
        fn advance(&self, seconds: i64) {
            *self.0.lock().unwrap() += TimeDelta::seconds(seconds);
        }
    }
    impl Clock for TestClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    /// A reply handler that answers "hi", unless the text says "silent".
    struct Hi;
    #[async_trait]
    impl DetailHandler for Hi {
        type Detail = MessageAnalysed;
        fn detail_type(&self) -> &'static str {
            detail_type::MESSAGE_ANALYSED
        }
        async fn handle(&self, m: MessageAnalysed) -> Result<Vec<OutgoingEvent>, HandlerError> {
            if m.message.text.contains("silent") {
                return Ok(vec![]);
            }
            let send = SendTweet {
                text: "hi".into(),
                reply_to_tweet_id: m.message.twitter.tweet_id.clone(),
                reply_to_user_id: m.message.twitter.user_id.clone(),
                idempotency_key: format!("hi:{}", m.message.twitter.tweet_id),
                ..Default::default()
            };
            Ok(vec![
                OutgoingEvent::new(source::RESPONDING, detail_type::SEND_TWEET, send).unwrap(),
            ])
        }
    }

    struct Bot {
        gate: PolicyGate<Hi>,
        clock: Arc<TestClock>,
        next_id: Mutex<u64>,
    }

    fn bot(config: PolicyConfig) -> Bot {
        let clock = Arc::new(TestClock(Mutex::new(
            "2026-12-07T10:00:00Z".parse().unwrap(),
        )));
        let policy = ReplyPolicy::new(
            config,
            Some(BOT.into()),
            Arc::new(MemoryPolicyStore::new()),
            clock.clone(),
        );
        Bot {
            gate: PolicyGate::new(Hi, Arc::new(policy)),
            clock,
            next_id: Mutex::new(100),
        }
    }

    fn message(id: &str, user: &str, text: &str, summoned: bool) -> MessageAnalysed {
        MessageAnalysed {
            message: MessageReceived {
                text: text.into(),
                author: format!("user{user}"),
                twitter: TwitterRef {
                    tweet_id: id.into(),
                    user_id: user.into(),
                    conversation_id: Some(format!("c{user}")),
                    ..Default::default()
                },
                summoned,
                ..Default::default()
            },
            analysis: Analysis::default(),
        }
    }

    impl Bot {
        /// Posts `text` by `user` (a new post each time) and returns what the gate published.
        async fn post(&self, user: &str, text: &str, summoned: bool) -> Vec<OutgoingEvent> {
            let id = {
                let mut n = self.next_id.lock().unwrap();
                *n += 1;
                n.to_string()
            };
            self.gate
                .handle(message(&id, user, text, summoned))
                .await
                .unwrap()
        }
    }

    /// The one event published: `("SEND_TWEET", text)` or `("REPLY_SUPPRESSED", reason)`.
    fn outcome(events: &[OutgoingEvent]) -> (String, String) {
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        let what = match e.detail_type.as_str() {
            "SEND_TWEET" => e.detail["Text"].as_str().unwrap().to_string(),
            _ => e.detail["Reason"].as_str().unwrap().to_string(),
        };
        (e.detail_type.clone(), what)
    }

    fn replied(events: &[OutgoingEvent]) -> bool {
        outcome(events).0 == "SEND_TWEET"
    }

    fn suppressed_for(events: &[OutgoingEvent]) -> String {
        let (kind, reason) = outcome(events);
        assert_eq!(kind, "REPLY_SUPPRESSED", "{events:?}");
        assert_eq!(events[0].source, "starling.responding");
        reason
    }

    #[tokio::test]
    async fn a_summoning_mention_gets_its_one_reply() {
        let b = bot(PolicyConfig::default());
        assert_eq!(
            outcome(&b.post("7", "@bot tell me a joke", true).await),
            ("SEND_TWEET".into(), "hi".into())
        );
    }

    #[tokio::test]
    async fn a_post_that_does_not_summon_the_bot_gets_no_reply() {
        let b = bot(PolicyConfig::default());
        let events = b.post("7", "talking about bots", false).await;
        assert_eq!(suppressed_for(&events), "not-summoned");
        assert_eq!(events[0].detail["TweetId"], "101");
        assert_eq!(events[0].detail["UserId"], "7");
        assert_eq!(events[0].detail["Author"], "user7");
    }

    #[tokio::test]
    async fn a_keyword_search_match_is_never_answered_even_when_it_mentions_the_bot() {
        let b = bot(PolicyConfig::default());
        let mut m = message("501", "7", "@bot #starling rocks", true);
        m.message.source = starling_contracts::MessageSource::Search;
        let events = b.gate.handle(m.clone()).await.unwrap();
        assert_eq!(suppressed_for(&events), "keyword-match");
        // A "stop" found by search records nothing either: no interaction with the bot.
        m.message.text = "stop".into();
        m.message.twitter.tweet_id = "502".into();
        assert_eq!(
            suppressed_for(&b.gate.handle(m).await.unwrap()),
            "keyword-match"
        );
        assert!(replied(&b.post("7", "@bot hi", true).await));
    }

    #[tokio::test]
    async fn the_bots_own_post_is_never_answered() {
        let b = bot(PolicyConfig::default());
        assert_eq!(
            suppressed_for(&b.post(BOT, "@bot hi", true).await),
            "own-post"
        );
    }

    #[tokio::test]
    async fn stop_is_confirmed_once_then_silence_until_start() {
        let b = bot(PolicyConfig::default());
        let stop = b.post("7", "@bot STOP!", true).await;
        let (kind, text) = outcome(&stop);
        assert_eq!(kind, "SEND_TWEET");
        assert!(text.contains("won't reply"), "{text}");
        assert_eq!(stop[0].detail["IdempotencyKey"], "policy:101");
        b.clock.advance(3600);
        assert_eq!(
            suppressed_for(&b.post("7", "@bot joke?", true).await),
            "opted-out"
        );
        assert_eq!(
            suppressed_for(&b.post("7", "@bot stop", true).await),
            "opted-out"
        );
        let (kind, text) = outcome(&b.post("7", "@bot start", true).await);
        assert_eq!(kind, "SEND_TWEET");
        assert!(text.contains("Welcome back"), "{text}");
        b.clock.advance(3600);
        assert!(replied(&b.post("7", "@bot joke?", true).await));
    }

    #[tokio::test]
    async fn a_stop_that_does_not_summon_is_honoured_without_a_reply() {
        let b = bot(PolicyConfig::default());
        // A reply to the bot whose only @bot is the reply prefix: X would refuse a reply.
        assert_eq!(
            suppressed_for(&b.post("7", "@bot stop", false).await),
            "opted-out"
        );
        assert_eq!(
            suppressed_for(&b.post("7", "@bot joke", true).await),
            "opted-out"
        );
    }

    #[tokio::test]
    async fn stop_words_are_whole_messages_only() {
        let b = bot(PolicyConfig::default());
        assert!(replied(&b.post("7", "@bot don't stop me now", true).await));
    }

    #[tokio::test]
    async fn a_second_mention_inside_the_cooldown_is_suppressed() {
        let b = bot(PolicyConfig::default());
        assert!(replied(&b.post("7", "@bot one", true).await));
        b.clock.advance(59);
        assert_eq!(
            suppressed_for(&b.post("7", "@bot two", true).await),
            "cooldown"
        );
        assert!(replied(&b.post("8", "@bot other author", true).await));
        b.clock.advance(2);
        assert!(replied(&b.post("7", "@bot three", true).await));
    }

    #[tokio::test]
    async fn a_bot_to_bot_exchange_stops_at_the_conversation_cap() {
        let b = bot(PolicyConfig {
            cooldown_seconds: 0,
            ..PolicyConfig::default()
        });
        let mut replies = 0;
        let mut last = String::new();
        for _ in 0..10 {
            let events = b.post("9", "@bot beep", true).await;
            if replied(&events) {
                replies += 1;
            } else {
                last = suppressed_for(&events);
            }
            b.clock.advance(5);
        }
        assert_eq!(replies, 3, "three replies per conversation per hour");
        assert_eq!(last, "conversation-cap");
        b.clock.advance(3600);
        let still = b.post("9", "@bot beep", true).await;
        assert_eq!(
            suppressed_for(&still),
            "conversation-cap",
            "the first reply's minute still overlaps the hour"
        );
        b.clock.advance(60);
        assert!(
            replied(&b.post("9", "@bot beep", true).await),
            "the window slides"
        );
    }

    #[tokio::test]
    async fn an_exhausted_budget_suppresses_every_author() {
        let b = bot(PolicyConfig {
            budget: 2,
            ..PolicyConfig::default()
        });
        assert!(replied(&b.post("1", "@bot a", true).await));
        assert!(replied(&b.post("2", "@bot b", true).await));
        assert_eq!(suppressed_for(&b.post("3", "@bot c", true).await), "budget");
        b.clock.advance(961);
        assert!(replied(&b.post("3", "@bot c", true).await));
    }

    #[tokio::test]
    async fn the_author_cap_holds_for_a_day() {
        let b = bot(PolicyConfig {
            author_daily_cap: 2,
            conversation_cap: 100,
            ..PolicyConfig::default()
        });
        assert!(replied(&b.post("7", "@bot a", true).await));
        b.clock.advance(61);
        assert!(replied(&b.post("7", "@bot b", true).await));
        b.clock.advance(61);
        assert_eq!(
            suppressed_for(&b.post("7", "@bot c", true).await),
            "author-cap"
        );
    }

    #[tokio::test]
    async fn denied_and_not_allowed_authors_get_no_reply() {
        let b = bot(PolicyConfig {
            deny: vec!["@User7".into()],
            ..PolicyConfig::default()
        });
        assert_eq!(
            suppressed_for(&b.post("7", "@bot hi", true).await),
            "denied"
        );
        assert!(replied(&b.post("8", "@bot hi", true).await));
        let b = bot(PolicyConfig {
            allow: vec!["8".into()],
            ..PolicyConfig::default()
        });
        assert_eq!(
            suppressed_for(&b.post("7", "@bot hi", true).await),
            "denied"
        );
        assert!(replied(&b.post("8", "@bot hi", true).await));
    }

    #[tokio::test]
    async fn the_same_post_delivered_again_gets_the_same_verdict_and_charges_nothing_twice() {
        let b = bot(PolicyConfig {
            budget: 1,
            ..PolicyConfig::default()
        });
        let m = message("500", "7", "@bot hi", true);
        assert!(replied(&b.gate.handle(m.clone()).await.unwrap()));
        // A retry (the reply handler failed) or a redelivery: same verdict, no second charge.
        assert!(replied(&b.gate.handle(m).await.unwrap()));
        assert_eq!(
            suppressed_for(&b.post("8", "@bot hi", true).await),
            "budget"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_decisions_never_overspend_the_budget() {
        let b = Arc::new(bot(PolicyConfig {
            budget: 5,
            cooldown_seconds: 0,
            ..PolicyConfig::default()
        }));
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let b = b.clone();
                tokio::spawn(async move {
                    let m = message(&format!("9{i}"), &format!("{i}"), "@bot hi", true);
                    replied(&b.gate.handle(m).await.unwrap())
                })
            })
            .collect();
        let mut replies = 0;
        for t in tasks {
            replies += usize::from(t.await.unwrap());
        }
        assert_eq!(replies, 5);
    }

    #[tokio::test]
    async fn a_message_the_handler_does_not_answer_charges_nothing() {
        let b = bot(PolicyConfig {
            budget: 1,
            ..PolicyConfig::default()
        });
        assert!(b.post("7", "@bot silent", true).await.is_empty());
        assert!(
            replied(&b.post("7", "@bot hi", true).await),
            "no cooldown, budget intact"
        );
    }

    #[tokio::test]
    async fn a_composed_reply_held_back_keeps_its_text_for_analysts() {
        let b = bot(PolicyConfig {
            budget: 1,
            ..PolicyConfig::default()
        });
        assert!(replied(&b.post("1", "@bot a", true).await));
        let held = b.post("2", "@bot b", true).await;
        assert_eq!(suppressed_for(&held), "budget");
        assert_eq!(held[0].detail["Text"], "hi");
    }

    /// A chat bot that always answers "hi".
    struct SaysHi;
    #[async_trait]
    impl crate::ports::ChatBot for SaysHi {
        async fn recognize_text(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<String>, crate::ports::ChatBotError> {
            Ok(Some("hi".into()))
        }
    }

    #[tokio::test]
    async fn a_reply_moderation_holds_back_charges_no_budget_and_no_cooldown() {
        use crate::moderation::MemoryModerator;
        use crate::responding::reply_text::ReplyText;
        let policy = Arc::new(ReplyPolicy::new(
            PolicyConfig {
                budget: 1,
                ..PolicyConfig::default()
            },
            Some(BOT.into()),
            Arc::new(MemoryPolicyStore::new()),
            Arc::new(TestClock(Mutex::new(
                "2026-12-07T10:00:00Z".parse().unwrap(),
            ))),
        ));
        let gate = PolicyGate::new(
            ReplyText::new(
                Arc::new(SaysHi),
                Arc::new(MemoryModerator::new()),
                ModerationConfig::default(),
            ),
            policy,
        );
        let english = |id: &str, text: &str| {
            let mut m = message(id, "7", text, true);
            m.analysis.language = Some("en".into());
            m
        };
        let held = gate
            .handle(english("1", "@bot you toxic thing"))
            .await
            .unwrap();
        let kinds: Vec<&str> = held.iter().map(|e| e.detail_type.as_str()).collect();
        assert_eq!(kinds, ["REPLY_SUPPRESSED", "MODERATION_FLAGGED"]);
        assert_eq!(held[0].detail["Reason"], "moderation");
        // Same author, same minute, a budget of one: still answered.
        assert_eq!(
            outcome(&gate.handle(english("2", "@bot a joke?")).await.unwrap()),
            ("SEND_TWEET".into(), "hi".into())
        );
    }
}
