//! Re-hashing login passwords when the configured argon2 parameters have been raised:
//! at the next successful login the just-verified password is hashed again with the
//! current parameters, so old weak hashes disappear as people log in.

use argon2::{Params, PasswordHash};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::config::Argon2Config;
use crate::ids::UserId;

/// Whether `stored` (a PHC string) was made with weaker settings than `cfg`: another
/// algorithm or version than argon2id v19, or a lower memory, time or parallelism cost.
/// A string that does not parse is left alone (it could not have been verified).
pub(super) fn needs_rehash(stored: &str, cfg: &Argon2Config) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    if hash.algorithm.as_str() != "argon2id" || hash.version != Some(0x13) {
        return true;
    }
    let Ok(p) = Params::try_from(&hash) else {
        return false;
    };
    p.m_cost() < cfg.memory_kib || p.t_cost() < cfg.iterations || p.p_cost() < cfg.parallelism
}

/// Re-hashes `password` (just verified against `stored`) on the hashing pool when
/// needed and stores it, unless the hash changed meanwhile. Never fails the login: a
/// problem is logged as a warning without any secret.
pub(super) async fn rehash_if_needed(
    state: &AppState,
    user_id: &UserId,
    stored: &str,
    password: Zeroizing<String>,
) {
    if !needs_rehash(stored, &state.config.argon2) {
        return;
    }
    let fresh = match state.hasher.hash(password).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(user_id = %user_id, error = %e, "re-hashing a login password failed; the old hash stays");
            return;
        }
    };
    let res =
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(&fresh)
            .bind(user_id)
            .bind(stored)
            .execute(state.db.pool())
            .await;
    if let Err(e) = res {
        tracing::warn!(user_id = %user_id, error = %e, "storing a re-hashed login password failed; the old hash stays");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(m: u32, t: u32, p: u32) -> Argon2Config {
        Argon2Config {
            memory_kib: m,
            iterations: t,
            parallelism: p,
            max_concurrent: Some(1),
            insecure_allow_weak_params_for_tests: true,
            ..Argon2Config::default()
        }
    }

    const H: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

    #[test]
    fn lower_stored_costs_need_a_rehash() {
        assert!(!needs_rehash(H, &cfg(19456, 2, 1)), "same parameters");
        assert!(
            !needs_rehash(H, &cfg(256, 1, 1)),
            "stronger than configured"
        );
        assert!(needs_rehash(H, &cfg(65536, 2, 1)), "memory raised");
        assert!(needs_rehash(H, &cfg(19456, 3, 1)), "iterations raised");
        assert!(needs_rehash(H, &cfg(19456, 2, 2)), "parallelism raised");
    }

    #[test]
    fn other_algorithms_need_a_rehash_garbage_does_not() {
        let argon2i = H.replacen("argon2id", "argon2i", 1);
        assert!(needs_rehash(&argon2i, &cfg(256, 1, 1)));
        let v16 = H.replacen("v=19", "v=16", 1);
        assert!(needs_rehash(&v16, &cfg(256, 1, 1)));
        assert!(!needs_rehash("not a hash", &cfg(65536, 3, 4)));
        assert!(!needs_rehash("", &cfg(65536, 3, 4)));
    }
}
