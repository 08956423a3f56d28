//! The X API v2 post object plus its `includes` (X Activity API and filtered-stream webhooks) → [`Post`].
//!
//! Followed: X's v2 data dictionary (`x-api/fundamentals/data-dictionary`: `id`, `text`, `author_id`,
//! `lang`, `created_at`, `display_text_range`, `note_tweet` for posts over 280 characters,
//! `referenced_tweets`, `attachments.media_keys`; media `type`, `url`, `preview_image_url`,
//! `alt_text`), the expansions guide (`includes.users`, `includes.media`), and the X Activity API
//! event payloads (`in_reply_to_tweet_id`; `includes.users` entries sometimes wrapped as `{"data": user}`).

use serde_json::Value;

use super::text::{display_text, non_empty_string, normalise_rfc3339, range, str_field};
use super::{Media, MediaKind, Post, body_mentions};

/// Normalises a v2 post, resolving its author's username and its media against `includes`.
/// `None` when the post lacks a string `id`, a string `text` (or `note_tweet.text`) or a string `author_id`.
pub fn post_from_v2(post: &Value, includes: Option<&Value>) -> Option<Post> {
    let id = non_empty_string(post, "id")?;
    let author_id = non_empty_string(post, "author_id")?;
    let text = post_text(post)?;
    let mentions = body_mentions_v2(post);
    Some(Post {
        author_username: username(includes, &author_id),
        id,
        text,
        author_id,
        lang: non_empty_string(post, "lang"),
        created_at: str_field(post, "created_at").and_then(normalise_rfc3339),
        media: media(post, includes),
        is_retweet: referenced(post, "retweeted").is_some(),
        in_reply_to_post_id: referenced(post, "replied_to")
            .or_else(|| non_empty_string(post, "in_reply_to_tweet_id")),
        mentioned_user_ids: mentions.0,
        mentioned_usernames: mentions.1,
        quoted_author_id: referenced(post, "quoted")
            .and_then(|quoted| included_post_author(includes, &quoted)),
        conversation_id: non_empty_string(post, "conversation_id"),
    })
}

/// A page of an X API v2 read (`{"data": [posts], "includes": {…}, "meta": {…}}`) split into one
/// body per post, in the page's order, each shaped as a filtered-stream delivery
/// (`{"data": post, "includes": …}`) with only the `includes` that post refers to (its author,
/// its media, the posts it references and their authors), so each maps on its own through
/// [`crate::payload::parse_delivery_value`] exactly as a pushed post does.
pub fn split_page(page: &Value) -> Vec<Value> {
    let Some(posts) = page.get("data").and_then(Value::as_array) else {
        return Vec::new();
    };
    let includes = page.get("includes");
    let listed = |kind: &str| -> Vec<&Value> {
        includes
            .and_then(|i| i.get(kind))
            .and_then(Value::as_array)
            .map(|list| list.iter().collect())
            .unwrap_or_default()
    };
    let (users, media, tweets) = (listed("users"), listed("media"), listed("tweets"));
    posts
        .iter()
        .map(|post| {
            let referenced: Vec<&str> = post
                .get("referenced_tweets")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(|r| str_field(r, "id")).collect())
                .unwrap_or_default();
            let own_tweets: Vec<Value> = tweets
                .iter()
                .filter(|t| str_field(t, "id").is_some_and(|id| referenced.contains(&id)))
                .map(|t| (*t).clone())
                .collect();
            let mut authors: Vec<&str> = str_field(post, "author_id").into_iter().collect();
            authors.extend(own_tweets.iter().filter_map(|t| str_field(t, "author_id")));
            let own_users: Vec<Value> = users
                .iter()
                .filter(|u| str_field(u, "id").is_some_and(|id| authors.contains(&id)))
                .map(|u| (*u).clone())
                .collect();
            let keys: Vec<&str> = post
                .get("attachments")
                .and_then(|a| a.get("media_keys"))
                .and_then(Value::as_array)
                .map(|k| k.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let own_media: Vec<Value> = media
                .iter()
                .filter(|m| str_field(m, "media_key").is_some_and(|k| keys.contains(&k)))
                .map(|m| (*m).clone())
                .collect();
            let mut own = serde_json::Map::new();
            for (name, list) in [
                ("users", own_users),
                ("media", own_media),
                ("tweets", own_tweets),
            ] {
                if !list.is_empty() {
                    own.insert(name.into(), Value::Array(list));
                }
            }
            let mut body = serde_json::Map::new();
            body.insert("data".into(), post.clone());
            if !own.is_empty() {
                body.insert("includes".into(), Value::Object(own));
            }
            Value::Object(body)
        })
        .collect()
}

