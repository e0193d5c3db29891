//! The senders: one module per external channel. A sender takes one outbox row's
//! message, already rendered and small enough for its channel, and the destination's
//! opened settings, makes exactly one request, and says what became of it. Senders never
//! touch the database, never retry and never log the destination's URL or secret: the
//! deliverer (`notify::deliver`) owns claiming, retries, rate slots and bookkeeping.

pub mod dingtalk;
pub mod email;
pub mod webhook;
pub mod wecom;

use std::time::Duration;

use secrecy::SecretString;

pub use dingtalk::DINGTALK_MAX_BYTES;
pub use wecom::WECOM_MAX_BYTES;

/// One message for one destination, rendered for its channel.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The outbox row id: the webhook id / idempotency key a receiver deduplicates on.
    pub id: String,
    /// When the message was queued, Unix milliseconds (the webhook payload's timestamp).
    pub created_at: i64,
    /// The notification kind's text, e.g. `rotation_due`.
    pub kind: String,
    /// Subject line (e-mail) and markdown title (DingTalk).
    pub title: String,
    /// The body as markdown (robots) or plain text with light markup (e-mail text part).
    pub markdown: String,
    /// The e-mail HTML part (escaped; no remote resources).
    pub html: String,
    /// The structured JSON the webhook carries as `data`.
    pub data: serde_json::Value,
    /// Who to mention: WeCom and DingTalk user ids and mobile numbers (robots only).
    pub mentions: Mentions,
}

/// People a robot message mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    pub wecom_user_ids: Vec<String>,
    pub dingtalk_user_ids: Vec<String>,
    pub mobiles: Vec<String>,
}

/// Where a message goes, with its secrets opened for this one send.
pub enum Destination {
    /// A Standard Webhooks receiver; `secrets` are the `whsec_…` secrets (one, or two
    /// while a rotation is under way: each signs).
    Webhook {
        url: SecretString,
        secrets: Vec<SecretString>,
    },
    /// A WeCom group robot (the full `…/cgi-bin/webhook/send?key=…` URL).
    WeCom { webhook_url: SecretString },
    /// A DingTalk custom robot (the full `…/robot/send?access_token=…` URL) and its
    /// signing secret (`SEC…`).
    DingTalk {
        webhook_url: SecretString,
        secret: SecretString,
    },
    /// E-mail to these addresses over the configured SMTP relay, connecting to
    /// `address` (checked against the outbound rule).
    Email {
        relay: email::EmailRelay,
        address: std::net::IpAddr,
        to: Vec<String>,
    },
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // URLs of robots and webhooks carry their keys: never printed.
        match self {
            Destination::Webhook { secrets, .. } => f
                .debug_struct("Webhook")
                .field("secrets", &secrets.len())
                .finish_non_exhaustive(),
            Destination::WeCom { .. } => f.write_str("WeCom { .. }"),
            Destination::DingTalk { .. } => f.write_str("DingTalk { .. }"),
            Destination::Email { relay, to, .. } => f
                .debug_struct("Email")
                .field("relay", relay)
                .field("to", &to.len())
                .finish(),
        }
    }
}

/// What became of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The receiver took it.
    Delivered,
    /// A failure worth retrying later (timeout, 5xx, 429, connection refused …);
    /// `after` is the receiver's own hint (`Retry-After`), if any.
    Retry {
        error: String,
        after: Option<Duration>,
    },
    /// The receiver will never take it (a 4xx other than 408/429, a refused destination,
    /// a body too large): the row fails at once.
    Reject { error: String },
    /// The receiver asked to be left alone for good (a webhook answering 410 Gone): the
    /// row fails and the unit's endpoint is disabled until someone saves it again.
    Gone { error: String },
}

