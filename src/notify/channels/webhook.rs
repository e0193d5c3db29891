//! Signed webhooks after the Standard Webhooks specification
//! (<https://www.standardwebhooks.com/>): headers `webhook-id` (the outbox row id),
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`
//! (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret while a rotation
//! is under way, separated by spaces), a JSON body of at most [`MAX_BODY_BYTES`], and
//! 410 Gone from the receiver disables the endpoint.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{Delivery, Outgoing};
use crate::outbound::OutboundClient;

/// Largest JSON body sent; `notify::parts` cuts a longer message into parts when it is
/// queued, and a body that still does not fit is rejected here, never sent.
pub const MAX_BODY_BYTES: usize = 20 * 1024;
/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// The prefix of a secret's text form.
pub const SECRET_PREFIX: &str = "whsec_";
/// Fewest random bytes a secret must carry.
pub const MIN_SECRET_BYTES: usize = 24;

/// Why a webhook secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretFormatError {
    #[error("a webhook secret starts with whsec_ followed by base64")]
    Format,
    #[error("a webhook secret must carry at least {MIN_SECRET_BYTES} random bytes")]
    TooShort,
}

impl SecretFormatError {
    /// The same sentence in Chinese.
    pub fn zh(&self) -> String {
        match self {
            SecretFormatError::Format => "Webhook 密钥须以 whsec_ 开头，后接 base64。".into(),
            SecretFormatError::TooShort => {
                format!("Webhook 密钥至少须含 {MIN_SECRET_BYTES} 个随机字节。")
            }
        }
    }
}

/// The signing key of a `whsec_…` secret.
pub fn secret_key(secret: &str) -> Result<Zeroizing<Vec<u8>>, SecretFormatError> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SecretFormatError::Format)?;
    let key = Zeroizing::new(B64.decode(encoded).map_err(|_| SecretFormatError::Format)?);
    if key.len() < MIN_SECRET_BYTES {
        return Err(SecretFormatError::TooShort);
    }
    Ok(key)
}

/// `v1,<signature>` of one message under one key.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// The JSON body: `{"type", "timestamp", "data"}` as the specification suggests, with
/// the title and markdown text for receivers that only display messages.
pub fn body(message: &Outgoing) -> Vec<u8> {
    let payload = json!({
        "type": format!("credgov.{}", message.kind),
        "timestamp": rfc3339(message.created_at),
        "data": {
            "id": message.id,
            "kind": message.kind,
            "title": message.title,
            "text": message.markdown,
            "details": message.data,
        },
    });
    payload.to_string().into_bytes()
}

/// Sends one message: one POST, judged by its status.
pub async fn send(
    client: &OutboundClient,
    url: &SecretString,
    secrets: &[SecretString],
    message: &Outgoing,
    now_ms: i64,
) -> Delivery {
    let body = body(message);
    if body.len() > MAX_BODY_BYTES {
        return Delivery::Reject {
            error: format!(
                "the message is {} bytes, more than the {MAX_BODY_BYTES} a webhook carries",
                body.len()
            ),
        };
    }
    let timestamp = now_ms.div_euclid(1000);
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        match secret_key(secret.expose_secret()) {
            Ok(key) => signatures.push(sign(&key, &message.id, timestamp, &body)),
            Err(e) => {
                return Delivery::Reject {
                    error: e.to_string(),
                };
            }
        }
    }
    if signatures.is_empty() {
        return Delivery::Reject {
            error: "the webhook has no signing secret".into(),
        };
    }
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in [
        ("webhook-id", message.id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signatures.join(" ")),
    ] {
        match HeaderValue::from_str(&value) {
            Ok(v) => {
                headers.insert(name, v);
            }
            Err(_) => {
                return Delivery::Reject {
                    error: format!("the {name} header could not be written"),
                };
            }
        }
    }
    match client
        .post_within(url.expose_secret(), headers, body, TIMEOUT)
        .await
    {
        Ok(answer) => super::judge_http(answer.status, answer.header("retry-after"), "webhook"),
        Err(e) => super::judge_transport(&e),
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signature_matches_the_specification_example() {
        let key = B64
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap_or_default();
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_need_the_prefix_and_enough_bytes() {
        assert_eq!(secret_key("abc").err(), Some(SecretFormatError::Format));
        assert_eq!(
            secret_key(&format!("whsec_{}", B64.encode([7u8; 16]))).err(),
            Some(SecretFormatError::TooShort)
        );
        assert_eq!(
            secret_key(&format!("whsec_{}", B64.encode([7u8; 24])))
                .map(|k| k.len())
                .ok(),
            Some(24)
        );
    }
}
