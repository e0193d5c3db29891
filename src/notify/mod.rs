//! Notifications (issue 10): every event that needs a person reaches that person through
//! one transactional outbox; channels are the in-app inbox, e-mail, signed webhooks and
//! the WeCom and DingTalk group robots.

pub mod channels;
pub mod split;