/// Sends `message` to `destination`: exactly one request (or one SMTP exchange).
pub async fn send(
    client: &crate::outbound::OutboundClient,
    destination: &Destination,
    message: &Outgoing,
    now_ms: i64,
) -> Delivery {
    match destination {
        Destination::Webhook { url, secrets } => {
            webhook::send(client, url, secrets, message, now_ms).await
        }
        Destination::WeCom { webhook_url } => wecom::send(client, webhook_url, message).await,
        Destination::DingTalk {
            webhook_url,
            secret,
        } => dingtalk::send(client, webhook_url, secret, message, now_ms).await,
        Destination::Email { relay, address, to } => {
            email::send(relay, *address, to, message).await
        }
    }
}

/// An HTTP answer in delivery terms: 2xx delivered; 410 gone; 408, 429 and 5xx retried
/// (with the receiver's `Retry-After` seconds, if it gave one); any other status
/// (other 4xx, an unfollowed redirect) rejected.
pub fn judge_http(status: reqwest::StatusCode, retry_after: Option<&str>, what: &str) -> Delivery {
    let code = status.as_u16();
    let error = format!("the {what} receiver answered HTTP {code}");
    match code {
        200..=299 => Delivery::Delivered,
        410 => Delivery::Gone { error },
        408 | 429 | 500..=599 => Delivery::Retry {
            error,
            after: retry_after
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
        },
        _ => Delivery::Reject { error },
    }
}

/// A request that got no answer: refused destinations and bad addresses are final,
/// everything else (timeouts, refused connections, resolver failures) is retried.
pub fn judge_transport(e: &crate::outbound::OutboundError) -> Delivery {
    use crate::outbound::OutboundError as E;
    let error = e.to_string();
    match e {
        E::InvalidUrl | E::SchemeNotAllowed { .. } | E::DestinationRefused { .. } => {
            Delivery::Reject { error }
        }
        _ => Delivery::Retry { error, after: None },
    }
}

/// A robot's JSON answer (`{"errcode": 0, "errmsg": "ok"}`) in delivery terms, after the
/// HTTP status said 2xx: `errcode` 0 delivered, one of `busy_codes` (the platform's "too
/// many messages") retried in a minute, any other code rejected with the platform's
/// words (which never contain the key).
/// A group robot platform: its name in messages, the `errcode`s it answers when a robot
/// sends too fast, and how long to wait then.
#[derive(Debug, Clone, Copy)]
pub struct Robot {
    pub name: &'static str,
    pub busy_codes: &'static [i64],
    pub busy_wait: Duration,
}

pub fn judge_robot_answer(body: &[u8], robot: &Robot) -> Delivery {
    let what = robot.name;
    let answer: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            return Delivery::Retry {
                error: format!("the {what} robot answered with something other than JSON"),
                after: None,
            };
        }
    };
    let code = answer.get("errcode").and_then(serde_json::Value::as_i64);
    let message: String = answer
        .get("errmsg")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    match code {
        Some(0) => Delivery::Delivered,
        Some(c) if robot.busy_codes.contains(&c) => Delivery::Retry {
            error: format!("the {what} robot is busy (errcode {c}: {message})"),
            after: Some(robot.busy_wait),
        },
        Some(c) => Delivery::Reject {
            error: format!("the {what} robot refused the message (errcode {c}: {message})"),
        },
        None => Delivery::Retry {
            error: format!("the {what} robot's answer has no errcode"),
            after: None,
        },
    }
}

/// Posts a robot's JSON message and judges the answer by status, then by `errcode`.
pub async fn post_robot(
    client: &crate::outbound::OutboundClient,
    url: &str,
    body: &serde_json::Value,
    robot: &Robot,
) -> Delivery {
    let what = robot.name;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        reqwest::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    match client
        .post_within(url, headers, body.to_string().into_bytes(), ROBOT_TIMEOUT)
        .await
    {
        Ok(answer) => match judge_http(answer.status, answer.header("retry-after"), what) {
            Delivery::Delivered => judge_robot_answer(&answer.body, robot),
            other => other,
        },
        Err(e) => judge_transport(&e),
    }
}

/// How long a robot has to answer.
pub const ROBOT_TIMEOUT: Duration = Duration::from_secs(15);
