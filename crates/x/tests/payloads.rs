//! Behaviour of `parse_delivery` on realistic deliveries built from X's documented examples
//! (fixtures under `tests/fixtures/`, named for what they are).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use proptest::prelude::*;
use serde_json::{Value, json};
use starling_x::payload::{
    ActivityItem, ActivityKind, Delivery, DeliverySource, Media, MediaKind, Post, parse_delivery,
    parse_delivery_value,
};

const BOT: &str = "1603419180975409153";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> Delivery {
    parse_delivery(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn raw(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// The only item of a delivery.
fn only(delivery: &Delivery) -> &ActivityItem {
    assert_eq!(delivery.items.len(), 1, "{:#?}", delivery.items);
    &delivery.items[0]
}

fn only_post(name: &str) -> Post {
    only(&parse(name))
        .post
        .clone()
        .unwrap_or_else(|| panic!("{name}: no post"))
}

fn kinds(delivery: &Delivery) -> Vec<ActivityKind> {
    delivery.items.iter().map(|i| i.kind.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// Account Activity: every key → its kind
// ---------------------------------------------------------------------------------------------

#[test]
fn each_of_the_thirteen_account_activity_keys_maps_to_its_kind_in_delivery_order() {
    let delivery = parse("account_activity_all_kinds");
    assert_eq!(delivery.source, DeliverySource::AccountActivity);
    assert_eq!(delivery.for_user_id.as_deref(), Some(BOT));
    assert_eq!(
        kinds(&delivery),
        vec![
            ActivityKind::Tweeted,
            ActivityKind::Favourited,
            ActivityKind::Followed,
            ActivityKind::Unfollowed,
            ActivityKind::Blocked,
            ActivityKind::Unblocked,
            ActivityKind::Muted,
            ActivityKind::Unmuted,
            ActivityKind::PermissionRevoked,
            ActivityKind::DmReceived,
            ActivityKind::DmTyping,
            ActivityKind::DmMarkedRead,
            ActivityKind::Deleted,
        ]
    );
}

#[test]
fn each_documented_single_activity_delivery_maps_to_its_kind() {
    let cases = [
        ("account_activity_tweet_create_video", ActivityKind::Tweeted),
        ("account_activity_favorite", ActivityKind::Favourited),
        ("account_activity_follow", ActivityKind::Followed),
        ("account_activity_unfollow", ActivityKind::Unfollowed),
        ("account_activity_block", ActivityKind::Blocked),
        ("account_activity_unblock", ActivityKind::Unblocked),
        ("account_activity_mute", ActivityKind::Muted),
        ("account_activity_unmute", ActivityKind::Unmuted),
        (
            "account_activity_user_event_revoke",
            ActivityKind::PermissionRevoked,
        ),
        ("account_activity_direct_message", ActivityKind::DmReceived),
        (
            "account_activity_direct_message_indicate_typing",
            ActivityKind::DmTyping,
        ),
        (
            "account_activity_direct_message_mark_read",
            ActivityKind::DmMarkedRead,
        ),
        ("account_activity_tweet_delete", ActivityKind::Deleted),
    ];
    for (name, kind) in cases {
        let delivery = parse(name);
        assert_eq!(only(&delivery).kind, kind, "{name}");
        assert_eq!(delivery.source, DeliverySource::AccountActivity, "{name}");
    }
}

#[test]
fn detail_types_follow_the_kinds() {
    assert_eq!(
        ActivityKind::DmMarkedRead.detail_type(),
        "TWITTER_DM_MARKED_READ"
    );
    assert_eq!(
        ActivityKind::Unknown("x".into()).detail_type(),
        "TWITTER_UNKNOWN"
    );
}

#[test]
fn unfollow_unblock_and_unmute_inside_the_follow_block_and_mute_arrays_map_by_type() {
    for (name, array, kind) in [
        (
            "account_activity_unfollow",
            "follow_events",
            ActivityKind::Unfollowed,
        ),
        (
            "account_activity_unblock",
            "block_events",
            ActivityKind::Unblocked,
        ),
        (
            "account_activity_unmute",
            "mute_events",
            ActivityKind::Unmuted,
        ),
    ] {
        let body = raw(name);
        assert!(body.get(array).is_some(), "{name} delivers inside {array}");
        assert_eq!(only(&parse(name)).kind, kind, "{name}");
    }
}

#[test]
fn a_type_field_overrides_the_array_it_arrived_in() {
    let body = json!({"for_user_id": BOT, "follow_events": [
        {"type": "follow", "source": {}, "target": {}},
        {"type": "unfollow", "source": {}, "target": {}},
        {"source": {}, "target": {}},
        {"type": "something-new", "source": {}, "target": {}}
    ]});
    let delivery = parse_delivery(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        kinds(&delivery),
        vec![
            ActivityKind::Followed,
            ActivityKind::Unfollowed,
            ActivityKind::Followed,
            ActivityKind::Followed
        ]
    );
}

#[test]
fn permission_revoked_is_the_user_event_object_untouched() {
    let delivery = parse("account_activity_user_event_revoke");
    let item = only(&delivery);
    assert_eq!(
        item.raw,
        raw("account_activity_user_event_revoke")["user_event"]
    );
    assert!(item.raw.get("revoke").is_some());
    assert_eq!(delivery.for_user_id, None);
}

#[test]
fn raw_items_are_the_array_elements_exactly_as_sent() {
    let body = raw("account_activity_direct_message");
    let delivery = parse("account_activity_direct_message");
    assert_eq!(only(&delivery).raw, body["direct_message_events"][0]);
    assert_eq!(only(&delivery).post, None);
}

#[test]
fn bookkeeping_keys_are_not_activities() {
    // `users` and `apps` (DM lookups) and `user_has_blocked` (mentions) describe the delivery.
    assert_eq!(parse("account_activity_direct_message").items.len(), 1);
    assert_eq!(
        parse("account_activity_direct_message_indicate_typing")
            .items
            .len(),
        1
    );
    assert_eq!(parse("account_activity_tweet_create_video").items.len(), 1);
}

#[test]
fn an_unknown_key_is_kept_as_one_unknown_item_with_its_value() {
    let delivery = parse("account_activity_replay_job_status");
    let item = only(&delivery);
    assert_eq!(item.kind, ActivityKind::Unknown("replay_job_status".into()));
    assert_eq!(
        item.raw,
        raw("account_activity_replay_job_status")["replay_job_status"]
    );

    let body = json!({"for_user_id": BOT, "tweet_edit_events": [{"a": 1}, {"b": 2}], "favorite_events": []});
    let delivery = parse_delivery(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        only(&delivery).kind,
        ActivityKind::Unknown("tweet_edit_events".into())
    );
    assert_eq!(only(&delivery).raw, json!([{"a": 1}, {"b": 2}]));
}

#[test]
fn unknown_keys_keep_their_place_in_delivery_order() {
    let body = br#"{"zebra_events": [], "tweet_delete_events": [{"status": {"id": "1", "user_id": "2"}}], "aardvark": 1}"#;
    let delivery = parse_delivery(body).unwrap();
    assert_eq!(
        kinds(&delivery),
        vec![
            ActivityKind::Unknown("zebra_events".into()),
            ActivityKind::Deleted,
            ActivityKind::Unknown("aardvark".into()),
        ]
    );
}

#[test]
fn a_malformed_tweet_is_published_raw_without_a_post_and_the_rest_still_parse() {
    let delivery = parse("account_activity_tweet_create_one_missing_id_str");
    assert_eq!(
        kinds(&delivery),
        vec![ActivityKind::Tweeted, ActivityKind::Tweeted]
    );
    assert_eq!(delivery.items[0].post, None);
    assert_eq!(
        delivery.items[0].raw,
        raw("account_activity_tweet_create_one_missing_id_str")["tweet_create_events"][0]
    );
    assert_eq!(
        delivery.items[1].post.as_ref().unwrap().id,
        "1924480000000000003"
    );
}

#[test]
fn an_activity_key_holding_an_object_instead_of_an_array_is_still_published() {
    let body = json!({"for_user_id": BOT, "tweet_create_events": {"id_str": "1", "text": "hi", "user": {"id_str": "2"}}});
    let delivery = parse_delivery(body.to_string().as_bytes()).unwrap();
    assert_eq!(only(&delivery).kind, ActivityKind::Tweeted);
    assert_eq!(only(&delivery).post.as_ref().unwrap().id, "1");
}

#[test]
fn a_non_object_body_is_an_error_and_an_empty_object_has_no_items() {
    assert!(parse_delivery(b"not json").is_err());
    assert!(parse_delivery(b"[1,2]").is_err());
    assert!(parse_delivery(b"\"x\"").is_err());
    assert!(parse_delivery(b"{}").unwrap().items.is_empty());
}

// ---------------------------------------------------------------------------------------------
// v1.1 tweets
// ---------------------------------------------------------------------------------------------

#[test]
fn a_longform_tweet_uses_the_extended_full_text_in_its_display_range_with_entities_decoded() {
    let post = only_post("account_activity_tweet_create_extended_with_photos");
    // Range [14, 256] drops the leading "@starling_bot " and the trailing media link. It counts code
    // points of the text as sent: the emoji before the end make byte or UTF-16 counting land
    // elsewhere, and `&amp;` / `&lt;` count as escaped (decoding first would cut "#birds" short).
    assert_eq!(
        post.text,
        "Two photos from the harbour this morning & a question: what birds are these? 🐦🌊 They sat on the pier by \
         the lighthouse for an hour <3 and nobody I asked knew. The grey one has a black cap, the other a long \
         orange beak. Any idea? #birds"
    );
    assert_eq!(
        post.in_reply_to_post_id.as_deref(),
        Some("1924460000000000000")
    );
}

#[test]
fn a_longform_tweet_keeps_all_photos_with_their_alt_text() {
    let post = only_post("account_activity_tweet_create_extended_with_photos");
    assert_eq!(
        post.media,
        vec![
            Media {
                url: "https://pbs.twimg.com/media/GrEyTeRnAAA1xyz.jpg".into(),
                kind: MediaKind::Photo,
                alt_text: Some("A grey tern with a black cap on a wooden pier".into()),
            },
            Media {
                url: "https://pbs.twimg.com/media/OyStErCaTcH2abc.jpg".into(),
                kind: MediaKind::Photo,
                alt_text: Some("An oystercatcher with a long orange beak".into()),
            },
        ]
    );
}

#[test]
fn tweet_ids_are_the_id_str_strings_not_the_lossy_numbers() {
    let body = raw("account_activity_tweet_create_extended_with_photos");
    // X's own example carries a numeric id that has lost precision.
    assert_eq!(
        body["tweet_create_events"][0]["id"],
        json!(1924465506158879000_u64)
    );
    let post = only_post("account_activity_tweet_create_extended_with_photos");
    assert_eq!(post.id, "1924465506158878979");
    assert_eq!(post.author_id, "3001969357");
    assert_eq!(post.author_username.as_deref(), Some("furiouscamper"));
}

#[test]
fn x_dates_become_rfc3339() {
    let post = only_post("account_activity_tweet_create_extended_with_photos");
    assert_eq!(post.created_at.as_deref(), Some("2025-05-19T14:01:46.000Z"));
    assert_eq!(post.lang.as_deref(), Some("en"));
}

#[test]
fn a_video_is_represented_by_its_thumbnail() {
    let post = only_post("account_activity_tweet_create_video");
    assert_eq!(post.media, vec![Media {
        url: "https://pbs.twimg.com/ext_tw_video_thumb/1924469990000000000/pu/img/Vt9hUmBnAiL1.jpg".into(),
        kind: MediaKind::Video,
        alt_text: None,
    }]);
    // display_text_range [0, 45] leaves the trailing media link out.
    assert_eq!(post.text, "@starling_bot what is happening in this clip?");
}

#[test]
fn an_animated_gif_is_represented_by_its_thumbnail_with_alt_text() {
    let post = only_post("account_activity_tweet_create_animated_gif");
    assert_eq!(
        post.media,
        vec![Media {
            url: "https://pbs.twimg.com/tweet_video_thumb/GiFdAnCe9xY.jpg".into(),
            kind: MediaKind::AnimatedGif,
            alt_text: Some("A cat dancing on a kitchen table".into()),
        }]
    );
    assert_eq!(post.text, "@starling_bot rate this dance 💃");
    assert_eq!(MediaKind::AnimatedGif.as_str(), "animated_gif");
}

#[test]
fn a_plain_retweet_is_marked_and_a_quote_tweet_is_not() {
    let retweet = only_post("account_activity_retweet");
    assert!(retweet.is_retweet);
    assert_eq!(retweet.author_username.as_deref(), Some("starling_bot"));
    let quote = only_post("account_activity_quote_tweet");
    assert!(!quote.is_retweet);
    assert_eq!(quote.text, "This is great news & long overdue 🎉");
}

#[test]
fn favourites_and_other_activities_carry_no_post() {
    for name in [
        "account_activity_favorite",
        "account_activity_follow",
        "account_activity_tweet_delete",
    ] {
        assert_eq!(only(&parse(name)).post, None, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// X Activity API
// ---------------------------------------------------------------------------------------------

#[test]
fn an_xaa_mention_is_tweeted_with_a_v2_post() {
    let delivery = parse("x_activity_post_mention");
    assert_eq!(delivery.source, DeliverySource::XActivity);
    assert_eq!(delivery.for_user_id.as_deref(), Some("1111111111111111111"));
    let item = only(&delivery);
    assert_eq!(item.kind, ActivityKind::Tweeted);
    assert_eq!(item.raw, raw("x_activity_post_mention")["data"]);
    assert_eq!(
        item.post,
        Some(Post {
            id: "2080765813578191303".into(),
            text: "hey @ExampleUser".into(),
            author_id: "2222222222222222222".into(),
            author_username: Some("OtherUser".into()),
            lang: Some("und".into()),
            created_at: Some("2026-07-24T21:23:23.000Z".into()),
            media: vec![],
            is_retweet: false,
            in_reply_to_post_id: None,
            mentioned_user_ids: vec!["1111111111111111111".into()],
            mentioned_usernames: vec!["exampleuser".into()],
            quoted_author_id: None,
            conversation_id: Some("2080765813578191303".into()),
        })
    );
    // X's own sample mention summons the account it was delivered for.
    assert!(
        item.post
            .as_ref()
            .is_some_and(|p| p.summons("1111111111111111111", None))
    );
}

#[test]
fn xaa_post_events_cover_create_reply_quote_and_repost() {
    let created = only_post("x_activity_post_create");
    assert_eq!(created.text, "Hello from the Activity API");
    assert_eq!(created.author_username.as_deref(), Some("ExampleUser"));

    let reply = only_post("x_activity_post_reply");
    assert_eq!(
        reply.in_reply_to_post_id.as_deref(),
        Some("2080761390344937796")
    );
    assert_eq!(reply.text, "Great post — thanks for sharing!");

    let quote = only_post("x_activity_post_quote");
    assert!(!quote.is_retweet);

    let repost = only_post("x_activity_post_repost");
    assert!(repost.is_retweet);
}

#[test]
fn xaa_event_types_map_to_their_kinds() {
    let cases = [
        ("x_activity_post_delete", ActivityKind::Deleted),
        ("x_activity_like", ActivityKind::Favourited),
        ("x_activity_follow", ActivityKind::Followed),
        ("x_activity_unfollow", ActivityKind::Unfollowed),
        ("x_activity_dm_received", ActivityKind::DmReceived),
        ("x_activity_dm_sent", ActivityKind::DmReceived),
        ("x_activity_chat_received", ActivityKind::DmReceived),
        ("x_activity_oauth_revoke", ActivityKind::PermissionRevoked),
    ];
    for (name, kind) in cases {
        let delivery = parse(name);
        assert_eq!(delivery.source, DeliverySource::XActivity, "{name}");
        assert_eq!(only(&delivery).kind, kind, "{name}");
        assert_eq!(only(&delivery).post, None, "{name}");
    }
}

#[test]
fn xaa_event_types_without_a_documented_sample_map_too() {
    // Mute, block, read and typing events are documented without samples ("same shape as follow").
    let follow = raw("x_activity_follow");
    for (event_type, kind) in [
        ("mute.mute", ActivityKind::Muted),
        ("mute.unmute", ActivityKind::Unmuted),
        ("block.block", ActivityKind::Blocked),
        ("block.unblock", ActivityKind::Unblocked),
        ("dm.read", ActivityKind::DmMarkedRead),
        ("dm.indicate_typing", ActivityKind::DmTyping),
    ] {
        let mut body = follow.clone();
        body["data"]["event_type"] = json!(event_type);
        let delivery = parse_delivery(body.to_string().as_bytes()).unwrap();
        assert_eq!(only(&delivery).kind, kind, "{event_type}");
    }
}

#[test]
fn unknown_xaa_event_types_are_kept_under_their_name() {
    for (name, event_type) in [
        ("x_activity_profile_update_bio", "profile.update.bio"),
        ("x_activity_news_new", "news.new"),
    ] {
        let delivery = parse(name);
        assert_eq!(
            only(&delivery).kind,
            ActivityKind::Unknown(event_type.into()),
            "{name}"
        );
        assert_eq!(only(&delivery).raw, raw(name)["data"]);
    }
}

#[test]
fn an_xaa_revoke_with_an_empty_filter_has_no_subscribed_user() {
    assert_eq!(parse("x_activity_oauth_revoke").for_user_id, None);
}

#[test]
fn an_xaa_post_without_an_id_is_published_without_a_post() {
    let mut body = raw("x_activity_post_mention");
    body["data"]["payload"]
        .as_object_mut()
        .unwrap()
        .remove("id");
    let delivery = parse_delivery(body.to_string().as_bytes()).unwrap();
    assert_eq!(only(&delivery).kind, ActivityKind::Tweeted);
    assert_eq!(only(&delivery).post, None);
}

// ---------------------------------------------------------------------------------------------
// Filtered-stream webhooks
// ---------------------------------------------------------------------------------------------

#[test]
fn the_documented_filtered_stream_delivery_is_a_tweeted_post() {
    let delivery = parse("filtered_stream_post");
    assert_eq!(delivery.source, DeliverySource::FilteredStream);
    assert_eq!(delivery.for_user_id, None);
    let item = only(&delivery);
    assert_eq!(item.kind, ActivityKind::Tweeted);
    assert_eq!(item.raw, raw("filtered_stream_post"));
    let post = item.post.clone().unwrap();
    assert_eq!(post.id, "1346889436626259968");
    assert_eq!(post.author_id, "2244994945");
    assert_eq!(post.author_username.as_deref(), Some("Xdevelopers"));
    assert_eq!(post.created_at.as_deref(), Some("2021-01-06T18:40:40.000Z"));
}

#[test]
fn filtered_stream_photos_resolve_in_attachment_order_with_alt_text() {
    let post = only_post("filtered_stream_post_with_photos");
    assert_eq!(
        post.media,
        vec![
            Media {
                url: "https://pbs.twimg.com/media/GrEyTeRnAAA1xyz.jpg".into(),
                kind: MediaKind::Photo,
                alt_text: Some("A grey tern with a black cap on a wooden pier".into()),
            },
            Media {
                url: "https://pbs.twimg.com/media/OyStErCaTcH2abc.jpg".into(),
                kind: MediaKind::Photo,
                alt_text: Some("An oystercatcher with a long orange beak".into()),
            },
        ]
    );
    assert_eq!(post.author_username.as_deref(), Some("furiouscamper"));
}

#[test]
fn filtered_stream_videos_and_gifs_use_their_preview_images() {
    let video = only_post("filtered_stream_post_with_video");
    assert_eq!(video.media, vec![Media {
        url: "https://pbs.twimg.com/ext_tw_video_thumb/1293565706408038401/pu/img/66P2dvbU4a02jYbV.jpg".into(),
        kind: MediaKind::Video,
        alt_text: None,
    }]);
    let gif = only_post("filtered_stream_post_with_animated_gif");
    assert_eq!(
        gif.media,
        vec![Media {
            url: "https://pbs.twimg.com/tweet_video_thumb/GiFdAnCe9xY.jpg".into(),
            kind: MediaKind::AnimatedGif,
            alt_text: Some("A cat dancing on a kitchen table".into()),
        }]
    );
}

#[test]
fn a_long_filtered_stream_post_uses_its_note_text_decoded() {
    let post = only_post("filtered_stream_long_post");
    assert!(
        post.text.ends_with("on the pier. & that is all."),
        "{}",
        post.text
    );
    assert!(!post.text.contains('…'));
}

#[test]
fn filtered_stream_replies_retweets_and_quotes() {
    let reply = only_post("filtered_stream_reply");
    assert_eq!(
        reply.in_reply_to_post_id.as_deref(),
        Some("1924460000000000000")
    );
    assert_eq!(reply.text, "@starling_bot fish & chips <3");
    assert!(!reply.is_retweet);
    assert!(only_post("filtered_stream_retweet").is_retweet);
    assert!(!only_post("filtered_stream_quote").is_retweet);
}

#[test]
fn parse_delivery_value_agrees_with_parse_delivery() {
    for name in [
        "x_activity_post_mention",
        "filtered_stream_post_with_photos",
        "account_activity_direct_message",
    ] {
        assert_eq!(
            parse_delivery_value(&raw(name)),
            Some(parse(name)),
            "{name}"
        );
    }
    assert_eq!(parse_delivery_value(&json!([1])), None);
}

// ---------------------------------------------------------------------------------------------
// Never panics
// ---------------------------------------------------------------------------------------------

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("for_user_id".to_owned()),
        Just("tweet_create_events".to_owned()),
        Just("follow_events".to_owned()),
        Just("user_event".to_owned()),
        Just("data".to_owned()),
        Just("includes".to_owned()),
        Just("payload".to_owned()),
        Just("event_type".to_owned()),
        Just("id_str".to_owned()),
        Just("id".to_owned()),
        Just("text".to_owned()),
        Just("extended_tweet".to_owned()),
        Just("display_text_range".to_owned()),
        Just("attachments".to_owned()),
        Just("media_keys".to_owned()),
        Just("media".to_owned()),
        Just("user".to_owned()),
        Just("type".to_owned()),
        "[a-z_]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("post.mention.create")),
        Just(json!("Wed Oct 10 20:19:24 +0000 2018")),
        Just(json!("&amp;&lt;😀")),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_delivery(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        let body = value.to_string();
        let _ = parse_delivery(body.as_bytes());
        let wrapped = json!({"data": value.clone(), "includes": value.clone(), "tweet_create_events": [value.clone()]});
        let _ = parse_delivery(wrapped.to_string().as_bytes());
        let xaa = json!({"data": {"event_type": "post.create", "payload": value.clone(), "includes": value}});
        let _ = parse_delivery(xaa.to_string().as_bytes());
    }

    #[test]
    fn every_object_key_of_an_account_activity_body_is_accounted_for(value in arbitrary_json()) {
        // Compare with what the body reads back as: serde_json does not round-trip every float exactly.
        let body = value.to_string();
        let value: Value = serde_json::from_str(&body).unwrap();
        if let Value::Object(map) = &value {
            if map.contains_key("data") { return Ok(()); }
            let delivery = parse_delivery(body.as_bytes()).unwrap();
            let bookkeeping = ["for_user_id", "user_has_blocked", "is_blocked_by", "users", "apps"];
            for (key, v) in map {
                if bookkeeping.contains(&key.as_str()) { continue; }
                let raws: Vec<&Value> = delivery.items.iter().map(|i| &i.raw).collect();
                // Kept whole (unknown keys, `user_event`, odd shapes) or element by element (activity arrays).
                let kept = raws.contains(&v)
                    || v.as_array().is_some_and(|list| list.iter().all(|e| raws.contains(&e)));
                prop_assert!(kept, "{key} lost");
            }
        }
    }
}
