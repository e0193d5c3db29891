//! DingTalk custom robots (钉钉自定义机器人) in signing mode: the URL gets `timestamp`
//! (Unix ms) and `sign` = base64 HMAC-SHA256 of `"{timestamp}\n{secret}"` keyed by the
//! secret; the body is a markdown message whose text names the mentioned mobiles, with
//! `at.atMobiles`. A robot takes at most 20 messages a minute and is blocked for ten
//! minutes past that: the deliverer's rate slots keep under it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sha2::Sha256;
use url::Url;

use super::{Delivery, Outgoing, Robot, post_robot};
use crate::outbound::OutboundClient;

/// Largest markdown text (with the mention line) sent in one message: our own
/// conservative budget, not a limit DingTalk publishes in bytes. `notify::parts` cuts
/// longer messages into parts when they are queued.
pub const DINGTALK_MAX_BYTES: usize = 4000;
/// DingTalk answers `errcode` 130101 when a robot sends too fast, and then blocks the
/// robot for 10 minutes: trying again sooner only wastes attempts.
const ROBOT: Robot = Robot {
    name: "DingTalk",
    busy_codes: &[130101],
    busy_wait: std::time::Duration::from_secs(600),
};

/// The `sign` parameter for `timestamp_ms` (before URL encoding).
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// The robot URL with `timestamp` and `sign` appended (URL-encoded).
pub fn signed_url(webhook_url: &str, secret: &str, timestamp_ms: i64) -> Option<Url> {
    let mut url = Url::parse(webhook_url).ok()?;
    url.query_pairs_mut()
        .append_pair("timestamp", &timestamp_ms.to_string())
        .append_pair("sign", &sign(secret, timestamp_ms));
    Some(url)
}

/// The message body: markdown with an `@mobile` / `@userid` line for the mentioned
/// people, which DingTalk needs in the text for the mention to show.
pub fn body(message: &Outgoing) -> serde_json::Value {
    let mobiles = &message.mentions.mobiles;
    let user_ids = &message.mentions.dingtalk_user_ids;
    let mut text = message.markdown.clone();
    if !mobiles.is_empty() || !user_ids.is_empty() {
        let at: Vec<String> = mobiles
            .iter()
            .chain(user_ids)
            .map(|m| format!("@{m}"))
            .collect();
        text.push_str("\n\n");
        text.push_str(&at.join(" "));
    }
    json!({
        "msgtype": "markdown",
        "markdown": { "title": message.title, "text": text },
        "at": { "atMobiles": mobiles, "atUserIds": user_ids, "isAtAll": false },
    })
}

pub async fn send(
    client: &OutboundClient,
    webhook_url: &SecretString,
    secret: &SecretString,
    message: &Outgoing,
    now_ms: i64,
) -> Delivery {
    let Some(url) = signed_url(webhook_url.expose_secret(), secret.expose_secret(), now_ms) else {
        return Delivery::Reject {
            error: "the DingTalk robot address is not a valid URL".into(),
        };
    };
    post_robot(client, url.as_str(), &body(message), &ROBOT).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_robot_is_left_alone_for_its_ten_minute_block() {
        let answer = br#"{"errcode":130101,"errmsg":"send too fast"}"#;
        match super::super::judge_robot_answer(answer, &ROBOT) {
            Delivery::Retry { after, error } => {
                assert_eq!(after, Some(std::time::Duration::from_secs(600)));
                assert!(error.contains("DingTalk"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Computed independently (Python hmac/base64/urllib.parse.quote_plus).
    #[test]
    fn sign_matches_an_independent_computation() {
        let secret = "SECtestsecret0123456789";
        assert_eq!(
            sign(secret, 1_700_000_000_000),
            "zrLWzK97t62y5CpqN8Ok9UIdPvX+jL1PNoW8nKT5a9k="
        );
        let url = signed_url(
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            secret,
            1_700_000_000_000,
        )
        .map(|u| u.to_string());
        assert_eq!(
            url.as_deref(),
            Some(
                "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000\
                 &sign=zrLWzK97t62y5CpqN8Ok9UIdPvX%2BjL1PNoW8nKT5a9k%3D"
            )
        );
    }
}
