//! CSRF tokens. A signed-in session's token is an HMAC of the session (keyed by a
//! sub-key of the system key), so it needs no storage, differs per session and dies
//! with it; every state-changing form carries it as `_csrf`, and htmx requests as the
//! `X-CSRF-Token` header (set once on `<body hx-headers>`). Before signing in, the
//! sign-in forms use a double-submit token: a random `cg_pre` cookie the form repeats.
//! `SameSite=Strict` on every cookie is the second wall.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::app::AppState;

/// The form field and header names.
pub const FIELD: &str = "_csrf";
pub const HEADER: &str = "x-csrf-token";

/// The CSRF token of the session whose token hashes to `token_hash`.
pub fn token(state: &AppState, token_hash: &str) -> String {
    let key = state.keyring.derive("web.csrf");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(token_hash.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..20])
}

/// Whether `given` is `expected` (constant time; an empty one never matches).
pub fn matches(expected: &str, given: Option<&str>) -> bool {
    match given {
        Some(g) if !g.is_empty() && !expected.is_empty() => {
            bool::from(expected.as_bytes().ct_eq(g.as_bytes()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn only_the_same_nonempty_token_matches() {
        assert!(matches("abc", Some("abc")));
        assert!(!matches("abc", Some("abd")));
        assert!(!matches("abc", None));
        assert!(!matches("", Some("")));
    }
}
