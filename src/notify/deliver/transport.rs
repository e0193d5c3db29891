//! How the deliverer sends one claimed row. [`ChannelTransport`] is the real one: it
//! opens the row's destination from the channel settings and calls the channel's
//! sender. Tests put their own [`Transport`] in its place to count, fail or stall.

use std::future::Future;
use std::pin::Pin;

use super::store::Claimed;
use crate::app::AppState;
use crate::clock::Millis;
use crate::notify::channels::{Delivery, Destination, dingtalk, webhook, wecom};

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
        let Some(destination) = destination(&self.state, row).await else {
            return Sent::Tried(Delivery::Reject {
                error: format!("no {} destination is configured for this unit", row.channel),
            });
        };
        let client = &self.state.outbound;
        let now = self.state.now();
        let message = &row.message;
        Sent::Tried(match destination {
            Destination::Webhook { url, secrets } => {
                webhook::send(client, &url, &secrets, message, now).await
            }
            Destination::WeCom { webhook_url } => wecom::send(client, &webhook_url, message).await,
            Destination::DingTalk {
                webhook_url,
                secret,
            } => dingtalk::send(client, &webhook_url, &secret, message, now).await,
            Destination::Email { .. } => Delivery::Reject {
                error: "e-mail delivery is not available in this build".into(),
            },
        })
    }
}

impl Transport for ChannelTransport {
    fn send<'a>(&'a self, row: &'a Claimed) -> SendFuture<'a> {
        Box::pin(self.send_row(row))
    }
}

/// The row's destination with its secrets opened for this one send. The channel
/// settings (and so every destination) come with the settings branch
/// (`notify::settings::destination`); until it is merged there is none.
async fn destination(_state: &AppState, _row: &Claimed) -> Option<Destination> {
    None
}
