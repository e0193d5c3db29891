//! SQLite: copying the write-ahead log into the database file (a checkpoint) in the
//! background, once a second, instead of in whichever commit takes the log past
//! SQLite's 1,000-page threshold. That commit used to do it before returning: a
//! 5,000-row import's commit took 15–25 ms with it and 7–15 ms without, and an
//! ordinary request landing on the threshold paid the same copy and sync.
//!
//! Nothing here is needed for durability: a commit is durable once its log frames are
//! synced (`synchronous = FULL`); a checkpoint only moves them. A checkpoint that
//! cannot finish (a reader still needs old pages) is passive and retried next second;
//! the last connection to close checkpoints too, as SQLite always does.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use tokio::task::JoinHandle;

/// How often the log is checkpointed.
pub(super) const EVERY: Duration = Duration::from_secs(1);

/// The background task; aborted when the last [`super::Db`] clone holding it is dropped,
/// and ends by itself when the pool is closed.
pub(super) struct Checkpointer(JoinHandle<()>);

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Checkpointer")
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts checkpointing `pool`'s database every `every`.
pub(super) fn spawn(pool: AnyPool, every: Duration) -> Arc<Checkpointer> {
    Arc::new(Checkpointer(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        // Said once when checkpoints start failing and once when they work again.
        let mut failing = false;
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("SQLite checkpoints work again");
                }
                Ok(_) => {}
                Err(_) if pool.is_closed() => return,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "SQLite checkpoint failed; retrying every second");
                }
                Err(_) => {}
            }
        }
    })))
}
