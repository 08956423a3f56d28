//! The Firehose record transformation in Firehose's own types: each record decoded, checked and
//! framed by [`starling_core::lake::transform_record`], answered `Ok` with its dynamic-partitioning
//! keys in `metadata.partitionKeys`, or `ProcessingFailed` with its original bytes (Firehose then
//! writes it under the error prefix). A record is never `Dropped`.

use aws_lambda_events::event::firehose::{
    KinesisFirehoseEvent, KinesisFirehoseEventRecord, KinesisFirehoseResponse,
    KinesisFirehoseResponseRecord, KinesisFirehoseResponseRecordMetadata,
};
use starling_core::lake::transform_record;

/// Firehose's result for a transformed record.
pub const RESULT_OK: &str = "Ok";
/// Firehose's result for a record that failed processing (it goes to the error prefix).
pub const RESULT_PROCESSING_FAILED: &str = "ProcessingFailed";

/// Transforms every record of one invocation, in order, one answer per `recordId`.
pub fn transform_event(event: KinesisFirehoseEvent) -> KinesisFirehoseResponse {
    let mut response = KinesisFirehoseResponse::default();
    response.records = event.records.into_iter().map(transform).collect();
    response
}

fn transform(record: KinesisFirehoseEventRecord) -> KinesisFirehoseResponseRecord {
    let mut out = KinesisFirehoseResponseRecord::default();
    let mut metadata = KinesisFirehoseResponseRecordMetadata::default();
    match transform_record(&record.data) {
        Ok(lake) => {
            metadata.partition_keys = lake
                .keys
                .pairs()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            out.result = Some(RESULT_OK.to_string());
            out.data.0 = lake.data;
        }
        Err(e) => {
            // The record id and the reason only: the record itself may hold anything.
            tracing::warn!(record_id = record.record_id.as_deref().unwrap_or(""), error = %e, "record failed processing");
            out.result = Some(RESULT_PROCESSING_FAILED.to_string());
            out.data = record.data;
        }
    }
    out.record_id = record.record_id;
    out.metadata = metadata;
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn b64(bytes: &[u8]) -> String {
        // Through the crate's own serializer, so the test speaks Firehose's wire format.
        let mut data = aws_lambda_events::encodings::Base64Data::default();
        data.0 = bytes.to_vec();
        serde_json::to_value(&data)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    fn event(records: &[(&str, &[u8])]) -> KinesisFirehoseEvent {
        serde_json::from_value(json!({
            "invocationId": "inv-1",
            "deliveryStreamArn": "arn:aws:firehose:eu-west-1:1:deliverystream/starling-lake",
            "region": "eu-west-1",
            "records": records.iter().map(|(id, data)| json!({
                "recordId": id, "approximateArrivalTimestamp": 1_763_881_509_000_i64, "data": b64(data)
            })).collect::<Vec<_>>()
        }))
        .unwrap()
    }

    const EVENT: &[u8] = br#"{"version":"0","id":"e1","detail-type":"TWEET_SENT","source":"starling.egress","account":"1","time":"2026-11-23T21:59:59Z","region":"eu-west-1","resources":[],"detail":{}}"#;

    #[test]
    fn every_record_is_answered_in_order_ok_with_partition_keys_or_processing_failed() {
        let non_utf8: &[u8] = &[0xff, 0xfe, b'{', b'}'];
        let response = transform_event(event(&[
            ("r1", EVENT),
            ("r2", b"not json"),
            ("r3", non_utf8),
            ("r4", br#"{"detail-type":"X"}"#),
        ]));
        let wire: Value = serde_json::to_value(&response).unwrap();
        let records = wire["records"].as_array().unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0]["recordId"], "r1");
        assert_eq!(records[0]["result"], "Ok");
        assert_eq!(
            records[0]["metadata"]["partitionKeys"],
            json!({"detail_type": "TWEET_SENT", "dt": "2026-11-23", "hour": "21"})
        );
        let mut framed = EVENT.to_vec();
        framed.push(b'\n');
        assert_eq!(response.records[0].data.0, framed);
        assert_eq!(records[0]["data"], b64(&framed));
        for (i, original) in [
            (1, b"not json".as_slice()),
            (2, non_utf8),
            (3, br#"{"detail-type":"X"}"#.as_slice()),
        ] {
            assert_eq!(records[i]["recordId"], format!("r{}", i + 1));
            assert_eq!(records[i]["result"], "ProcessingFailed", "{}", records[i]);
            assert_eq!(
                response.records[i].data.0, original,
                "the original bytes go to the error prefix"
            );
            assert!(response.records[i].metadata.partition_keys.is_empty());
        }
    }
}
