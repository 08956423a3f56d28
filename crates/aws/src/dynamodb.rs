//! [`IdempotencyStore`] on DynamoDB: one item per `IdempotencyKey`, claimed with a conditional
//! write (free, or held by an expired lease), completed with the outcome, expired by the table's
//! TTL attribute `ExpiresAt` (CDK enables it).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use starling_core::ports::{Claim, Completion, IdempotencyError, IdempotencyStore};

/// How long a record is kept after its last write (the table's TTL removes it then).
pub const RECORD_TTL_DAYS: i64 = 14;

/// The egress idempotency table.
#[derive(Debug, Clone)]
pub struct DynamoIdempotency {
    client: Client,
    table: String,
}

impl DynamoIdempotency {
    /// A store over `table` (partition key `IdempotencyKey`, a string).
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            table: table.into(),
        }
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn expires_at() -> AttributeValue {
    n(Utc::now().timestamp() + RECORD_TTL_DAYS * 24 * 3600)
}

fn fail<E: ProvideErrorMetadata>(op: &str, e: &E) -> IdempotencyError {
    IdempotencyError(format!(
        "DynamoDB {op}: {}: {}",
        e.code().unwrap_or("Unknown"),
        e.message().unwrap_or_default()
    ))
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotency {
    async fn claim(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Claim, IdempotencyError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("IdempotencyKey", s(key))
            .item("State", s("claimed"))
            .item("LeaseUntil", n(lease_until.timestamp_millis()))
            .item("ExpiresAt", expires_at())
            // STATE is a DynamoDB reserved word, hence the name placeholder.
            .condition_expression("attribute_not_exists(IdempotencyKey) OR (#state = :claimed AND LeaseUntil <= :now)")
            .expression_attribute_names("#state", "State")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        match put {
            Ok(_) => return Ok(Claim::Claimed),
            Err(e) => match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => {}
                Some(se) => return Err(fail("PutItem", se)),
                None => {
                    return Err(IdempotencyError(
                        "DynamoDB PutItem: could not reach DynamoDB".into(),
                    ));
                }
            },
        }
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("IdempotencyKey", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(se) => fail("GetItem", se),
                None => IdempotencyError("DynamoDB GetItem: could not reach DynamoDB".into()),
            })?;
        let Some(item) = got.item() else {
            // Released between the two calls: let the caller retry.
            return Ok(Claim::InProgress);
        };
        Ok(match text(item, "State").as_str() {
            "sent" => Claim::Done(Completion::Sent {
                tweet_id: text(item, "TweetId"),
            }),
            "failed" => Claim::Done(Completion::Failed {
                error: text(item, "Error"),
            }),
            _ => Claim::InProgress,
        })
    }

    async fn complete(&self, key: &str, completion: &Completion) -> Result<(), IdempotencyError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("IdempotencyKey", s(key))
            .item("ExpiresAt", expires_at());
        put = match completion {
            Completion::Sent { tweet_id } => {
                put.item("State", s("sent")).item("TweetId", s(tweet_id))
            }
            Completion::Failed { error } => put.item("State", s("failed")).item("Error", s(error)),
        };
        put.send()
            .await
            .map(|_| ())
            .map_err(|e| match e.as_service_error() {
                Some(se) => fail("PutItem", se),
                None => IdempotencyError("DynamoDB PutItem: could not reach DynamoDB".into()),
            })
    }

    async fn release(&self, key: &str) -> Result<(), IdempotencyError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("IdempotencyKey", s(key))
            .condition_expression("#state = :claimed")
            .expression_attribute_names("#state", "State")
            .expression_attribute_values(":claimed", s("claimed"))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                // Already completed (or gone): nothing to give back.
                Some(se) if se.is_conditional_check_failed_exception() => Ok(()),
                Some(se) => Err(fail("DeleteItem", se)),
                None => Err(IdempotencyError(
                    "DynamoDB DeleteItem: could not reach DynamoDB".into(),
                )),
            },
        }
    }
}
