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
                Ok(Ok(d)) => Ok(Some(d)),
                Ok(Err(delivery)) => return Sent::Tried(delivery),
                Err(e) => Err(e),
            },
            _ => crate::notify::settings::destination(&self.state, row).await,
        };
        let destination = match opened {
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
        let delivery = channels::send(&self.state.outbound, &destination, &row.message, now).await;
        if let Some(slot) = slot
            && let Err(e) = rate::finish(&self.state.db, &slot, self.state.now()).await
        {
            // The slot then frees at its pessimistic time: later, never sooner.
            tracing::warn!(outbox_id = %row.id, error = %e, "robot rate slot not given back early");
        }
        Sent::Tried(delivery)
    }
}

/// The longest a robot send can take (its 15 s timeout and a margin): the slot's
/// pessimistic hold if the server dies mid-send.
const MAX_ROBOT_SEND_MS: Millis = 20_000;

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
