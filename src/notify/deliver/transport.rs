//! How the deliverer sends one claimed row. [`ChannelTransport`] is the real one: it
//! opens the row's destination from the channel settings and calls the channel's
//! sender. Tests put their own [`Transport`] in its place to count, fail or stall.

use std::future::Future;
use std::pin::Pin;

use super::store::Claimed;
use crate::app::AppState;
use crate::clock::Millis;
use crate::notify::channels::{self, Delivery};
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
        let destination = match crate::notify::settings::destination(&self.state, row).await {
            Ok(Some(d)) => d,
            Ok(None) if row.channel == Channel::Email => {
                return Sent::Tried(Delivery::Reject {
                    error: "e-mail cannot be sent: no SMTP relay is configured".into(),
                });
            }
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
        Sent::Tried(channels::send(&self.state.outbound, &destination, &row.message, now).await)
    }
}

impl Transport for ChannelTransport {
    fn send<'a>(&'a self, row: &'a Claimed) -> SendFuture<'a> {
        Box::pin(self.send_row(row))
    }
}
