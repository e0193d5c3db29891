//! The canonical encoding of an event and the chain link over it.
//!
//! * v1 (events written before keying): `hex(SHA-256(prev_hash || "\n" || JSON))`.
//!   Anyone with database access can recompute it.
//! * v2 (every event since): `hex(HMAC-SHA256(chain key, prev_hash || "\n" || JSON))`
//!   under a key derived from the system key, so an attacker without the master key
//!   cannot forge a link. `prev_hash` chains across the v1 → v2 boundary.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// `prev_hash` of the first event of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Fields covered by the hash, in a fixed order. Changing this struct changes every
/// hash: add a new encoding version instead.
#[derive(Serialize)]
pub struct Canonical<'a> {
    pub v: u8,
    pub unit_id: &'a str,
    pub seq: i64,
    pub id: &'a str,
    pub at: i64,
    pub actor_kind: &'a str,
    pub actor_id: Option<&'a str>,
    pub actor_name: Option<&'a str>,
    pub action: &'a str,
    pub target_kind: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub outcome: &'a str,
    pub request_id: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    pub details: &'a str,
}

/// Encoding version of events linked with SHA-256 only.
pub const V_HASHED: u8 = 1;
/// Encoding version of events linked with HMAC-SHA256 under the chain key.
pub const V_KEYED: u8 = 2;

/// `hex(SHA-256(prev_hash || "\n" || canonical JSON))` (the v1 link).
pub fn event_hash(prev_hash: &str, c: &Canonical<'_>) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    // Serialising a struct of strings and integers cannot fail.
    let body = serde_json::to_vec(c).unwrap_or_default();
    h.update(&body);
    hex::encode(h.finalize())
}

/// `hex(HMAC-SHA256(key, prev_hash || "\n" || canonical JSON))` (the v2 link).
pub fn event_mac(key: &[u8; 32], prev_hash: &str, c: &Canonical<'_>) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(prev_hash.as_bytes());
    mac.update(b"\n");
    let body = serde_json::to_vec(c).unwrap_or_default();
    mac.update(&body);
    hex::encode(mac.finalize().into_bytes())
}

/// The link of `c` for its encoding version, or `None` for an unknown version.
pub fn link(key: &[u8; 32], prev_hash: &str, c: &Canonical<'_>) -> Option<String> {
    match c.v {
        V_HASHED => Some(event_hash(prev_hash, c)),
        V_KEYED => Some(event_mac(key, prev_hash, c)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(action: &str) -> Canonical<'_> {
        Canonical {
            v: 1,
            unit_id: "u",
            seq: 1,
            id: "e",
            at: 5,
            actor_kind: "user",
            actor_id: Some("a"),
            actor_name: Some("alice"),
            action,
            target_kind: None,
            target_id: None,
            outcome: "success",
            request_id: None,
            client_addr: None,
            details: "{}",
        }
    }

    #[test]
    fn hash_depends_on_every_input() {
        let a = event_hash(GENESIS_HASH, &sample("login"));
        assert_eq!(a, event_hash(GENESIS_HASH, &sample("login")));
        assert_ne!(a, event_hash(GENESIS_HASH, &sample("logout")));
        assert_ne!(a, event_hash(&a, &sample("login")));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn v2_links_are_keyed_and_differ_from_v1() {
        let key = [7u8; 32];
        let other = [8u8; 32];
        let mut c = sample("login");
        c.v = V_KEYED;
        let keyed = link(&key, GENESIS_HASH, &c).unwrap();
        assert_eq!(keyed.len(), 64);
        assert_eq!(keyed, event_mac(&key, GENESIS_HASH, &c), "deterministic");
        // Without the key (plain SHA-256, or another key) nobody reproduces it.
        assert_ne!(keyed, event_hash(GENESIS_HASH, &c));
        assert_ne!(keyed, link(&other, GENESIS_HASH, &c).unwrap());
        // It covers the previous link and the content.
        assert_ne!(keyed, link(&key, &keyed, &c).unwrap());
        assert_ne!(keyed, link(&key, GENESIS_HASH, &sample("logout")).unwrap());
        // v1 ignores the key; the version is part of the encoding.
        let v1 = sample("login");
        assert_eq!(
            link(&key, GENESIS_HASH, &v1),
            link(&other, GENESIS_HASH, &v1)
        );
        assert_eq!(
            link(&key, GENESIS_HASH, &v1).unwrap(),
            event_hash(GENESIS_HASH, &v1)
        );
        let mut unknown = sample("login");
        unknown.v = 3;
        assert_eq!(link(&key, GENESIS_HASH, &unknown), None);
    }
}
