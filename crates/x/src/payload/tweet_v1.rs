//! The v1.1 tweet object (Account Activity `tweet_create_events`) → [`Post`].
//!
//! Followed: X's Account Activity introduction ("Support for longform posts": `truncated`,
//! `extended_tweet.full_text`, `extended_tweet.display_text_range`) and the enterprise data dictionary
//! (`id_str` over `id`, `created_at` format, `extended_entities` preferred over `entities.media` because
//! `entities.media` holds only the first photo and always says `photo`, `media_url_https`, `ext_alt_text`,
//! `in_reply_to_status_id_str`, `retweeted_status` vs `quoted_status`).

use serde_json::Value;

use super::text::{display_text, non_empty_string, range, str_field, v1_date_to_rfc3339};
use super::{Media, MediaKind, Post};

/// Normalises a v1.1 tweet object. `None` when it lacks what a post needs: a string `id_str`, text,
/// and an author with a string `id_str`.
pub fn post_from_tweet_v1(tweet: &Value) -> Option<Post> {
    let id = non_empty_string(tweet, "id_str")?;
    let user = tweet.get("user")?;
    let author_id = non_empty_string(user, "id_str")?;
    let text = tweet_text(tweet)?;
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
    })
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
}
