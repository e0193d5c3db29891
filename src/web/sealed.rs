//! What the console hands the browser to carry from one step to the next without
//! being able to read or change it: sealed with AES-256-GCM under a sub-key of the
//! system key (one `label` per purpose), with an expiry inside the sealed text and
//! `aad` binding it to its context (e.g. the session). Used for the sign-in step
//! cookie ([`super::pending_login`]) and the spreadsheet carried from an import's dry
//! run to the import itself.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::crypto::{open, seal};

/// Why a sealed value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsealed {
    /// Not ours, changed, sealed for another context (session) or under another key.
    Invalid,
    /// Genuine, but past its expiry.
    Expired,
}

/// `plain` sealed for `label`/`aad`, valid until `expires_ms`, as URL-safe base64
/// (safe in a cookie, a form field or a URL).
pub fn seal_until(
    state: &AppState,
    label: &str,
    aad: &[u8],
    expires_ms: i64,
    plain: &[u8],
) -> String {
    seal_with_key(&state.keyring.derive(label), aad, expires_ms, plain)
}

fn seal_with_key(key: &[u8; 32], aad: &[u8], expires_ms: i64, plain: &[u8]) -> String {
    let mut whole = Zeroizing::new(Vec::with_capacity(8 + plain.len()));
    whole.extend_from_slice(&expires_ms.to_be_bytes());
    whole.extend_from_slice(plain);
    URL_SAFE_NO_PAD.encode(seal(key, aad, &whole))
}

/// The plain text sealed in `text` by [`seal_until`] with the same `label` and `aad`,
/// if it opens and `now_ms` is not past its expiry.
pub fn open_until(
    state: &AppState,
    label: &str,
    aad: &[u8],
    text: &str,
    now_ms: i64,
) -> Result<Zeroizing<Vec<u8>>, Unsealed> {
    open_with_key(&state.keyring.derive(label), aad, text, now_ms)
}

fn open_with_key(
    key: &[u8; 32],
    aad: &[u8],
    text: &str,
    now_ms: i64,
) -> Result<Zeroizing<Vec<u8>>, Unsealed> {
    let sealed = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| Unsealed::Invalid)?;
    let whole = open(key, aad, &sealed).map_err(|_| Unsealed::Invalid)?;
    let expires = whole
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(i64::from_be_bytes)
        .ok_or(Unsealed::Invalid)?;
    if now_ms > expires {
        return Err(Unsealed::Expired);
    }
    Ok(Zeroizing::new(whole.get(8..).unwrap_or_default().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn opens_only_in_time_with_the_same_key_and_context() {
        let text = seal_with_key(&KEY, b"session A", 1_000, b"file");
        let opened = open_with_key(&KEY, b"session A", &text, 1_000).map(|p| p.to_vec());
        assert_eq!(opened, Ok(b"file".to_vec()));
        assert_eq!(
            open_with_key(&KEY, b"session A", &text, 1_001).map(|p| p.to_vec()),
            Err(Unsealed::Expired)
        );
        assert_eq!(
            open_with_key(&KEY, b"session B", &text, 0).map(|p| p.to_vec()),
            Err(Unsealed::Invalid)
        );
        assert_eq!(
            open_with_key(&[8; 32], b"session A", &text, 0).map(|p| p.to_vec()),
            Err(Unsealed::Invalid)
        );
    }

    #[test]
    fn a_changed_or_foreign_text_is_invalid() {
        let text = seal_with_key(&KEY, b"ctx", 1_000, b"file");
        let mut bytes = URL_SAFE_NO_PAD.decode(&text).unwrap_or_default();
        if let Some(last) = bytes.last_mut() {
            *last ^= 1;
        }
        let changed = URL_SAFE_NO_PAD.encode(&bytes);
        for bad in [changed.as_str(), "", "not base64 at all!", "AAAA"] {
            assert_eq!(
                open_with_key(&KEY, b"ctx", bad, 0).map(|p| p.to_vec()),
                Err(Unsealed::Invalid),
                "{bad}"
            );
        }
    }
}
