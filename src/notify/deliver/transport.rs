//! How the deliverer sends one claimed row. [`ChannelTransport`] is the real one: it
//! opens the row's destination from the channel settings and calls the channel's
//! sender. Tests put their own [`Transport`] in its place to count, fail or stall.

use std::future::Future;
use std::pin::Pin;

use secrecy::ExposeSecret;

use super::rate;
use super::store::Claimed;
use crate::app::AppState;
use crate::clock::Millis;
use crate::notify::channels::{self, Delivery, Destination};
use crate::notify::outbox::Channel;

/// What became of one claimed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// It was sent (or could not be), with the receiver's verdict.
    Tried(Delivery),
    /// Not sent now (a robot has no free rate slot): due again at `until`, not counted
    /// as an attempt.
    NotNow { until: Millis },
    /// The receiver answered 410 Gone to the setting whose fingerprint is `fingerprint`
    /// (only that setting is disabled: not one saved since the row was opened).
    Gone { error: String, fingerprint: String },
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Sent> + Send + 'a>>;

/// Sends one row.
pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, row: &'a Claimed) -> SendFuture<'a>;
}

/// The channels themselves.
pub struct ChannelTransport {
    state: AppState,
}

impl ChannelTransport {
    pub fn new(state: AppState) -> Self {
        ChannelTransport { state }
    }

    async fn send_row(&self, row: &Claimed) -> Sent {
        let opened = match row.channel {
            Channel::Email => match crate::notify::smtp::destination(&self.state, row).await {
                Ok(Ok(d)) => Ok(Some((d, String::new()))),
                Ok(Err(delivery)) => return Sent::Tried(delivery),
                Err(e) => Err(e),
            },
            _ => crate::notify::settings::destination(&self.state, row).await,
        };
        let (destination, fingerprint) = match opened {
            Ok(Some(d)) => d,
            Ok(None) => {
                return Sent::Tried(Delivery::Reject {
                    error: format!(
                        "the unit's {} channel was removed or disabled after this message was queued",
                        row.channel
                    ),
                });
            }
            Err(e) => {
                tracing::error!(outbox_id = %row.id, error = %e, "channel settings could not be opened");
                return Sent::Tried(Delivery::Retry {
                    error: "the channel settings could not be opened (see the server log)".into(),
                    after: None,
                });
            }
        };
        let now = self.state.now();
        let slot = match robot_url(&destination) {
            None => None,
            Some(url) => {
                let robot = rate::robot_key(&self.state, url);
                match rate::take(&self.state.db, &robot, now, MAX_ROBOT_SEND_MS).await {
                    Ok(Ok(slot)) => Some(slot),
                    Ok(Err(until)) => return Sent::NotNow { until },
                    Err(e) => {
                        tracing::error!(outbox_id = %row.id, error = %e, "robot rate slot could not be taken");
                        return Sent::Tried(Delivery::Retry {
                            error: "the robot's rate slots could not be read (see the server log)"
                                .into(),
                            after: None,
                        });
                    }
                }
            }
        };
        // The whole send, outbound permit wait included, ends within the channel's
        // longest send time; a robot's from the moment its slot was taken (the slot is
        // reserved for that long).
        let limit = match slot {
            Some(_) => now + MAX_ROBOT_SEND_MS - self.state.now(),
            None => max_send_ms(row.channel) - SEND_MARGIN_MS,
        };
        let delivery =
            send_within(&self.state, &destination, &row.message, now, limit.max(0)).await;
        if let Some(slot) = slot
            && let Err(e) = rate::finish(&self.state.db, &slot, self.state.now()).await
        {
            // The slot then frees at its pessimistic time: later, never sooner.
            tracing::warn!(outbox_id = %row.id, error = %e, "robot rate slot not given back early");
        }
        match delivery {
            Delivery::Gone { error } => Sent::Gone { error, fingerprint },
            other => Sent::Tried(other),
        }
    }
}

/// The longest a webhook send may take: its 15 s answer timeout
/// (`channels::webhook::TIMEOUT`), the wait for an outbound host permit, and a margin.
/// The whole send is cut off at this.
pub const MAX_WEBHOOK_SEND_MS: Millis = 20_000;
/// The longest a robot send may take: its 15 s answer timeout
/// (`channels::ROBOT_TIMEOUT`), the wait for an outbound host permit, and a margin. The
/// whole send is cut off at this, so a robot's rate slot (held this long plus a minute)
/// never frees before a minute has passed since the message could have arrived.
pub const MAX_ROBOT_SEND_MS: Millis = 20_000;
/// The longest an e-mail send may take: lettre's 30 s timeout covers each step of the
/// SMTP exchange, not the whole of it; the whole exchange is cut off at this.
pub const MAX_EMAIL_SEND_MS: Millis = 45_000;
/// Time kept beyond a send for opening its settings, taking a rate slot and recording
/// the outcome while the lease is still held.
pub const SEND_MARGIN_MS: Millis = 5_000;

/// The longest one send on `channel` may take (it is cut off then), margin included:
/// a deliverer starts a send only when this much of its lease is left.
pub fn max_send_ms(channel: Channel) -> Millis {
    let send = match channel {
        Channel::Webhook => MAX_WEBHOOK_SEND_MS,
        Channel::Wecom | Channel::Dingtalk => MAX_ROBOT_SEND_MS,
        Channel::Email => MAX_EMAIL_SEND_MS,
    };
    send + SEND_MARGIN_MS
}

/// Sends `message` through the channel, cut off after `limit_ms` (retried later, like
/// any timeout).
async fn send_within(
    state: &AppState,
    destination: &Destination,
    message: &crate::notify::channels::Outgoing,
    now: Millis,
    limit_ms: Millis,
) -> Delivery {
    let wait = std::time::Duration::from_millis(u64::try_from(limit_ms).unwrap_or(0));
    match tokio::time::timeout(
        wait,
        channels::send(&state.outbound, destination, message, now),
    )
    .await
    {
        Ok(delivery) => delivery,
        Err(_) => Delivery::Retry {
            error: format!("the send took longer than {} s", limit_ms / 1000),
            after: None,
        },
    }
}

/// A robot destination's URL (the rate limit is per robot).
fn robot_url(destination: &Destination) -> Option<&str> {
    match destination {
        Destination::WeCom { webhook_url } | Destination::DingTalk { webhook_url, .. } => {
            Some(webhook_url.expose_secret())
        }
        Destination::Webhook { .. } | Destination::Email { .. } => None,
    }
}

impl Transport for ChannelTransport {
    fn send<'a>(&'a self, row: &'a Claimed) -> SendFuture<'a> {
        Box::pin(self.send_row(row))
    }
}
