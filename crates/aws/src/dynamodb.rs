//! [`IdempotencyStore`] on DynamoDB: one item per `IdempotencyKey`, claimed with a conditional
//! update (free, held by an expired lease, or given back), marked, completed and released only by
//! its `Owner`, expired by the table's TTL attribute `ExpiresAt` (CDK enables it).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use starling_core::ports::{Claim, Completion, IdempotencyError, IdempotencyStore, Release};

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
    IdempotencyError::Unavailable(format!(
        "DynamoDB {op}: {}: {}",
        e.code().unwrap_or("Unknown"),
        e.message().unwrap_or_default()
    ))
}

fn unreachable(op: &str) -> IdempotencyError {
    IdempotencyError::Unavailable(format!("DynamoDB {op}: could not reach DynamoDB"))
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn millis(item: &HashMap<String, AttributeValue>, name: &str) -> Option<DateTime<Utc>> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis)
}

/// The condition every write of a holder names: the key is claimed, by this owner.
const HELD: &str = "#state = :claimed AND #owner = :owner";

impl DynamoIdempotency {
    /// Applies an update to a claim `owner` holds; NotOwner when it does not hold it.
    async fn update_held(
        &self,
        key: &str,
        owner: &str,
        update: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<(), IdempotencyError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("IdempotencyKey", s(key))
            .update_expression(update)
            .condition_expression(HELD)
            // STATE and OWNER are DynamoDB reserved words, hence the name placeholders.
            .expression_attribute_names("#state", "State")
            .expression_attribute_names("#owner", "Owner")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":owner", s(owner));
        for (placeholder, name) in names {
            request = request.expression_attribute_names(*placeholder, *name);
        }
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => {
                    Err(IdempotencyError::NotOwner(key.to_string()))
                }
                Some(se) => Err(fail("UpdateItem", se)),
                None => Err(unreachable("UpdateItem")),
            },
        }
    }
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotency {
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Claim, IdempotencyError> {
        // An update, not a put: a mark left by an uncertain attempt must survive the takeover.
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("IdempotencyKey", s(key))
            .update_expression(
                "SET #state = :claimed, LeaseUntil = :until, #owner = :owner, ExpiresAt = :expires",
            )
            .condition_expression(
                "attribute_not_exists(IdempotencyKey) OR \
                 (#state = :claimed AND (LeaseUntil <= :now OR attribute_not_exists(#owner)))",
            )
            .expression_attribute_names("#state", "State")
            .expression_attribute_names("#owner", "Owner")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":until", n(lease_until.timestamp_millis()))
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":expires", expires_at())
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match update {
            Ok(out) => {
                return Ok(
                    match out
                        .attributes()
                        .and_then(|item| millis(item, "UncertainSince"))
                    {
                        Some(since) => Claim::ClaimedUncertain { since },
                        None => Claim::Claimed,
                    },
                );
            }
            Err(e) => match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => {}
                Some(se) => return Err(fail("UpdateItem", se)),
                None => return Err(unreachable("UpdateItem")),
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
                None => unreachable("GetItem"),
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

    async fn mark_uncertain(
        &self,
        key: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<(), IdempotencyError> {
        self.update_held(
            key,
            owner,
            "SET UncertainSince = :at",
            &[],
            vec![(":at", n(at.timestamp_millis()))],
        )
        .await
    }

    async fn complete(
        &self,
        key: &str,
        owner: &str,
        completion: &Completion,
    ) -> Result<(), IdempotencyError> {
        let (state, field, value) = match completion {
            Completion::Sent { tweet_id } => ("sent", "TweetId", tweet_id),
            Completion::Failed { error } => ("failed", "Error", error),
        };
        self.update_held(
            key,
            owner,
            // ERROR is a reserved word too.
            "SET #state = :done, #field = :value, ExpiresAt = :expires \
             REMOVE LeaseUntil, #owner, UncertainSince",
            &[("#field", field)],
            vec![
                (":done", s(state)),
                (":value", s(value)),
                (":expires", expires_at()),
            ],
        )
        .await
    }

    async fn release(&self, key: &str, owner: &str, how: Release) -> Result<(), IdempotencyError> {
        if how == Release::MaybePosted {
            // Free to claim, the mark (if any) kept for the next holder.
            return self
                .update_held(
                    key,
                    owner,
                    "SET LeaseUntil = :zero REMOVE #owner",
                    &[],
                    vec![(":zero", n(0))],
                )
                .await;
        }
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("IdempotencyKey", s(key))
            .condition_expression(HELD)
            .expression_attribute_names("#state", "State")
            .expression_attribute_names("#owner", "Owner")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => {
                    Err(IdempotencyError::NotOwner(key.to_string()))
                }
                Some(se) => Err(fail("DeleteItem", se)),
                None => Err(unreachable("DeleteItem")),
            },
        }
    }
}

/// The sources' checkpoints on DynamoDB: one item per source (partition key `Source`, a string),
/// its `Position` and when it was written; written only after the source's events are on the bus.
#[derive(Debug, Clone)]
pub struct DynamoCheckpoints {
    client: Client,
    table: String,
}

impl DynamoCheckpoints {
    /// A store over `table`.
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            table: table.into(),
        }
    }
}

fn checkpoint_error<E: ProvideErrorMetadata>(
    op: &str,
    e: &aws_sdk_dynamodb::error::SdkError<E>,
) -> starling_core::sources::CheckpointError {
    starling_core::sources::CheckpointError(match e.as_service_error() {
        Some(se) => format!(
            "DynamoDB {op}: {}: {}",
            se.code().unwrap_or("Unknown"),
            se.message().unwrap_or_default()
        ),
        None => format!("DynamoDB {op}: could not reach DynamoDB"),
    })
}

#[async_trait]
impl starling_core::sources::CheckpointStore for DynamoCheckpoints {
    async fn load(
        &self,
        source: &str,
    ) -> Result<Option<String>, starling_core::sources::CheckpointError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("Source", s(source))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| checkpoint_error("GetItem", &e))?;
        Ok(got
            .item()
            .map(|item| text(item, "Position"))
            .filter(|p| !p.is_empty()))
    }

    async fn save(
        &self,
        source: &str,
        position: &str,
    ) -> Result<(), starling_core::sources::CheckpointError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("Source", s(source))
            .item("Position", s(position))
            .item("UpdatedAt", s(&Utc::now().to_rfc3339()))
            .send()
            .await
            .map(drop)
            .map_err(|e| checkpoint_error("PutItem", &e))
    }
}
