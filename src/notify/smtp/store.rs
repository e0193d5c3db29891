//! The `smtp_relay` row (one per installation): the relay's address and sender, and
//! its password sealed under a key derived from the system key (a master key rotation
//! re-wraps data keys only and leaves it readable), with a keyed fingerprint to show
//! instead of it.

use hmac::{Hmac, Mac};
use secrecy::SecretString;
use sha2::Sha256;
use sqlx::Row;

use crate::app::AppState;
use crate::clock::Millis;
use crate::crypto::{KeyringError, open, seal};
use crate::db::Tx;
use crate::notify::channels::email::{EmailRelay, SmtpTls};

const ID: &str = "relay";
const AAD: &[u8] = b"credgov/smtp/v1/password";
/// The system sub-key that seals the password.
const SEAL_LABEL: &str = "notify.smtp";
const FINGERPRINT_LABEL: &str = "notify.smtp-fingerprint";

/// The stored relay without its password.
#[derive(Debug, Clone)]
pub struct Stored {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password_fingerprint: Option<String>,
    pub from: String,
    pub reply_to: Option<String>,
    pub updated_at: Millis,
}

/// What to save; `password`: a new one (None keeps the stored one while there is a
/// username; no username drops it).
pub struct Save<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
    pub from: &'a str,
    pub reply_to: Option<&'a str>,
    pub by: Option<&'a str>,
    pub at: Millis,
}

const SELECT: &str = "SELECT host, port, tls, username, password_fingerprint, from_address, \
    reply_to, updated_at, sealed_password FROM smtp_relay WHERE id = $1";

fn stored(r: &sqlx::any::AnyRow) -> Result<Stored, sqlx::Error> {
    let tls: String = r.try_get("tls")?;
    let port: i64 = r.try_get("port")?;
    let bad = |what: &str| sqlx::Error::Decode(format!("smtp_relay holds a bad {what}").into());
    Ok(Stored {
        host: r.try_get("host")?,
        port: u16::try_from(port).map_err(|_| bad("port"))?,
        tls: SmtpTls::parse(&tls).ok_or_else(|| bad("tls"))?,
        username: r.try_get("username")?,
        password_fingerprint: r.try_get("password_fingerprint")?,
        from: r.try_get("from_address")?,
        reply_to: r.try_get("reply_to")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The relay as stored, if one is set.
pub async fn load<'e, E>(exec: E) -> Result<Option<Stored>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(SELECT).bind(ID).fetch_optional(exec).await?;
    row.as_ref().map(stored).transpose()
}

/// Whether a relay is set (e-mail rows are queued only then).
pub async fn configured(tx: &mut Tx) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT 1 FROM smtp_relay WHERE id = $1")
        .bind(ID)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// A keyed hash of the password (16 hex digits): tells two passwords apart without
/// showing either.
pub fn fingerprint(state: &AppState, password: &str) -> String {
    let key = state.keyring.derive(FINGERPRINT_LABEL);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(password.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// Inserts or replaces the relay in `tx`. A new password is sealed; without one the
/// stored password stays (in the same statement, so a concurrent change is not lost)
/// as long as a username is set.
pub async fn save(state: &AppState, tx: &mut Tx, s: &Save<'_>) -> Result<(), sqlx::Error> {
    let sealed = s
        .password
        .map(|p| seal(&state.keyring.derive(SEAL_LABEL), AAD, p.as_bytes()));
    let fingerprint = s.password.map(|p| fingerprint(state, p));
    let has_user = i64::from(s.username.is_some());
    sqlx::query(
        "INSERT INTO smtp_relay (id, host, port, tls, username, sealed_password, password_fingerprint, \
         from_address, reply_to, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (id) DO UPDATE SET host = $2, port = $3, tls = $4, username = $5, \
         sealed_password = CASE WHEN $12 = 0 THEN NULL ELSE COALESCE($6, smtp_relay.sealed_password) END, \
         password_fingerprint = CASE WHEN $12 = 0 THEN NULL ELSE COALESCE($7, smtp_relay.password_fingerprint) END, \
         from_address = $8, reply_to = $9, updated_at = $10, updated_by = $11",
    )
    .bind(ID)
    .bind(s.host)
    .bind(i64::from(s.port))
    .bind(s.tls.as_str())
    .bind(s.username)
    .bind(sealed)
    .bind(fingerprint)
    .bind(s.from)
    .bind(s.reply_to)
    .bind(s.at)
    .bind(s.by)
    .bind(has_user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The relay with its password opened for one send; None when none is set.
pub async fn open_relay(state: &AppState) -> Result<Option<EmailRelay>, KeyringError> {
    let Some(row) = sqlx::query(SELECT)
        .bind(ID)
        .fetch_optional(state.db.pool())
        .await?
    else {
        return Ok(None);
    };
    let s = stored(&row)?;
    let sealed: Option<Vec<u8>> = row.try_get("sealed_password")?;
    let password = match sealed {
        None => None,
        Some(sealed) => {
            let plain = open(&state.keyring.derive(SEAL_LABEL), AAD, &sealed)
                .map_err(|_| KeyringError::Damaged)?;
            let text = std::str::from_utf8(&plain).map_err(|_| KeyringError::Damaged)?;
            Some(SecretString::from(text.to_string()))
        }
    };
    Ok(Some(EmailRelay {
        host: s.host,
        port: s.port,
        tls: s.tls,
        username: s.username,
        password,
        from: s.from,
        reply_to: s.reply_to,
    }))
}

/// Opens the SMTP relay's sealed password for `credgov restore-check`: 1 when one is
/// stored and opens, 0 when none is stored.
pub async fn check_sealed_smtp(state: &AppState) -> Result<u64, String> {
    match open_relay(state).await {
        Ok(Some(relay)) => Ok(u64::from(relay.password.is_some())),
        Ok(None) => Ok(0),
        Err(e) => Err(format!(
            "the SMTP relay's password does not open with this master key: {e}"
        )),
    }
}