/// `entities.mentions` (`start`, `username`, `id`) outside the reply prefix.
fn body_mentions_v2(post: &Value) -> (Vec<String>, Vec<String>) {
    let display_start = range(post.get("display_text_range")).map_or(0, |(start, _)| start);
    body_mentions(
        post.get("entities").and_then(|e| e.get("mentions")),
        display_start,
        |m| {
            m.get("start")
                .and_then(Value::as_u64)
                .and_then(|s| usize::try_from(s).ok())
        },
        "id",
        "username",
    )
}

/// The author of the post `id` in `includes.tweets` (the expansion `referenced_tweets.id`).
fn included_post_author(includes: Option<&Value>, id: &str) -> Option<String> {
    includes?
        .get("tweets")?
        .as_array()?
        .iter()
        .map(|t| t.get("data").filter(|d| d.is_object()).unwrap_or(t))
        .find(|t| str_field(t, "id") == Some(id))
        .and_then(|t| non_empty_string(t, "author_id"))
}

/// `note_tweet.text` (the whole of a long post) when present, else `text` with its
/// `display_text_range` (which describes `text`, not the note), entities decoded.
fn post_text(post: &Value) -> Option<String> {
    if let Some(note) = post.get("note_tweet").and_then(|n| str_field(n, "text")) {
        return Some(display_text(note, None));
    }
    let text = str_field(post, "text")?;
    Some(display_text(text, range(post.get("display_text_range"))))
}

/// The id of the first `referenced_tweets` entry of the given type.
fn referenced(post: &Value, kind: &str) -> Option<String> {
    post.get("referenced_tweets")?
        .as_array()?
        .iter()
        .find(|r| str_field(r, "type") == Some(kind))
        .and_then(|r| non_empty_string(r, "id"))
}

/// The author's username from `includes.users` (plain user objects or `{"data": user}` wrappers).
fn username(includes: Option<&Value>, author_id: &str) -> Option<String> {
    includes?
        .get("users")?
        .as_array()?
        .iter()
        .map(|u| u.get("data").filter(|d| d.is_object()).unwrap_or(u))
        .find(|u| str_field(u, "id") == Some(author_id))
        .and_then(|u| non_empty_string(u, "username"))
}

