//! The reply policy on AWS: its state in DynamoDB ([`DynamoPolicyStore`]: one item per record,
//! `Key` → `Version`, `Value`, TTL attribute `ExpiresAt`; a decision is one `TransactWriteItems`
//! whose every put is conditional on the version read) and its settings from the environment.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use starling_core::policy::{PolicyConfig, ReplyPolicy};
use starling_core::ports::{PolicyRecord, PolicyStore, PolicyStoreError, PolicyWrite, SystemClock};

use crate::{ConfigError, Env};

/// The reply policy's table.
#[derive(Debug, Clone)]
pub struct DynamoPolicyStore {
    client: Client,
    table: String,
}

impl DynamoPolicyStore {
    /// A store over `table` (partition key `Key`, a string; TTL attribute `ExpiresAt`).
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            table: table.into(),
        }
    }
}

fn fail<E: ProvideErrorMetadata>(op: &str, e: &E) -> PolicyStoreError {
    PolicyStoreError(format!(
        "DynamoDB {op}: {}: {}",
        e.code().unwrap_or("Unknown"),
        e.message().unwrap_or_default()
    ))
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

#[async_trait]
impl PolicyStore for DynamoPolicyStore {
    async fn read(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<PolicyRecord>, PolicyStoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let got = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("Key", AttributeValue::S(key.clone()))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| fail("GetItem", &e))?;
            let Some(item) = got.item else {
                out.push(PolicyRecord::default());
                continue;
            };
            // DynamoDB's TTL deletes expired items within days, not at once: expiry is ours to
            // honour. The version stays, as the next write must name it.
            let live = number(&item, "ExpiresAt").is_none_or(|e| e > now.timestamp());
            out.push(PolicyRecord {
                value: live
                    .then(|| item.get("Value").and_then(|v| v.as_s().ok()))
                    .flatten()
                    .and_then(|v| serde_json::from_str(v).ok()),
                version: number(&item, "Version")
                    .and_then(|v| u64::try_from(v).ok())
                    .unwrap_or(0),
            });
        }
        Ok(out)
    }

    async fn write_all(&self, writes: &[PolicyWrite]) -> Result<bool, PolicyStoreError> {
        let mut items = Vec::with_capacity(writes.len());
        for w in writes {
            let mut put = Put::builder()
                .table_name(&self.table)
                .item("Key", AttributeValue::S(w.key.clone()))
                .item(
                    "Version",
                    AttributeValue::N((w.expected_version + 1).to_string()),
                )
                .item("Value", AttributeValue::S(w.value.to_string()));
            if let Some(expires) = w.expires_at {
                put = put.item(
                    "ExpiresAt",
                    AttributeValue::N(expires.timestamp().to_string()),
                );
            }
            put = if w.expected_version == 0 {
                // KEY is a DynamoDB reserved word, hence the name placeholder.
                put.condition_expression("attribute_not_exists(#k)")
                    .expression_attribute_names("#k", "Key")
            } else {
                put.condition_expression("#v = :v")
                    .expression_attribute_names("#v", "Version")
                    .expression_attribute_values(
                        ":v",
                        AttributeValue::N(w.expected_version.to_string()),
                    )
            };
            let put = put
                .build()
                .map_err(|e| PolicyStoreError(format!("DynamoDB put: {e}")))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                // Cancelled because a condition failed or another transaction held an item: a
                // lost race, decide again. Cancelled for anything else (throttling, validation)
                // is a failure.
                let lost_race = match e.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(c)) => c
                        .cancellation_reasons()
                        .iter()
                        .filter_map(|r| r.code())
                        .all(|code| {
                            matches!(
                                code,
                                "None" | "ConditionalCheckFailed" | "TransactionConflict"
                            )
                        }),
                    _ => false,
                };
                if lost_race {
                    Ok(false)
                } else {
                    Err(fail("TransactWriteItems", &e))
                }
            }
        }
    }
}

/// The reply Lambdas' policy settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySettings {
    /// `POLICY_TABLE`: the DynamoDB table of opt-outs and counters.
    pub table: String,
    /// `BOT_USER_ID`: the bot's own posts are never answered.
    pub bot_user_id: String,
    /// `REPLY_POLICY`: the policy document (JSON, README "Reply policy"); defaults when unset.
    pub config: PolicyConfig,
}

impl PolicySettings {
    /// Reads the settings, naming any missing or unreadable variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let config = match env.get("REPLY_POLICY").filter(|v| !v.trim().is_empty()) {
            Some(json) => {
                PolicyConfig::from_json(json, "REPLY_POLICY").map_err(|e| ConfigError::Invalid {
                    name: "REPLY_POLICY",
                    value: json.chars().take(120).collect(),
                    reason: e.to_string(),
                })?
            }
            None => PolicyConfig::default(),
        };
        Ok(Self {
            table: env.required("POLICY_TABLE", "the reply policy's DynamoDB table")?,
            bot_user_id: env.required(
                "BOT_USER_ID",
                "the bot's X user id, so it never answers itself",
            )?,
            config,
        })
    }

    /// The policy over DynamoDB (its warnings logged once, at init).
    pub fn policy(self, sdk: &aws_config::SdkConfig) -> Arc<ReplyPolicy> {
        for warning in self.config.warnings() {
            tracing::warn!(%warning, "reply policy");
        }
        Arc::new(ReplyPolicy::new(
            self.config,
            Some(self.bot_user_id),
            Arc::new(DynamoPolicyStore::new(sdk, self.table)),
            Arc::new(SystemClock),
        ))
    }
}
