//! The deliverer: one loop per server process. Each round claims up to `notify.batch`
//! due rows under a lease (`notify.lease_ms`), sends each through its [`Transport`]
//! and records the outcome while it still holds the lease. A send starts only while
//! its lease lasts until the send's latest end ([`transport::max_send_ms`]: sends are
//! cut off at that), extending the row's own lease first when needed; a row whose lease
//! already ran out is not sent (another deliverer may be sending it). Failures come back after
//! [`backoff`]; after `notify.max_attempts` a row is `failed` and the system
//! administrators get a `delivery_failed` inbox notice (never about a failed
//! `delivery_failed` message: no loops). A server killed mid-round loses its leases and
//! another deliverer sends those rows again under the same id, which is what receivers
//! deduplicate on.

pub mod backoff;
pub mod rate;
pub mod store;
pub mod transport;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use self::store::{Claimed, Settle};
use self::transport::{ChannelTransport, Sent, Transport};
use super::audience::Audience;
use super::channels::Delivery;
use super::enqueue::{Notice, enqueue};
use super::kinds::{Lang, NotificationKind};
use crate::app::AppState;
use crate::db::new_id;
use crate::ids::UnitId;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
    /// Not attempted for want of a rate slot.
    pub deferred: usize,
    /// Outcomes not recorded because the lease had passed to another deliverer.
    pub lost: usize,
    /// Not attempted: its lease ran out before its turn and could not be extended (it
    /// is due for any deliverer, this one included, to claim again).
    pub expired: usize,
}

/// One deliverer; `owner` names its leases.
pub struct Deliverer {
    state: AppState,
    owner: String,
    transport: Arc<dyn Transport>,
}

impl Deliverer {
    /// The real deliverer, sending through the channels.
    pub fn new(state: AppState) -> Self {
        let transport = Arc::new(ChannelTransport::new(state.clone()));
        Deliverer::with_transport(state, transport)
    }

