//! TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step). Secrets are sealed under a key
//! derived from the master key and bound to the user id. Each accepted step is
//! remembered so a code works once.

use base64::Engine;
use serde::Serialize;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::Zeroizing;

use super::error::{IdentityError, IdentityResult};
use crate::crypto;
use crate::ids::UserId;

pub const ISSUER: &str = "credgov";

fn build(secret: &[u8], username: &str) -> IdentityResult<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::from(secret))
        .with_issuer(Some(ISSUER))
        .with_account_name(username.replace(':', "_"))
        .build()
        .map_err(IdentityError::internal)
}

fn aad(user_id: &UserId) -> Vec<u8> {
    format!("credgov/user-totp/{user_id}").into_bytes()
}

/// What an enrolling user needs to set up an authenticator app. Contains the secret:
/// never log it, send it with `Cache-Control: no-store`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TotpEnrollment {
    /// Base32 secret for manual entry.
    pub secret: String,
    pub otpauth_uri: String,
    /// PNG of the QR code, base64.
    pub qr_png_base64: String,
}

impl std::fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrollment(***)")
    }
}

/// A new secret, sealed for storage, and the enrolment material.
pub fn new_enrollment(
    key: &[u8; 32],
    user_id: &UserId,
    username: &str,
) -> IdentityResult<(Vec<u8>, TotpEnrollment)> {
    let mut raw = Zeroizing::new([0u8; 20]);
    crypto::random_bytes(raw.as_mut());
    let totp = build(raw.as_ref(), username)?;
    let uri = totp.to_url().map_err(IdentityError::internal)?;
    let png = totp.to_qr_png().map_err(IdentityError::internal)?;
    let enrollment = TotpEnrollment {
        secret: Secret::from(raw.as_ref()).to_base32(),
        otpauth_uri: uri,
        qr_png_base64: base64::engine::general_purpose::STANDARD.encode(png),
    };
    Ok((crypto::seal(key, &aad(user_id), raw.as_ref()), enrollment))
}

/// The step a code matches at `now_ms`, if any.
pub fn check_code(
    key: &[u8; 32],
    user_id: &UserId,
    username: &str,
    sealed: &[u8],
    code: &str,
    now_ms: i64,
) -> IdentityResult<Option<i64>> {
    let raw = crypto::open(key, &aad(user_id), sealed).map_err(IdentityError::internal)?;
    let totp = build(&raw, username)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let now = u64::try_from(now_ms / 1000).unwrap_or(0);
    Ok(totp.check(&code, now).and_then(|s| i64::try_from(s).ok()))
}

/// Uses up `step` for the user: false when it, or a later one, was used already (a
/// replayed code). Each code therefore works once.
pub(super) async fn claim_step<'e, E>(db: E, user_id: &UserId, step: i64) -> IdentityResult<bool>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Current code for a base32 secret at `now_ms` (tests and the CLI demo use it).
pub fn code_at(secret_base32: &str, now_ms: i64) -> Option<String> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    let totp = Builder::new().with_secret(secret).build().ok()?;
    Some(
        totp.generate(u64::try_from(now_ms / 1000).ok()?)
            .to_string(),
    )
}

/// Opens every user's sealed TOTP secret (enrolled and pending) for
/// `credgov restore-check`: how many opened, or the first that does not.
pub async fn check_sealed_totp(state: &crate::app::AppState) -> Result<u64, String> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id, totp_secret, totp_pending FROM users \
         WHERE totp_secret IS NOT NULL OR totp_pending IS NOT NULL ORDER BY id",
    )
    .fetch_all(state.db.pool())
    .await
    .map_err(|e| format!("reading users' TOTP seeds: {e}"))?;
    let mut count = 0u64;
    for r in &rows {
        let user: UserId = r.try_get("id").map_err(|e| e.to_string())?;
        for column in ["totp_secret", "totp_pending"] {
            let sealed: Option<Vec<u8>> = r.try_get(column).map_err(|e| e.to_string())?;
            if let Some(sealed) = sealed {
                crypto::open(&state.totp_key, &aad(&user), &sealed).map_err(|_| {
                    format!(
                        "the TOTP seed ({column}) of user {user} does not open with this master key"
                    )
                })?;
                count += 1;
            }
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enroll_then_check() {
        let key = [3u8; 32];
        let (u1, u2) = (UserId::new("u1"), UserId::new("u2"));
        let (sealed, e) = new_enrollment(&key, &u1, "alice").unwrap();
        assert!(e.otpauth_uri.starts_with("otpauth://totp/"));
        assert!(e.otpauth_uri.contains("issuer=credgov"));
        assert!(!e.qr_png_base64.is_empty());
        let now = 1_800_000_000_000;
        let code = code_at(&e.secret, now).unwrap();
        let step = check_code(&key, &u1, "alice", &sealed, &code, now).unwrap();
        assert_eq!(step, Some(1_800_000_000 / 30));
        // ±1 step of skew, not more.
        assert!(
            check_code(&key, &u1, "alice", &sealed, &code, now + 30_000)
                .unwrap()
                .is_some()
        );
        assert!(
            check_code(&key, &u1, "alice", &sealed, &code, now + 95_000)
                .unwrap()
                .is_none()
        );
        assert!(
            check_code(&key, &u1, "alice", &sealed, "abcdef", now)
                .unwrap()
                .is_none()
        );
        // Sealed for another user does not open.
        assert!(check_code(&key, &u2, "alice", &sealed, &code, now).is_err());
        assert!(!format!("{e:?}").contains(&e.secret));
    }
}
