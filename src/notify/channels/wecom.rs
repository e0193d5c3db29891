//! WeCom group robots (企业微信群机器人): a markdown message of at most
//! [`WECOM_MAX_BYTES`], mentioning people by their WeCom user id (`<@userid>`; the
//! markdown type has no mention by mobile), at most 20 messages a minute per robot (the
//! deliverer's rate slots keep under it).

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{Delivery, Outgoing, Robot, post_robot};
use crate::outbound::OutboundClient;

/// Largest markdown content WeCom takes, in bytes of UTF-8.
pub const WECOM_MAX_BYTES: usize = 4096;
/// WeCom answers `errcode` 45009 when a robot sends too fast; it may send again the next
/// minute.
const ROBOT: Robot = Robot {
    name: "WeCom",
    busy_codes: &[45009],
    busy_wait: std::time::Duration::from_secs(60),
};

/// The message body: the markdown with a `<@userid>` line for the mentioned people when
/// it still fits; mentions that would push it past the limit are left off.
pub fn body(message: &Outgoing) -> serde_json::Value {
    let mut content = message.markdown.clone();
    let at: Vec<String> = message
        .mentions
        .wecom_user_ids
        .iter()
        .map(|id| format!("<@{id}>"))
        .collect();
    if !at.is_empty() {
        let line = format!("\n\n{}", at.join(" "));
        if content.len() + line.len() <= WECOM_MAX_BYTES {
            content.push_str(&line);
        }
    }
    json!({ "msgtype": "markdown", "markdown": { "content": content } })
}

pub async fn send(
    client: &OutboundClient,
    webhook_url: &SecretString,
    message: &Outgoing,
) -> Delivery {
    post_robot(client, webhook_url.expose_secret(), &body(message), &ROBOT).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::channels::Mentions;

    fn message(markdown: &str, ids: &[&str]) -> Outgoing {
        Outgoing {
            id: "m1".into(),
            created_at: 0,
            kind: "rotation_due".into(),
            title: "t".into(),
            markdown: markdown.into(),
            html: String::new(),
            data: serde_json::Value::Null,
            mentions: Mentions {
                wecom_user_ids: ids.iter().map(|s| s.to_string()).collect(),
                dingtalk_user_ids: vec![],
                mobiles: vec![],
            },
        }
    }

    #[test]
    fn mentions_are_appended_when_they_fit() {
        let b = body(&message("**到期**", &["zhangsan", "lisi"]));
        assert_eq!(b["markdown"]["content"], "**到期**\n\n<@zhangsan> <@lisi>");
        let full = "字".repeat(WECOM_MAX_BYTES / 3);
        let b = body(&message(&full, &["zhangsan"]));
        assert_eq!(b["markdown"]["content"], full.as_str());
    }
}
