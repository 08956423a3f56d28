//! The v1.1 tweet object (Account Activity `tweet_create_events`) → [`Post`].
//!
//! Followed: X's Account Activity introduction ("Support for longform posts": `truncated`,
//! `extended_tweet.full_text`, `extended_tweet.display_text_range`) and the enterprise data dictionary
//! (`id_str` over `id`, `created_at` format, `extended_entities` preferred over `entities.media` because
//! `entities.media` holds only the first photo and always says `photo`, `media_url_https`, `ext_alt_text`,
//! `in_reply_to_status_id_str`, `retweeted_status` vs `quoted_status`).

use serde_json::Value;

use super::text::{display_text, non_empty_string, range, str_field, v1_date_to_rfc3339};
use super::{Media, MediaKind, Post, body_mentions};

/// Normalises a v1.1 tweet object. `None` when it lacks what a post needs: a string `id_str`, text,
/// and an author with a string `id_str`.
pub fn post_from_tweet_v1(tweet: &Value) -> Option<Post> {
    let id = non_empty_string(tweet, "id_str")?;
    let user = tweet.get("user")?;
    let author_id = non_empty_string(user, "id_str")?;
    let text = tweet_text(tweet)?;
    let mentions = body_mentions_v1(tweet);
    Some(Post {
        id,
        text,
        author_id,
        author_username: non_empty_string(user, "screen_name"),
        lang: non_empty_string(tweet, "lang"),
        created_at: str_field(tweet, "created_at").and_then(v1_date_to_rfc3339),
        media: tweet_media(tweet),
        is_retweet: tweet.get("retweeted_status").is_some_and(Value::is_object),
        in_reply_to_post_id: non_empty_string(tweet, "in_reply_to_status_id_str"),
        mentioned_user_ids: mentions.0,
        mentioned_usernames: mentions.1,
        quoted_author_id: tweet
            .get("quoted_status")
            .and_then(|q| q.get("user"))
            .and_then(|u| non_empty_string(u, "id_str")),
        // v1.1 tweet objects carry no conversation id.
        conversation_id: None,
    })
}

/// `entities.user_mentions` outside the reply prefix, from the longform copy when there is one
/// (its indices and display range describe `full_text`).
fn body_mentions_v1(tweet: &Value) -> (Vec<String>, Vec<String>) {
    let holder = tweet
        .get("extended_tweet")
        .filter(|e| e.is_object())
        .unwrap_or(tweet);
    let display_start = range(holder.get("display_text_range")).map_or(0, |(start, _)| start);
    body_mentions(
        holder.get("entities").and_then(|e| e.get("user_mentions")),
        display_start,
        |m| range(m.get("indices")).map(|(start, _)| start),
        "id_str",
        "screen_name",
    )
}

/// The full text: `extended_tweet.full_text` for a longform tweet (X sets `truncated: true` and
/// cuts `text`; `extended_tweet` is only present then, so its presence alone decides), else
/// `full_text` (extended mode) or `text`, each with its own display range, entities decoded.
fn tweet_text(tweet: &Value) -> Option<String> {
    if let Some(extended) = tweet.get("extended_tweet")
        && let Some(full_text) = str_field(extended, "full_text")
    {
        return Some(display_text(
            full_text,
            range(extended.get("display_text_range")),
        ));
    }
    let raw = str_field(tweet, "full_text").or_else(|| str_field(tweet, "text"))?;
    Some(display_text(raw, range(tweet.get("display_text_range"))))
}

/// The first non-empty media list, best source first: `extended_entities` (all photos, true types)
/// before `entities` (first photo only), the longform `extended_tweet` copy before the top level.
fn tweet_media(tweet: &Value) -> Vec<Media> {
    let extended = tweet.get("extended_tweet");
    let sources = [
        extended.and_then(|e| e.get("extended_entities")),
        tweet.get("extended_entities"),
        extended.and_then(|e| e.get("entities")),
        tweet.get("entities"),
    ];
    sources
        .into_iter()
        .flatten()
        .filter_map(|entities| entities.get("media").and_then(Value::as_array))
        .map(|list| list.iter().filter_map(media_item).collect::<Vec<_>>())
        .find(|media| !media.is_empty())
        .unwrap_or_default()
}

