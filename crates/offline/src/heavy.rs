//! Where the offline image work runs: on Tokio's blocking threads, at most one job per core at a
//! time. Decoding a photo and running a model on it takes tens to hundreds of milliseconds and,
//! for a 40 MP photo, hundreds of megabytes; the blocking pool alone would start a thread for
//! every waiting image (up to 512) and hold all their pixels at once.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

/// One permit per core (at least one).
static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
});

/// Runs `job` on a blocking thread once a core's permit is free; an error when the job panicked.
pub(crate) async fn run<T, F>(job: F) -> Result<T, tokio::task::JoinError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // The semaphore is never closed, so acquiring only waits.
    let _permit = PERMITS.acquire().await;
    tokio::task::spawn_blocking(job).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_jobs_run_at_once_than_there_are_cores() {
        let cores = std::thread::available_parallelism().unwrap().get();
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..cores * 4)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(super::run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!(most <= cores, "{most} jobs at once on {cores} cores");
        assert!(most >= 1);
    }
}