/// The post's `attachments.media_keys`, in order, resolved against `includes.media`.
fn media(post: &Value, includes: Option<&Value>) -> Vec<Media> {
    let Some(keys) = post
        .get("attachments")
        .and_then(|a| a.get("media_keys"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let Some(included) = includes
        .and_then(|i| i.get("media"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(Value::as_str)
        .filter_map(|key| {
            included
                .iter()
                .find(|m| str_field(m, "media_key") == Some(key))
        })
        .filter_map(media_item)
        .collect()
}

/// One v2 media object: photos by `url`, videos and GIFs by `preview_image_url`.
fn media_item(media: &Value) -> Option<Media> {
    let (kind, url_field) = match str_field(media, "type")? {
        "photo" => (MediaKind::Photo, "url"),
        "video" => (MediaKind::Video, "preview_image_url"),
        "animated_gif" => (MediaKind::AnimatedGif, "preview_image_url"),
        _ => return None,
    };
    let url = non_empty_string(media, url_field)?;
    Some(Media {
        url,
        kind,
        alt_text: non_empty_string(media, "alt_text"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod split_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_splits_into_one_body_per_post_with_only_its_own_includes() {
        let page = json!({
            "data": [
                {"id": "2", "author_id": "10", "text": "@bot look", "attachments": {"media_keys": ["3_1"]}},
                {"id": "1", "author_id": "11", "text": "@bot hi", "referenced_tweets": [{"type": "quoted", "id": "9"}]}
            ],
            "includes": {
                "users": [{"id": "10", "username": "ada"}, {"id": "11", "username": "bo"}, {"id": "12", "username": "bot"}],
                "media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg"}],
                "tweets": [{"id": "9", "author_id": "12", "text": "the bot's post"}]
            },
            "meta": {"newest_id": "2", "oldest_id": "1", "result_count": 2}
        });
        let bodies = split_page(&page);
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[0]["data"]["id"], "2");
        assert_eq!(
            bodies[0]["includes"]["users"],
            json!([{"id": "10", "username": "ada"}])
        );
        assert_eq!(bodies[0]["includes"]["media"][0]["media_key"], "3_1");
        assert!(bodies[0]["includes"].get("tweets").is_none());
        assert_eq!(
            bodies[1]["includes"]["users"],
            json!([{"id": "11", "username": "bo"}, {"id": "12", "username": "bot"}])
        );
        let post = post_from_v2(&bodies[1]["data"], bodies[1].get("includes")).unwrap();
        assert_eq!(post.author_username.as_deref(), Some("bo"));
        assert_eq!(post.quoted_author_id.as_deref(), Some("12"));
        assert!(split_page(&json!({"meta": {"result_count": 0}})).is_empty());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn note_tweet_text_wins_over_the_truncated_text() {
        let post = post_from_v2(
            &json!({"id": "1", "author_id": "2", "text": "short…", "note_tweet": {"text": "the whole long post"}}),
            None,
        )
        .unwrap();
        assert_eq!(post.text, "the whole long post");
    }

    #[test]
    fn wrapped_users_resolve_the_username() {
        let includes = json!({"users": [{"data": {"id": "2", "username": "OtherUser"}}]});
        let post = post_from_v2(
            &json!({"id": "1", "author_id": "2", "text": "hi"}),
            Some(&includes),
        )
        .unwrap();
        assert_eq!(post.author_username.as_deref(), Some("OtherUser"));
    }

    #[test]
    fn numeric_ids_are_not_accepted() {
        assert_eq!(
            post_from_v2(&json!({"id": 1, "author_id": "2", "text": "hi"}), None),
            None
        );
        assert_eq!(post_from_v2(&json!({"id": "1", "text": "hi"}), None), None);
    }

    #[test]
    fn reply_falls_back_to_in_reply_to_tweet_id() {
        let post = post_from_v2(
            &json!({"id": "1", "author_id": "2", "text": "hi", "in_reply_to_tweet_id": "9"}),
            None,
        )
        .unwrap();
        assert_eq!(post.in_reply_to_post_id.as_deref(), Some("9"));
    }

    #[test]
    fn media_keys_missing_from_includes_are_skipped() {
        let includes = json!({"media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg"}]});
        let post = post_from_v2(
            &json!({"id": "1", "author_id": "2", "text": "hi", "attachments": {"media_keys": ["3_0", "3_1", 7]}}),
            Some(&includes),
        )
        .unwrap();
        assert_eq!(post.media.len(), 1);
        assert_eq!(post.media[0].url, "https://pbs.twimg.com/media/a.jpg");
    }

    #[test]
    fn mentions_conversation_and_quoted_author_come_from_entities_and_includes() {
        let post = json!({
            "id": "100", "author_id": "7", "conversation_id": "90",
            "text": "@starling_bot hi @other and @starling_bot",
            "display_text_range": [14, 41],
            "entities": {"mentions": [
                {"start": 0, "end": 13, "username": "starling_bot", "id": "42"},
                {"start": 17, "end": 23, "username": "other", "id": "8"},
                {"start": 28, "end": 41, "username": "starling_bot", "id": "42"}
            ]},
            "referenced_tweets": [{"type": "quoted", "id": "55"}]
        });
        let includes = json!({"tweets": [{"id": "55", "author_id": "42", "text": "q"}]});
        let p = post_from_v2(&post, Some(&includes)).unwrap();
        assert_eq!(p.mentioned_user_ids, ["8", "42"]);
        assert_eq!(p.mentioned_usernames, ["other", "starling_bot"]);
        assert_eq!(p.conversation_id.as_deref(), Some("90"));
        assert_eq!(p.quoted_author_id.as_deref(), Some("42"));
        assert!(p.summons("42", None));
    }

    #[test]
    fn a_reply_whose_only_bot_mention_is_the_prefix_does_not_summon() {
        let post = json!({
            "id": "100", "author_id": "7", "text": "@starling_bot thanks",
            "display_text_range": [14, 20],
            "entities": {"mentions": [{"start": 0, "end": 13, "username": "starling_bot", "id": "42"}]},
            "referenced_tweets": [{"type": "replied_to", "id": "99"}]
        });
        let p = post_from_v2(&post, None).unwrap();
        assert!(p.mentioned_user_ids.is_empty());
        assert!(!p.summons("42", Some("starling_bot")));
    }
}
