//! Optional signing of HR integration requests: `X-Credgov-Signature: sha256=<hex>` is
//! the HMAC-SHA256 of `"<timestamp>.<body>"` under the configured secret, and
//! `X-Credgov-Timestamp` (unix seconds) must be within five minutes of now.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::{HandoverError, HandoverResult};
use crate::error::InternalError;

pub const MAX_SKEW_SECS: i64 = 300;

fn bad(message: &'static str) -> HandoverError {
    HandoverError::BadSignature(message)
}

/// Verifies in constant time. `now_ms` from the service clock.
pub fn verify_signature(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_ms: i64,
) -> HandoverResult<()> {
    let ts = timestamp.ok_or_else(|| {
        bad("X-Credgov-Timestamp is required when HR request signing is configured")
    })?;
    let sig = signature.ok_or_else(|| {
        bad("X-Credgov-Signature is required when HR request signing is configured")
    })?;
    let ts_secs: i64 = ts
        .trim()
        .parse()
        .map_err(|_| bad("X-Credgov-Timestamp must be unix seconds"))?;
    if (now_ms / 1000 - ts_secs).abs() > MAX_SKEW_SECS {
        return Err(bad(
            "X-Credgov-Timestamp is more than 5 minutes from the server's time (stale or replayed request)",
        ));
    }
    let hex_sig = sig
        .trim()
        .strip_prefix("sha256=")
        .ok_or_else(|| bad("X-Credgov-Signature must look like sha256=<hex>"))?;
    let expected = hex::decode(hex_sig).map_err(|_| bad("X-Credgov-Signature is not hex"))?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .map_err(|_| InternalError::new("HMAC key"))?;
    mac.update(ts.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| bad("the signature does not match the body"))
}

/// Signs like an HR system would (tests, documentation).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_bad_stale() {
        let now = 1_800_000_000_000;
        let ts = now / 1000;
        let sig = sign(b"k", ts, b"{}");
        assert!(verify_signature(b"k", Some(&ts.to_string()), Some(&sig), b"{}", now).is_ok());
        assert!(
            verify_signature(b"k", Some(&ts.to_string()), Some(&sig), b"{ }", now).is_err(),
            "tampered body"
        );
        assert!(
            verify_signature(b"x", Some(&ts.to_string()), Some(&sig), b"{}", now).is_err(),
            "wrong key"
        );
        let old = sign(b"k", ts - 301, b"{}");
        assert!(
            verify_signature(b"k", Some(&(ts - 301).to_string()), Some(&old), b"{}", now).is_err(),
            "stale"
        );
        assert!(verify_signature(b"k", None, Some(&sig), b"{}", now).is_err());
        assert!(verify_signature(b"k", Some(&ts.to_string()), Some("md5=00"), b"{}", now).is_err());
    }
}
