//! Random bearer tokens (stored only as SHA-256 hashes) and random bytes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        // Without an OS random source no key, token or nonce can be made safely.
        panic!("operating system random source failed: {e}");
    }
}

/// A new opaque token: `prefix` + 256 random bits, base64url.
pub fn random_token(prefix: &str) -> String {
    let mut b = [0u8; 32];
    random_bytes(&mut b);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b))
}

/// The form a token is stored and looked up in.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let a = random_token("cgs_");
        let b = random_token("cgs_");
        assert_ne!(a, b);
        assert!(a.len() >= 4 + 43);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
    }
}
