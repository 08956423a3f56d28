//! The built firehose-transform binary, driven through a local Lambda Runtime API with a
//! Firehose invocation as the service sends it (base64 records).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const EVENT: &str = r#"{"version":"0","id":"1b7e","detail-type":"MESSAGE_RECEIVED","source":"starling.twitter","account":"123456789012","time":"2026-11-23T09:41:07Z","region":"eu-west-1","resources":["1850"],"detail":{"Text":"hello","Author":"ada"}}"#;

#[tokio::test]
async fn a_firehose_batch_gets_ok_with_partition_keys_and_processing_failed_for_bad_records() {
    let api = RuntimeApi::start().await.unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_firehose-transform"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "firehose-transform")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/firehose-transform",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the firehose-transform binary is built by cargo test");

    let records: [(&str, &[u8]); 4] = [
        (
            "49546986683135544286507457936321625675700192471156785154",
            EVENT.as_bytes(),
        ),
        ("bad-json", b"{\"detail-type\": "),
        ("not-utf8", &[b'{', 0xc3, 0x28, b'}']),
        (
            "no-time",
            br#"{"detail-type":"MESSAGE_RECEIVED","detail":{}}"#,
        ),
    ];
    let invocation = json!({
        "invocationId": "a7d5b6d4-1a2b-4c3d-9e8f-0123456789ab",
        "deliveryStreamArn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/starling-lake",
        "region": "eu-west-1",
        "records": records.iter().map(|(id, data)| json!({
            "recordId": id,
            "approximateArrivalTimestamp": 1_763_890_867_000_i64,
            "data": STANDARD.encode(data),
        })).collect::<Vec<_>>(),
    });
    let outcome = tokio::time::timeout(Duration::from_secs(30), api.invoke(invocation))
        .await
        .expect("the Lambda answered");
    child.kill().unwrap();
    child.wait().unwrap();
    let Outcome::Response(response) = outcome else {
        panic!("expected a response, got {outcome:?}")
    };
    let answered = response["records"].as_array().unwrap();
    assert_eq!(answered.len(), records.len(), "{response}");
    for ((id, data), answer) in records.iter().zip(answered) {
        assert_eq!(answer["recordId"], *id, "{response}");
        let decoded = STANDARD.decode(answer["data"].as_str().unwrap()).unwrap();
        if *id == records[0].0 {
            assert_eq!(answer["result"], "Ok");
            assert_eq!(decoded, format!("{EVENT}\n").into_bytes());
            assert_eq!(
                answer["metadata"]["partitionKeys"],
                json!({"detail_type": "MESSAGE_RECEIVED", "dt": "2026-11-23", "hour": "09"})
            );
        } else {
            assert_eq!(answer["result"], "ProcessingFailed", "{id}: {answer}");
            assert_eq!(&decoded, data, "{id}: the original record is kept");
            assert_ne!(answer["result"], Value::from("Dropped"));
        }
    }
}