    /// A deliverer sending through `transport` (tests).
    pub fn with_transport(state: AppState, transport: Arc<dyn Transport>) -> Self {
        let owner = format!("{}-{}", std::process::id(), new_id());
        Deliverer {
            state,
            owner,
            transport,
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Claims one batch (leased to this deliverer), without sending it.
    pub async fn claim(&self) -> Result<Vec<Claimed>, sqlx::Error> {
        let config = &self.state.config.notify;
        store::claim(
            &self.state.db,
            &self.owner,
            self.state.now(),
            i64::try_from(config.lease_ms).unwrap_or(i64::MAX),
            i64::from(config.batch),
        )
        .await
    }

    /// One round: claim a batch, send each row, record each outcome.
    pub async fn run_once(&self) -> Result<Round, sqlx::Error> {
        let rows = self.claim().await?;
        let mut round = Round {
            claimed: rows.len(),
            ..Round::default()
        };
        for row in &rows {
            // A send starts only if it ends (it is cut off at its channel's longest send
            // time) while the lease is still ours: one that outlasted the lease could run
            // beside another deliverer's send of the same row. When too little is left,
            // the row's lease is extended first, which fails if it already ran out.
            let now = self.state.now();
            let needed = now + transport::max_send_ms(row.channel);
            if needed >= row.lease_until
                && !store::extend(&self.state.db, &row.id, &self.owner, now, needed).await?
            {
                round.expired += 1;
                continue;
            }
            let sent = self.transport.send(row).await;
            // A 410 disables the setting the message went to (when the transport says
            // which), not one saved since.
            let (sent, gone) = match sent {
                Sent::Gone { error, fingerprint } => (
                    Sent::Tried(Delivery::Gone { error }),
                    Some(Some(fingerprint)),
                ),
                sent @ Sent::Tried(Delivery::Gone { .. }) => (sent, Some(None)),
                sent => (sent, None),
            };
            let settle = self.judge(row, sent);
            match self.record(row, &settle, gone.as_ref()).await? {
                false => round.lost += 1,
                true => match settle {
                    Settle::Delivered => round.delivered += 1,
                    Settle::Retry { .. } => round.retried += 1,
                    Settle::Failed { .. } => round.failed += 1,
                    Settle::Deferred { .. } => round.deferred += 1,
                },
            }
        }
        Ok(round)
    }

    /// What to record for `row` after `sent`.
    fn judge(&self, row: &Claimed, sent: Sent) -> Settle {
        let now = self.state.now();
        let attempts = row.attempts + 1;
        let max = i64::from(self.state.config.notify.max_attempts);
        match sent {
            Sent::NotNow { until } => Settle::Deferred { next_at: until },
            Sent::Gone { error, .. } => Settle::Failed { error },
            Sent::Tried(Delivery::Delivered) => Settle::Delivered,
            Sent::Tried(Delivery::Reject { error } | Delivery::Gone { error }) => {
                Settle::Failed { error }
            }
            Sent::Tried(Delivery::Retry { error, .. }) if attempts >= max => Settle::Failed {
                error: format!("gave up after {attempts} attempts; the last: {error}"),
            },
            Sent::Tried(Delivery::Retry { error, after }) => {
                // The receiver's Retry-After, when longer than our own schedule.
                let hinted = after
                    .map(|d| i64::try_from(d.as_millis()).unwrap_or(backoff::CAP_MS))
                    .unwrap_or(0)
                    .min(backoff::CAP_MS);
                Settle::Retry {
                    next_at: now + backoff::jittered_delay(attempts).max(hinted),
                    error,
                }
            }
        }
    }

    /// Writes `settle` if the lease is still ours; a row that failed for good tells the
    /// system administrators in the same transaction, and a receiver that answered
    /// 410 Gone (`gone`: with the fingerprint of the setting it was sent to, if known)
    /// has that channel setting disabled.
    async fn record(
        &self,
        row: &Claimed,
        settle: &Settle,
        gone: Option<&Option<String>>,
    ) -> Result<bool, sqlx::Error> {
        let now = self.state.now();
        let mut tx = self.state.db.begin_write().await?;
        if !store::settle(&mut tx, &row.id, &self.owner, now, settle).await? {
            return Ok(false);
        }
        if let (Some(fingerprint), Some(unit_id)) = (gone, row.settings_unit_id.as_deref()) {
            let reason = "the receiver answered 410 Gone";
            let store = super::settings::store::disable;
            store(
                &mut tx,
                unit_id,
                row.channel,
                fingerprint.as_deref(),
                reason,
                now,
            )
            .await?;
        }
        if let Settle::Failed { error } = settle
            && row.kind != NotificationKind::DeliveryFailed
        {
            let notice = Notice::new(
                NotificationKind::DeliveryFailed,
                UnitId::new(row.unit_id.clone()),
                now,
            )
            .to(Audience::Sysadmins)
            .data(json!({
                "outbox_id": row.id,
                "about": row.kind.title(Lang::ZhCn),
                "kind": row.kind,
                "channel": row.channel,
                "attempts": row.attempts + 1,
                "error": error,
            }));
            enqueue(&mut tx, &notice).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Runs rounds until `stop` resolves: after each round that claimed a full batch at
    /// once, otherwise when woken ([`super::wake`]) or after `notify.poll_ms`.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        let poll = Duration::from_millis(self.state.config.notify.poll_ms);
        let batch = self.state.config.notify.batch as usize;
        tokio::pin!(stop);
        loop {
            let full = match self.run_once().await {
                Ok(round) => round.claimed >= batch,
                Err(e) => {
                    tracing::error!(error = %e, "notification delivery round failed");
                    false
                }
            };
            if full {
                continue;
            }
            tokio::select! {
                _ = &mut stop => break,
                _ = super::woken() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
        tracing::info!("notification deliverer stopped");
    }
}

/// A running deliverer loop; [`DelivererHandle::shutdown`] stops it after its round.
pub struct DelivererHandle {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl DelivererHandle {
    /// Starts this process's deliverer loop.
    pub fn start(state: AppState) -> DelivererHandle {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let deliverer = Deliverer::new(state);
        tracing::info!(owner = deliverer.owner(), "notification deliverer started");
        let task = tokio::spawn(deliverer.run(async move {
            let _ = stopped.await;
        }));
        DelivererHandle { stop, task }
    }

    /// Stops the loop and waits for the round in progress. Rows it held and did not
    /// record go back to the queue when their lease runs out.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
