//! The body of `PUT /units/{id}/channels` and its checks. Each channel is optional:
//! absent leaves it as it is, `null` removes it, an object sets it.

use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

use crate::error::InputError;
use crate::notify::channels::webhook;
use crate::outbound::OutboundClient;

/// Most e-mail addresses a unit's list may hold.
pub const MAX_EMAIL_TO: usize = 20;

/// `Some(None)` for an explicit `null`, `Some(Some(v))` for a value; absent keys stay
/// `None` through `#[serde(default)]`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelsInput {
    /// A Standard Webhooks receiver; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<WebhookInput>)]
    pub webhook: Option<Option<WebhookInput>>,
    /// A WeCom group robot; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<WecomInput>)]
    pub wecom: Option<Option<WecomInput>>,
    /// A DingTalk custom robot; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DingtalkInput>)]
    pub dingtalk: Option<Option<DingtalkInput>>,
    /// The unit's e-mail list; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<EmailInput>)]
    pub email: Option<Option<EmailInput>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// The receiver's https URL (plain http only to a host listed in
    /// `outbound.allowed_hosts`).
    pub url: String,
    /// `whsec_` + base64 of at least 24 random bytes (at least 8 distinct byte values). Required the first time; when
    /// omitted later the current secret stays. A new secret replaces the old one, which
    /// keeps signing beside it for 24 hours so the receiver can switch over.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub secret: Option<Zeroizing<String>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WecomInput {
    /// The full URL WeCom issues (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`).
    #[schema(value_type = String)]
    pub webhook_url: Zeroizing<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DingtalkInput {
    /// The full URL DingTalk issues (`https://oapi.dingtalk.com/robot/send?access_token=…`).
    #[schema(value_type = String)]
    pub webhook_url: Zeroizing<String>,
    /// The robot's signing secret (`SEC…`).
    #[schema(value_type = String)]
    pub secret: Zeroizing<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailInput {
    /// Addresses that receive the unit's group messages (1 to 20).
    pub to: Vec<String>,
}

/// A destination URL as the outbound rule will take it; `field` names it in the error.
pub fn check_url(client: &OutboundClient, field: &str, url: &str) -> Result<String, InputError> {
    if url.len() > 2000 {
        return Err(
            InputError::field(field, "the URL is longer than 2000 characters")
                .zh("网址不能超过 2000 个字符。"),
        );
    }
    let host = client
        .check_destination(url)
        .map_err(|e| InputError::field_from(field, &e))?;
    // Robot URLs carry their keys and webhooks carry signed data: plain http only to a
    // host the operator listed (this machine, the intranet).
    let plain = url::Url::parse(url).is_ok_and(|u| u.scheme() == "http");
    if plain && !client.lists_host(&host) {
        return Err(InputError::field(
            field,
            "the URL must use https (plain http only to a host listed in outbound.allowed_hosts)",
        )
        .zh("网址须使用 https（只有列入 outbound.allowed_hosts 的主机才可用 http）。"));
    }
    Ok(host)
}

/// Fewest distinct byte values a new webhook secret's bytes must hold.
pub const MIN_DISTINCT_SECRET_BYTES: usize = 8;

/// A `whsec_…` secret's format, and bytes that look random: a secret of one repeated
/// byte (or a handful of byte values) is refused, whatever its length.
pub fn check_webhook_secret(secret: &str) -> Result<(), InputError> {
    let key = webhook::secret_key(secret)
        .map_err(|e| InputError::field("webhook.secret", e.to_string()).zh(e.zh()))?;
    let mut seen = [false; 256];
    for b in key.iter() {
        seen[usize::from(*b)] = true;
    }
    let distinct = seen.iter().filter(|s| **s).count();
    if distinct < MIN_DISTINCT_SECRET_BYTES {
        return Err(InputError::field(
            "webhook.secret",
            "the webhook secret's bytes are not random (generate it, e.g. whsec_ + base64 of 32 random bytes)",
        )
        .zh("Webhook 密钥的字节不够随机，请用随机数生成（例如 whsec_ 加 32 个随机字节的 base64）。"));
    }
    Ok(())
}

/// A DingTalk signing secret: `SEC` and printable ASCII, at most 200 characters.
pub fn check_dingtalk_secret(secret: &str) -> Result<(), InputError> {
    let ok = secret.starts_with("SEC")
        && secret.len() <= 200
        && secret.len() > 3
        && secret.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(InputError::field(
            "dingtalk.secret",
            "a DingTalk signing secret starts with SEC (copy it from the robot's security settings)",
        )
        .zh("钉钉加签密钥以 SEC 开头，请从机器人的安全设置中复制。"))
    }
}

/// The e-mail list: 1 to 20 plausible, distinct addresses (lower-cased).
pub fn check_email_to(to: &[String]) -> Result<Vec<String>, InputError> {
    if to.is_empty() || to.len() > MAX_EMAIL_TO {
        return Err(
            InputError::field("email.to", format!("give 1 to {MAX_EMAIL_TO} addresses"))
                .zh(format!("请填写 1 至 {MAX_EMAIL_TO} 个收件地址。")),
        );
    }
    let mut out: Vec<String> = Vec::with_capacity(to.len());
    for address in to {
        let address = address.trim().to_lowercase();
        if !plausible_email(&address) {
            return Err(InputError::field(
                "email.to",
                format!("{address:?} is not an e-mail address"),
            )
            .zh(format!("{address:?} 不是电子邮件地址。")));
        }
        if !out.contains(&address) {
            out.push(address);
        }
    }
    Ok(out)
}

/// One `local@domain.tld` without spaces, controls or a second `@`, at most 254 bytes.
pub fn plausible_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    address.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && address
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_absent_and_set_are_three_things() {
        let v: ChannelsInput =
            serde_json::from_str(r#"{"wecom": null, "email": {"to": ["a@b.cn"]}}"#).unwrap();
        assert!(v.webhook.is_none());
        assert!(matches!(v.wecom, Some(None)));
        assert!(matches!(v.email, Some(Some(_))));
        assert!(serde_json::from_str::<ChannelsInput>(r#"{"sms": {}}"#).is_err());
    }

    #[test]
    fn email_lists_are_checked_and_folded() {
        assert_eq!(
            check_email_to(&["A@Gov.CN".into(), "a@gov.cn".into()]).unwrap(),
            vec!["a@gov.cn".to_string()]
        );
        for bad in ["", "a", "a@b", "a b@c.cn", "a@@c.cn", "@c.cn", "a@.cn"] {
            assert!(check_email_to(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(check_email_to(&[]).is_err());
    }

    #[test]
    fn webhook_secrets_must_look_random() {
        use base64::Engine as _;
        let b64 = |bytes: &[u8]| {
            format!(
                "whsec_{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        };
        assert!(check_webhook_secret(&b64(&[7u8; 32])).is_err());
        let few: Vec<u8> = (0..32u8).map(|i| i % 7).collect();
        assert!(check_webhook_secret(&b64(&few)).is_err());
        let enough: Vec<u8> = (0..32u8).map(|i| i % 8).collect();
        assert!(check_webhook_secret(&b64(&enough)).is_ok());
        assert!(check_webhook_secret(&b64(&[1u8; 16])).is_err());
    }

    #[test]
    fn dingtalk_secrets_look_like_dingtalk_secrets() {
        assert!(check_dingtalk_secret("SECabc123").is_ok());
        assert!(check_dingtalk_secret("abc").is_err());
        assert!(check_dingtalk_secret("SEC").is_err());
        assert!(check_dingtalk_secret("SEC a").is_err());
    }
}
