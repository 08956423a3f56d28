//! In-memory implementations of the ports, for tests and benchmarks across the workspace: one
//! place instead of a hand-written fake per test file. Each behaves as the real adapters promise
//! (a missing key is `NotFound`, a claim honours its lease), so a test against them can fail for
//! the same reasons it would against S3, DynamoDB or the local bus. They keep nothing on disk.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use starling_contracts::OutgoingEvent;

use crate::ports::{
    BlobError, BlobStore, Claim, Completion, EventPublisher, IdempotencyError, IdempotencyStore,
    PolicyRecord, PolicyStore, PolicyStoreError, PolicyWrite, PublishError, PutOutcome, Release,
};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A [`BlobStore`] in memory: objects with their content type; [`MemoryBlobStore::set_down`]
/// makes every call fail as unavailable.
#[derive(Debug, Default)]
pub struct MemoryBlobStore {
    objects: Mutex<HashMap<String, (Vec<u8>, String)>>,
    down: AtomicBool,
}

impl MemoryBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// While `down`, every put and get answers [`BlobError::Unavailable`].
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// The content type an object was written with.
    pub fn content_type(&self, key: &str) -> Option<String> {
        lock(&self.objects).get(key).map(|(_, t)| t.clone())
    }

    /// A copy of every object, by key (bytes only).
    pub fn objects(&self) -> HashMap<String, Vec<u8>> {
        lock(&self.objects)
            .iter()
            .map(|(k, (bytes, _))| (k.clone(), bytes.clone()))
            .collect()
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = lock(&self.objects).keys().cloned().collect();
        keys.sort();
        keys
    }

    fn check(&self) -> Result<(), BlobError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(BlobError::Unavailable("memory store is down".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    fn bucket(&self) -> String {
        "memory".into()
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError> {
        self.check()?;
        lock(&self.objects).insert(key.into(), (bytes, content_type.into()));
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        self.check()?;
        lock(&self.objects)
            .get(key)
            .map(|(bytes, _)| bytes.clone())
            .ok_or_else(|| BlobError::NotFound(key.into()))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Record {
    Claimed {
        owner: Option<String>,
        lease_until: DateTime<Utc>,
        uncertain_since: Option<DateTime<Utc>>,
    },
    Done(Completion),
}

/// An [`IdempotencyStore`] in memory, with the lease and owner semantics of the SQLite and
/// DynamoDB stores.
#[derive(Debug, Default)]
pub struct MemoryIdempotency(Mutex<HashMap<String, Record>>);

impl MemoryIdempotency {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `key` has any record (a claim, expired or not, or a completion).
    pub fn holds(&self, key: &str) -> bool {
        lock(&self.0).contains_key(key)
    }

    /// The recorded outcome of `key`, if it completed.
    pub fn completion(&self, key: &str) -> Option<Completion> {
        match lock(&self.0).get(key) {
            Some(Record::Done(c)) => Some(c.clone()),
            _ => None,
        }
    }

    /// Runs `f` on `key`'s claim if `owner` holds it.
    fn held<T>(
        &self,
        key: &str,
        owner: &str,
        f: impl FnOnce(&mut HashMap<String, Record>) -> T,
    ) -> Result<T, IdempotencyError> {
        let mut map = lock(&self.0);
        match map.get(key) {
            Some(Record::Claimed { owner: Some(o), .. }) if o == owner => Ok(f(&mut map)),
            _ => Err(IdempotencyError::NotOwner(key.to_string())),
        }
    }
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotency {
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Claim, IdempotencyError> {
        let mut map = lock(&self.0);
        let uncertain_since = match map.get(key) {
            Some(Record::Done(c)) => return Ok(Claim::Done(c.clone())),
            Some(Record::Claimed {
                owner: Some(_),
                lease_until: until,
                ..
            }) if *until > now => return Ok(Claim::InProgress),
            Some(Record::Claimed {
                uncertain_since, ..
            }) => *uncertain_since,
            None => None,
        };
        map.insert(
            key.into(),
            Record::Claimed {
                owner: Some(owner.into()),
                lease_until,
                uncertain_since,
            },
        );
        Ok(match uncertain_since {
            Some(since) => Claim::ClaimedUncertain { since },
            None => Claim::Claimed,
        })
    }

    async fn mark_uncertain(
        &self,
        key: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<(), IdempotencyError> {
        self.held(key, owner, |map| {
            if let Some(Record::Claimed {
                uncertain_since, ..
            }) = map.get_mut(key)
            {
                *uncertain_since = Some(at);
            }
        })
    }

    async fn complete(
        &self,
        key: &str,
        owner: &str,
        completion: &Completion,
    ) -> Result<(), IdempotencyError> {
        self.held(key, owner, |map| {
            map.insert(key.into(), Record::Done(completion.clone()));
        })
    }

    async fn release(&self, key: &str, owner: &str, how: Release) -> Result<(), IdempotencyError> {
        self.held(key, owner, |map| {
            let keep = match map.get(key) {
                Some(Record::Claimed {
                    uncertain_since: Some(since),
                    ..
                }) if how == Release::MaybePosted => Some(*since),
                _ => None,
            };
            match keep {
                // Free to claim, the mark kept for the next holder.
                Some(since) => {
                    map.insert(
                        key.into(),
                        Record::Claimed {
                            owner: None,
                            lease_until: DateTime::<Utc>::MIN_UTC,
                            uncertain_since: Some(since),
                        },
                    );
                }
                None => {
                    map.remove(key);
                }
            }
        })
    }
}

/// An [`EventPublisher`] that keeps what was put; [`MemoryPublisher::set_down`] makes every put
/// fail as unavailable (an outage of the bus).
#[derive(Debug, Default)]
pub struct MemoryPublisher {
    events: Mutex<Vec<OutgoingEvent>>,
    down: AtomicBool,
}

impl MemoryPublisher {
    /// A publisher that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// While `down`, every put answers [`PublishError::Unavailable`].
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Every event accepted so far, in order.
    pub fn events(&self) -> Vec<OutgoingEvent> {
        lock(&self.events).clone()
    }
}

#[async_trait]
impl EventPublisher for MemoryPublisher {
    async fn put(&self, events: &[OutgoingEvent]) -> Result<PutOutcome, PublishError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(PublishError::Unavailable("connection refused".into()));
        }
        lock(&self.events).extend_from_slice(events);
        Ok(PutOutcome::default())
    }
}

/// One stored policy record: value, version, expiry.
type StoredRecord = (serde_json::Value, u64, Option<DateTime<Utc>>);

/// A [`PolicyStore`] in memory: versioned records with expiry, compare-and-set under one lock.
#[derive(Debug, Default)]
pub struct MemoryPolicyStore {
    records: Mutex<HashMap<String, StoredRecord>>,
}

impl MemoryPolicyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl PolicyStore for MemoryPolicyStore {
    async fn read(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<PolicyRecord>, PolicyStoreError> {
        let records = lock(&self.records);
        Ok(keys
            .iter()
            .map(|k| match records.get(k) {
                Some((value, version, expires)) => PolicyRecord {
                    value: expires.is_none_or(|e| e > now).then(|| value.clone()),
                    version: *version,
                },
                None => PolicyRecord::default(),
            })
            .collect())
    }

    async fn write_all(&self, writes: &[PolicyWrite]) -> Result<bool, PolicyStoreError> {
        let mut records = lock(&self.records);
        let current = |k: &str| records.get(k).map_or(0, |r| r.1);
        if writes.iter().any(|w| current(&w.key) != w.expected_version) {
            return Ok(false);
        }
        for w in writes {
            records.insert(
                w.key.clone(),
                (w.value.clone(), w.expected_version + 1, w.expires_at),
            );
        }
        Ok(true)
    }
}

/// What every [`IdempotencyStore`] must do, checked against a fresh, empty store: a claim holds
/// until its lease ends and is then taken over; only the claim's owner may mark, complete or
/// release it; a completion is for good (neither an expired lease nor a release reopens it); a
/// failure is remembered; a release frees a claim; an uncertain mark survives a lease running
/// out and a "maybe posted" release, and is cleared by a "nothing posted" one. The SQLite and
/// DynamoDB adapters' tests and this module's run it.
pub async fn check_idempotency_store(store: &dyn IdempotencyStore) -> Result<(), String> {
    let t = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default();
    let e = |e: IdempotencyError| e.to_string();
    let expect = |step: &str, got: Claim, want: Claim| {
        if got == want {
            Ok(())
        } else {
            Err(format!("{step}: {got:?}, want {want:?}"))
        }
    };
    let not_owner = |step: &str, got: Result<(), IdempotencyError>| match got {
        Err(IdempotencyError::NotOwner(_)) => Ok(()),
        other => Err(format!("{step}: {other:?}, want NotOwner")),
    };
    expect(
        "first claim",
        store.claim("k", "a", t(0), t(300)).await.map_err(e)?,
        Claim::Claimed,
    )?;
    expect(
        "within the lease",
        store.claim("k", "b", t(299), t(599)).await.map_err(e)?,
        Claim::InProgress,
    )?;
    expect(
        "lease over: taken over",
        store.claim("k", "b", t(300), t(600)).await.map_err(e)?,
        Claim::Claimed,
    )?;
    let sent = Completion::Sent {
        tweet_id: "1".into(),
    };
    not_owner(
        "the first owner completes after the takeover",
        store.complete("k", "a", &sent).await,
    )?;
    not_owner(
        "the first owner releases after the takeover",
        store.release("k", "a", Release::NothingPosted).await,
    )?;
    expect(
        "the takeover still holds",
        store.claim("k", "c", t(301), t(601)).await.map_err(e)?,
        Claim::InProgress,
    )?;
    store.complete("k", "b", &sent).await.map_err(e)?;
    expect(
        "completed",
        store.claim("k", "c", t(302), t(602)).await.map_err(e)?,
        Claim::Done(sent.clone()),
    )?;
    not_owner(
        "a release after completion",
        store.release("k", "b", Release::NothingPosted).await,
    )?;
    expect(
        "a completion outlives its lease and a release",
        store
            .claim("k", "c", t(10_000), t(10_300))
            .await
            .map_err(e)?,
        Claim::Done(sent),
    )?;
    expect(
        "another key",
        store.claim("r", "a", t(0), t(300)).await.map_err(e)?,
        Claim::Claimed,
    )?;
    store
        .release("r", "a", Release::NothingPosted)
        .await
        .map_err(e)?;
    expect(
        "released",
        store.claim("r", "b", t(1), t(301)).await.map_err(e)?,
        Claim::Claimed,
    )?;
    let failed = Completion::Failed {
        error: "403 Forbidden".into(),
    };
    store.complete("r", "b", &failed).await.map_err(e)?;
    expect(
        "failure remembered",
        store.claim("r", "c", t(2), t(302)).await.map_err(e)?,
        Claim::Done(failed),
    )?;

    // An attempt that may have posted.
    expect(
        "u: first claim",
        store.claim("u", "a", t(0), t(300)).await.map_err(e)?,
        Claim::Claimed,
    )?;
    not_owner(
        "u: another owner marks",
        store.mark_uncertain("u", "b", t(5)).await,
    )?;
    store.mark_uncertain("u", "a", t(10)).await.map_err(e)?;
    store
        .release("u", "a", Release::MaybePosted)
        .await
        .map_err(e)?;
    expect(
        "u: after a maybe-posted release",
        store.claim("u", "b", t(20), t(320)).await.map_err(e)?,
        Claim::ClaimedUncertain { since: t(10) },
    )?;
    // b dies without a word; its lease runs out.
    expect(
        "u: still marked after a lease ran out",
        store.claim("u", "c", t(320), t(620)).await.map_err(e)?,
        Claim::ClaimedUncertain { since: t(10) },
    )?;
    store
        .release("u", "c", Release::NothingPosted)
        .await
        .map_err(e)?;
    expect(
        "u: a nothing-posted release clears the mark",
        store.claim("u", "d", t(330), t(630)).await.map_err(e)?,
        Claim::Claimed,
    )?;
    store.mark_uncertain("u", "d", t(340)).await.map_err(e)?;
    expect(
        "u: a marked claim within its lease",
        store.claim("u", "e", t(341), t(641)).await.map_err(e)?,
        Claim::InProgress,
    )?;
    let found = Completion::Sent {
        tweet_id: "9".into(),
    };
    store.complete("u", "d", &found).await.map_err(e)?;
    expect(
        "u: completion replaces the mark",
        store.claim("u", "e", t(700), t(1000)).await.map_err(e)?,
        Claim::Done(found),
    )?;
    Ok(())
}

/// What every [`PolicyStore`] must do, checked against a fresh, empty store: a batch applies
/// whole or not at all, versions count up from 0, an expired record reads empty but keeps its
/// version. The SQLite and DynamoDB adapters' tests and this module's run it.
pub async fn check_policy_store(store: &dyn PolicyStore) -> Result<(), String> {
    use serde_json::json;
    let write = |key: &str, expected_version: u64, value: serde_json::Value| PolicyWrite {
        key: key.into(),
        expected_version,
        value,
        expires_at: None,
    };
    let e = |e: PolicyStoreError| e.to_string();
    let now = Utc::now();
    let keys = ["a".to_string(), "b".to_string(), "c".to_string()];
    if !store
        .write_all(&[write("a", 0, json!(1)), write("b", 0, json!(2))])
        .await
        .map_err(e)?
    {
        return Err("creating two new keys was refused".into());
    }
    // "b" is at version 1 now: a batch still expecting 0 for it changes nothing, "a" included.
    if store
        .write_all(&[write("a", 1, json!(10)), write("b", 0, json!(20))])
        .await
        .map_err(e)?
    {
        return Err("a batch with a stale version was applied".into());
    }
    let read = store.read(&keys, now).await.map_err(e)?;
    let want = [
        PolicyRecord {
            value: Some(json!(1)),
            version: 1,
        },
        PolicyRecord {
            value: Some(json!(2)),
            version: 1,
        },
        PolicyRecord::default(),
    ];
    if read != want {
        return Err(format!("after the refused batch: {read:?}, want {want:?}"));
    }
    if !store
        .write_all(&[write("a", 1, json!(10)), write("b", 1, json!(20))])
        .await
        .map_err(e)?
    {
        return Err("a batch with current versions was refused".into());
    }
    let versions: Vec<u64> = store
        .read(&keys, now)
        .await
        .map_err(e)?
        .iter()
        .map(|r| r.version)
        .collect();
    if versions != [2, 2, 0] {
        return Err(format!("versions after two batches: {versions:?}"));
    }
    let mut expiring = write("ttl", 0, json!({"n": 1}));
    expiring.expires_at = Some(now + chrono::TimeDelta::seconds(60));
    if !store.write_all(&[expiring]).await.map_err(e)? {
        return Err("an expiring record was refused".into());
    }
    let ttl = ["ttl".to_string()];
    let live = store.read(&ttl, now).await.map_err(e)?;
    let later = store
        .read(&ttl, now + chrono::TimeDelta::seconds(61))
        .await
        .map_err(e)?;
    if live[0].value.is_none()
        || later[0]
            != (PolicyRecord {
                value: None,
                version: 1,
            })
    {
        return Err(format!("expiry: before {live:?}, after {later:?}"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_blob_is_not_found_and_a_down_store_is_unavailable() {
        let store = MemoryBlobStore::new();
        store.put("a", vec![1], "image/png").await.unwrap();
        assert_eq!(store.get("a").await.unwrap(), vec![1]);
        assert_eq!(store.content_type("a").as_deref(), Some("image/png"));
        assert!(matches!(store.get("b").await, Err(BlobError::NotFound(_))));
        store.set_down(true);
        assert!(matches!(
            store.get("a").await,
            Err(BlobError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn the_memory_claim_store_keeps_the_idempotency_store_contract() {
        check_idempotency_store(&MemoryIdempotency::new())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_down_publisher_refuses_and_keeps_nothing() {
        let bus = MemoryPublisher::new();
        let event = OutgoingEvent {
            source: "s".into(),
            detail_type: "D".into(),
            detail: serde_json::json!({}),
            resources: vec![],
            time: None,
        };
        bus.put(std::slice::from_ref(&event)).await.unwrap();
        bus.set_down(true);
        assert!(bus.put(&[event]).await.is_err());
        assert_eq!(bus.events().len(), 1);
    }

    #[tokio::test]
    async fn the_memory_policy_store_keeps_the_policy_store_contract() {
        check_policy_store(&MemoryPolicyStore::new()).await.unwrap();
    }
}

/// A [`crate::sources::CheckpointStore`] in memory.
#[derive(Debug, Default)]
pub struct MemoryCheckpoints(Mutex<HashMap<String, String>>);

#[async_trait]
impl crate::sources::CheckpointStore for MemoryCheckpoints {
    async fn load(&self, source: &str) -> Result<Option<String>, crate::sources::CheckpointError> {
        Ok(lock(&self.0).get(source).cloned())
    }

    async fn save(
        &self,
        source: &str,
        position: &str,
    ) -> Result<(), crate::sources::CheckpointError> {
        lock(&self.0).insert(source.into(), position.into());
        Ok(())
    }
}
