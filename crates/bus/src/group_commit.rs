//! Group commit: writes that arrive while one is being made durable are committed together by
//! the next one, and each caller still returns only once its own write is durable. The bus's
//! puts use it, and so does egress's idempotency store for its fsynced marks.
//!
//! One committer at a time runs on the blocking pool and takes every waiting item, group after
//! group, until none is left; a caller starts one only when none is running. (Starting one per
//! caller, most of which then found their item already taken, had cost a thread wake-up and a
//! contended lock per put: the kernel's scheduler was the largest share of `starling up`'s CPU
//! under `scripts/load.sh`.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// How a group is committed: every item waiting together, in the order they were queued, to
/// one output per item in that order (a missing output answers its caller [`Abandoned`]). It
/// runs on the blocking pool: it may block, and should make the whole group durable at once.
pub type CommitFn<I, O> = dyn Fn(Vec<I>) -> Vec<O> + Send + Sync;

/// A queue of items waiting to be committed together.
pub struct GroupCommit<I, O> {
    queue: Mutex<Queue<I, O>>,
    commit: Arc<CommitFn<I, O>>,
    /// Groups committed so far.
    commits: AtomicU64,
}

struct Queue<I, O> {
    waiting: Vec<(I, oneshot::Sender<O>)>,
    /// Whether a committer is running (or on its way): it will take what is queued.
    committing: bool,
}

/// The committer stopped before it answered: the process is going down, or the commit
/// function panicked. Nothing is known to be durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the commit was abandoned before it finished")]
pub struct Abandoned;

impl<I: Send + 'static, O: Send + 'static> GroupCommit<I, O> {
    /// A queue whose groups `commit` makes durable.
    pub fn new(commit: impl Fn(Vec<I>) -> Vec<O> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                committing: false,
            }),
            commit: Arc::new(commit),
            commits: AtomicU64::new(0),
        })
    }

    /// Queues `item` and waits until the group it joined is committed: its output. Starts a
    /// committer when none is running.
    pub async fn submit(self: &Arc<Self>, item: I) -> Result<O, Abandoned> {
        let (done, output) = oneshot::channel();
        let start = {
            let mut queue = self.lock();
            queue.waiting.push((item, done));
            !std::mem::replace(&mut queue.committing, true)
        };
        if start {
            let mut committer = Committer {
                group: self.clone(),
                finished: false,
            };
            // Not awaited: the committer answers each caller through its channel.
            drop(tokio::task::spawn_blocking(move || committer.run()));
        }
        output.await.map_err(|_| Abandoned)
    }
}

impl<I, O> GroupCommit<I, O> {
    /// How many groups have been committed (items made together share one).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Queue<I, O>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The one running committer. If it goes without finishing (the commit function panicked, or
/// the runtime dropped it unrun), its drop hands the queue back: the waiting callers are told
/// [`Abandoned`] and the next caller starts a new committer.
struct Committer<I, O> {
    group: Arc<GroupCommit<I, O>>,
    finished: bool,
}

impl<I, O> Committer<I, O> {
    fn run(&mut self) {
        let commit = self.group.commit.clone();
        loop {
            let waiting = {
                let mut queue = self.group.lock();
                if queue.waiting.is_empty() {
                    queue.committing = false;
                    self.finished = true;
                    return;
                }
                std::mem::take(&mut queue.waiting)
            };
            let (items, senders): (Vec<I>, Vec<oneshot::Sender<O>>) = waiting.into_iter().unzip();
            let outputs = commit(items);
            self.group.commits.fetch_add(1, Ordering::Relaxed);
            for (sender, output) in senders.into_iter().zip(outputs) {
                // A caller that stopped waiting (its request was dropped) needs no answer.
                let _ = sender.send(output);
            }
        }
    }
}

impl<I, O> Drop for Committer<I, O> {
    fn drop(&mut self) {
        if !self.finished {
            let mut queue = self.group.lock();
            queue.committing = false;
            queue.waiting.clear();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn items_arriving_during_a_commit_share_the_next_and_each_gets_its_own_output() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let group = {
            let sizes = sizes.clone();
            GroupCommit::new(move |items: Vec<u32>| {
                sizes.lock().unwrap().push(items.len());
                // As slow as a small fsync, so later items queue meanwhile.
                std::thread::sleep(std::time::Duration::from_millis(2));
                items.into_iter().map(|i| i * 10).collect()
            })
        };
        let calls: Vec<_> = (0..64u32)
            .map(|i| {
                let group = group.clone();
                tokio::spawn(async move { group.submit(i).await })
            })
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(
                call.await.unwrap(),
                Ok(i as u32 * 10),
                "item {i}'s own output"
            );
        }
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(
            sizes.iter().sum::<usize>(),
            64,
            "every item committed once: {sizes:?}"
        );
        assert!(group.commits() < 64, "items shared commits: {sizes:?}");
        assert_eq!(group.commits(), sizes.len() as u64, "one count per group");
        assert!(
            !group.lock().committing,
            "the committer stopped once the queue was empty"
        );
    }

    #[tokio::test]
    async fn a_committer_that_panics_abandons_its_callers_and_the_next_caller_starts_anew() {
        let group = GroupCommit::new(|items: Vec<u32>| {
            assert!(items != [1], "the disk is on fire");
            items
        });
        assert_eq!(group.submit(1).await, Err(Abandoned));
        assert_eq!(group.submit(2).await, Ok(2));
    }

    #[tokio::test]
    async fn a_missing_output_answers_abandoned() {
        let group =
            GroupCommit::new(|items: Vec<u32>| items.into_iter().filter(|i| *i != 1).collect());
        assert_eq!(group.submit(1).await, Err(Abandoned));
        assert_eq!(group.submit(3).await, Ok(3));
    }
}
