//! A SEND_TWEET that X rate-limits past the in-process wait is put back on the bus at X's reset by
//! a one-time EventBridge Scheduler schedule, created on moto, instead of failing into Lambda's
//! async retries and the DLQ.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use axum::response::IntoResponse;
use starling_aws::egress::{DeferSettings, DeferringEgress, SchedulerDeferrer};
use starling_contracts::SendTweet;
use starling_core::egress::{Egress, EgressConfig, XApiPoster};
use starling_core::handler::DetailHandler;
use starling_core::memory::{MemoryBlobStore, MemoryIdempotency};
use starling_core::ports::{SystemClock, XCredentials};
use starling_core::secrets::StaticSecrets;
use starling_testkit::aws::{moto_config, unique};
use starling_x::api::{XApi, XApiConfig};

/// A fake X whose every post is answered 429 with a reset `reset` (Unix seconds).
async fn rate_limited_x(reset: i64) -> String {
    let app = axum::Router::new().route(
        "/2/tweets",
        axum::routing::post(move || async move {
            (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [("x-rate-limit-reset", reset.to_string())],
                r#"{"title":"Too Many Requests","status":429}"#,
            )
                .into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn egress(base: &str) -> Egress {
    Egress::new(
        Arc::new(XApiPoster::new(
            XApi::new(XApiConfig {
                api_base: base.into(),
                upload_base: base.into(),
                ..Default::default()
            }),
            StaticSecrets(XCredentials {
                api_key: "k".into(),
                api_secret: "s".into(),
                access_token: "t".into(),
                access_token_secret: "ts".into(),
            }),
            "1234",
        )),
        Arc::new(MemoryBlobStore::default()),
        Arc::new(MemoryIdempotency::default()),
        Arc::new(SystemClock),
        EgressConfig::default(),
    )
}

fn send() -> SendTweet {
    SendTweet {
        text: "@ada here is a joke".into(),
        reply_to_tweet_id: "1850000000000000001".into(),
        reply_to_user_id: "42".into(),
        reply_to_username: Some("ada".into()),
        image_keys: vec![],
        idempotency_key: "reply-text:1850000000000000001".into(),
    }
}

#[tokio::test]
async fn a_long_rate_limit_becomes_one_schedule_at_the_reset_and_a_retry_adds_none() {
    let config = moto_config();
    let reset = chrono::Utc::now().timestamp() + 900;
    let base = rate_limited_x(reset).await;
    let bus_arn = format!(
        "arn:aws:events:us-east-1:123456789012:event-bus/{}",
        unique("bus")
    );
    let role_arn = "arn:aws:iam::123456789012:role/starling-egress-defer".to_string();
    let handler = DeferringEgress::new(
        egress(&base),
        Some(SchedulerDeferrer::new(
            &config,
            DeferSettings {
                event_bus_arn: bus_arn.clone(),
                role_arn: role_arn.clone(),
            },
        )),
    );
    let events = handler.handle(send()).await.unwrap();
    assert!(events.is_empty(), "deferred, nothing published: {events:?}");
    // A retried invocation asks for the same schedule and is content with it.
    assert!(handler.handle(send()).await.unwrap().is_empty());

    let at = chrono::DateTime::from_timestamp(reset, 0).unwrap();
    let name = SchedulerDeferrer::schedule_name(&send().idempotency_key, at);
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    let listed = scheduler
        .list_schedules()
        .name_prefix("starling-egress-")
        .send()
        .await
        .unwrap();
    let ours: Vec<_> = listed
        .schedules()
        .iter()
        .filter(|s| s.name() == Some(name.as_str()))
        .collect();
    assert_eq!(ours.len(), 1);
    let got = scheduler.get_schedule().name(&name).send().await.unwrap();
    assert_eq!(
        got.schedule_expression(),
        Some(format!("at({})", at.format("%Y-%m-%dT%H:%M:%S")).as_str())
    );
    assert_eq!(got.schedule_expression_timezone(), Some("UTC"));
    let target = got.target().unwrap();
    assert_eq!(target.arn(), bus_arn);
    assert_eq!(target.role_arn(), role_arn);
    let params = target.event_bridge_parameters().unwrap();
    assert_eq!(params.source(), "starling.responding");
    assert_eq!(params.detail_type(), "SEND_TWEET");
    let detail: SendTweet = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(detail, send());
}

#[tokio::test]
async fn without_a_deferrer_a_long_rate_limit_is_a_retryable_throttle() {
    let reset = chrono::Utc::now().timestamp() + 900;
    let base = rate_limited_x(reset).await;
    let handler = DeferringEgress::new(egress(&base), None);
    let err = handler.handle(send()).await.unwrap_err();
    assert_eq!(err.kind, starling_contracts::ErrorKind::Throttled);
}
