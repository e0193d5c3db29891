//! Notifications (issue 10): every event that needs a person reaches that person through
//! one transactional outbox; channels are the in-app inbox, e-mail, signed webhooks and
//! the WeCom and DingTalk group robots.
//!
//! Producers call [`enqueue`] (or queue a [`Batch`]) inside their write transaction (and
//! [`wake`] after the commit); `kinds` names the events, `audience` finds the people and groups, `render`
//! writes the words, `inbox` and `outbox` hold the rows, `deliver` sends the outbox,
//! `routes` serves `/notifications` and `/outbox`. `settings` holds the units' group
//! channels, `smtp` the installation's SMTP relay, `prefs` each person's preferences
//! (language, addresses, muted kinds).

pub mod audience;
pub mod channels;
mod config;
pub mod deliver;
mod enqueue;
mod error;
pub mod inbox;
pub mod kinds;
pub mod marks;
pub mod outbox;
pub mod parts;
pub mod prefs;
pub mod render;
mod routes;
pub mod settings;
pub mod smtp;
pub mod split;

use std::sync::OnceLock;

use tokio::sync::Notify;

pub use audience::Audience;
pub use config::NotifyConfig;
pub use deliver::{Deliverer, DelivererHandle};
pub use enqueue::{Batch, Notice, Queued, enqueue, unit_name};
pub use error::NotifyError;
pub use kinds::NotificationKind;
pub use routes::router;
pub use settings::store::check_sealed_channels;
pub use smtp::store::check_sealed_smtp;

/// This process's deliverer wake-up.
fn wake_up() -> &'static Notify {
    static WAKE: OnceLock<Notify> = OnceLock::new();
    WAKE.get_or_init(Notify::new)
}

/// Tells this process's deliverer that rows were queued: call after the commit that
/// wrote them (before it, the deliverer would find nothing yet).
pub fn wake() {
    wake_up().notify_one();
}

/// Resolves at the next [`wake`] (or at once if one came since the last look).
async fn woken() {
    wake_up().notified().await;
}