/// One v1.1 media entity: photos by their URL, videos and GIFs by their thumbnail (which is what
/// `media_url_https` holds for them).
fn media_item(media: &Value) -> Option<Media> {
    let kind = match str_field(media, "type")? {
        "photo" => MediaKind::Photo,
        "video" => MediaKind::Video,
        "animated_gif" => MediaKind::AnimatedGif,
        _ => return None,
    };
    let url = non_empty_string(media, "media_url_https")
        .or_else(|| non_empty_string(media, "media_url"))?;
    Some(Media {
        url,
        kind,
        alt_text: non_empty_string(media, "ext_alt_text"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tweet(extra: Value) -> Value {
        let mut base = json!({
            "created_at": "Wed Oct 10 20:19:24 +0000 2018",
            "id": 1050118621198921728_u64,
            "id_str": "1050118621198921728",
            "text": "hello",
            "user": {"id": 6253282, "id_str": "6253282", "screen_name": "XDevelopers"},
            "lang": "en"
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        base
    }

    #[test]
    fn ids_come_from_id_str_never_the_numeric_id() {
        let post = post_from_tweet_v1(&tweet(json!({"id": 1.0501186211989217e18}))).unwrap();
        assert_eq!(post.id, "1050118621198921728");
        assert_eq!(post.author_id, "6253282");
        assert_eq!(post.author_username.as_deref(), Some("XDevelopers"));
    }

    #[test]
    fn a_tweet_without_id_str_has_no_post() {
        let mut t = tweet(json!({}));
        t.as_object_mut().unwrap().remove("id_str");
        assert_eq!(post_from_tweet_v1(&t), None);
        assert_eq!(
            post_from_tweet_v1(&tweet(json!({"user": {"id": 6253282}}))),
            None
        );
        assert_eq!(post_from_tweet_v1(&json!([1, 2])), None);
    }

    #[test]
    fn extended_text_is_used_when_truncated() {
        let post = post_from_tweet_v1(&tweet(json!({
            "text": "short… https://t.co/x",
            "truncated": true,
            "display_text_range": [0, 6],
            "extended_tweet": {"full_text": "short but actually long", "display_text_range": [0, 23]}
        })))
        .unwrap();
        assert_eq!(post.text, "short but actually long");
    }

    #[test]
    fn entities_media_is_the_fallback_when_there_are_no_extended_entities() {
        let post = post_from_tweet_v1(&tweet(json!({
            "entities": {"media": [{"type": "photo", "media_url_https": "https://pbs.twimg.com/media/a.jpg"}]}
        })))
        .unwrap();
        assert_eq!(post.media.len(), 1);
        assert_eq!(post.media[0].url, "https://pbs.twimg.com/media/a.jpg");
    }

    #[test]
    fn unknown_media_types_and_media_without_urls_are_skipped() {
        let post = post_from_tweet_v1(&tweet(json!({
            "extended_entities": {"media": [
                {"type": "hologram", "media_url_https": "https://pbs.twimg.com/media/a.jpg"},
                {"type": "photo"},
                {"type": "photo", "media_url_https": "https://pbs.twimg.com/media/b.jpg", "ext_alt_text": null}
            ]}
        })))
        .unwrap();
        assert_eq!(
            post.media,
            vec![Media {
                url: "https://pbs.twimg.com/media/b.jpg".into(),
                kind: MediaKind::Photo,
                alt_text: None
            }]
        );
    }

    #[test]
    fn a_bad_date_is_dropped_not_fatal() {
        let post = post_from_tweet_v1(&tweet(json!({"created_at": "soon"}))).unwrap();
        assert_eq!(post.created_at, None);
    }

    /// A reply to the bot: X puts `@starling_bot` before `display_text_range`, so it is the reply
    /// prefix, not a summons; `@friend` in the body is a real mention.
    fn reply_with_prefix(body_mentions_bot: bool) -> Value {
        let text = if body_mentions_bot {
            "@starling_bot thanks @friend and @Starling_Bot"
        } else {
            "@starling_bot thanks @friend"
        };
        let mut mentions = vec![
            json!({"id_str": "42", "screen_name": "starling_bot", "indices": [0, 13]}),
            json!({"id_str": "7", "screen_name": "friend", "indices": [21, 28]}),
        ];
        if body_mentions_bot {
            mentions
                .push(json!({"id_str": "42", "screen_name": "Starling_Bot", "indices": [33, 46]}));
        }
        tweet(json!({
            "text": text,
            "display_text_range": [14, text.chars().count()],
            "in_reply_to_status_id_str": "1",
            "entities": {"user_mentions": mentions}
        }))
    }

    #[test]
    fn a_mention_only_in_the_reply_prefix_does_not_summon() {
        let post = post_from_tweet_v1(&reply_with_prefix(false)).unwrap();
        assert_eq!(post.mentioned_user_ids, ["7"]);
        assert_eq!(post.mentioned_usernames, ["friend"]);
        assert!(!post.summons("42", Some("starling_bot")));
    }

    #[test]
    fn a_mention_in_the_body_summons_by_id_or_by_handle() {
        let post = post_from_tweet_v1(&reply_with_prefix(true)).unwrap();
        assert_eq!(post.mentioned_user_ids, ["7", "42"]);
        assert!(post.summons("42", None));
        let mut by_name = post.clone();
        by_name.mentioned_user_ids.clear();
        assert!(by_name.summons("nope", Some("@STARLING_bot")));
        assert!(!by_name.summons("nope", None));
    }

    #[test]
    fn a_longform_tweet_reads_its_mentions_from_extended_tweet() {
        let t = tweet(json!({
            "truncated": true,
            "text": "long…",
            "entities": {"user_mentions": []},
            "extended_tweet": {
                "full_text": "hey @starling_bot look",
                "display_text_range": [0, 22],
                "entities": {"user_mentions": [{"id_str": "42", "screen_name": "starling_bot", "indices": [4, 17]}]}
            }
        }));
        assert!(post_from_tweet_v1(&t).unwrap().summons("42", None));
    }

    #[test]
    fn quoting_the_bots_post_summons_it() {
        let t = tweet(json!({
            "is_quote_status": true,
            "quoted_status": {"id_str": "5", "text": "a joke", "user": {"id_str": "42"}}
        }));
        let post = post_from_tweet_v1(&t).unwrap();
        assert_eq!(post.quoted_author_id.as_deref(), Some("42"));
        assert!(post.summons("42", None));
        assert!(!post.summons("43", None));
    }
}
