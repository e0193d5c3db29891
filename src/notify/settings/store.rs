//! The `unit_channels` rows: what each channel's settings hold (sealed under the unit's
//! data key), what may be shown, and the lookup of the setting a unit inherits.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use sqlx::{AnyConnection, Row};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::app::AppState;
use crate::clock::Millis;
use crate::crypto::{KeyringError, open, seal};
use crate::db::Tx;
use crate::notify::outbox::Channel;

/// A channel's settings as sealed: every field that may carry a key. Wiped on drop.
#[derive(Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Secrets {
    /// Webhook and robot URLs (robot URLs carry their keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The webhook's `whsec_…` or the DingTalk `SEC…` secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// A replaced webhook secret that keeps signing until `previous_until`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_until: Option<Millis>,
    /// A unit's e-mail list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
}

impl Secrets {
    /// A robot or webhook URL with its signing secret, if it has one.
    pub fn url(url: String, secret: Option<String>) -> Self {
        Secrets {
            url: Some(url),
            secret,
            previous_secret: None,
            previous_until: None,
            to: Vec::new(),
        }
    }

    /// A unit's e-mail list.
    pub fn email(to: Vec<String>) -> Self {
        Secrets {
            url: None,
            secret: None,
            previous_secret: None,
            previous_until: None,
            to,
        }
    }
}

/// One stored channel of one unit, without its secrets.
#[derive(Debug, Clone)]
pub struct Stored {
    pub unit_id: String,
    pub unit_name: String,
    pub channel: Channel,
    pub shown: Value,
    pub fingerprint: String,
    pub disabled_at: Option<Millis>,
    pub disabled_reason: Option<String>,
    pub updated_at: Millis,
}

fn aad(unit_id: &str, channel: Channel) -> Vec<u8> {
    format!("credgov/channel/v1/{unit_id}/{}", channel.as_str()).into_bytes()
}

/// A keyed hash of the secret parts (16 hex digits): tells two settings apart without
/// showing either.
pub fn fingerprint(state: &AppState, secrets: &Secrets) -> String {
    let key = state.keyring.derive("notify.channel-fingerprint");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in [&secrets.url, &secrets.secret].into_iter().flatten() {
        mac.update(part.as_bytes());
        mac.update(b"\n");
    }
    for address in &secrets.to {
        mac.update(address.as_bytes());
        mac.update(b"\n");
    }
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// Saves (inserts or replaces) a unit's channel, enabled, in `tx`.
pub async fn save(
    state: &AppState,
    tx: &mut Tx,
    unit_id: &str,
    channel: Channel,
    secrets: &Secrets,
    shown: &Value,
    by: Option<&str>,
) -> Result<(), KeyringError> {
    let now = state.now();
    let key = state.keyring.unit_key(tx, unit_id, now).await?;
    let plain = Zeroizing::new(
        serde_json::to_vec(secrets)
            .unwrap_or_else(|_| unreachable!("strings and numbers always serialise")),
    );
    let sealed = seal(&key, &aad(unit_id, channel), &plain);
    sqlx::query(
        "INSERT INTO unit_channels (unit_id, channel, sealed, shown, fingerprint, disabled_at, \
         disabled_reason, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6, $7) \
         ON CONFLICT (unit_id, channel) DO UPDATE SET sealed = $3, shown = $4, fingerprint = $5, \
         disabled_at = NULL, disabled_reason = NULL, updated_at = $6, updated_by = $7",
    )
    .bind(unit_id)
    .bind(channel.as_str())
    .bind(sealed)
    .bind(shown.to_string())
    .bind(fingerprint(state, secrets))
    .bind(now)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes a unit's own channel; whether it had one.
pub async fn remove(tx: &mut Tx, unit_id: &str, channel: Channel) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM unit_channels WHERE unit_id = $1 AND channel = $2")
        .bind(unit_id)
        .bind(channel.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A webhook endpoint that answered 410 Gone: disabled until it is saved again. With
/// `fingerprint` (the setting the message went to), only while that is still the
/// stored setting: one saved since (a fixed URL) stays enabled.
pub async fn disable(
    tx: &mut Tx,
    unit_id: &str,
    channel: Channel,
    fingerprint: Option<&str>,
    reason: &str,
    now: Millis,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE unit_channels SET disabled_at = $1, disabled_reason = $2 \
         WHERE unit_id = $3 AND channel = $4 AND disabled_at IS NULL \
         AND ($5 IS NULL OR fingerprint = $5)",
    )
    .bind(now)
    .bind(reason)
    .bind(unit_id)
    .bind(channel.as_str())
    .bind(fingerprint)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// For each channel, the setting `unit_id` uses: its own, or the nearest unit's above
/// it (disabled ones included, so the caller can tell why nothing is sent).
pub async fn effective<'e, E>(exec: E, unit_id: &str) -> Result<Vec<Stored>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT c.unit_id, a.name, c.channel, c.shown, c.fingerprint, c.disabled_at, \
         c.disabled_reason, c.updated_at FROM units u \
         JOIN units a ON u.path LIKE a.path || '%' \
         JOIN unit_channels c ON c.unit_id = a.id \
         WHERE u.id = $1 ORDER BY c.channel, a.depth DESC",
    )
    .bind(unit_id)
    .fetch_all(exec)
    .await?;
    let mut out: Vec<Stored> = Vec::new();
    for r in &rows {
        let channel: String = r.try_get("channel")?;
        let Some(channel) = Channel::parse(&channel) else {
            continue;
        };
        // Nearest first within each channel: keep the first row of each.
        if out.iter().any(|s| s.channel == channel) {
            continue;
        }
        let shown: String = r.try_get("shown")?;
        out.push(Stored {
            unit_id: r.try_get("unit_id")?,
            unit_name: r.try_get("name")?,
            channel,
            shown: serde_json::from_str(&shown).unwrap_or(Value::Null),
            fingerprint: r.try_get("fingerprint")?,
            disabled_at: r.try_get("disabled_at")?,
            disabled_reason: r.try_get("disabled_reason")?,
            updated_at: r.try_get("updated_at")?,
        });
    }
    Ok(out)
}

/// Opens `unit_id`'s own `channel` setting; None when it has none (or, with
/// `enabled_only`, when it is disabled).
pub async fn open_own(
    state: &AppState,
    unit_id: &str,
    channel: Channel,
    enabled_only: bool,
) -> Result<Option<Secrets>, KeyringError> {
    let mut conn = state.db.pool().acquire().await?;
    read_own(state, &mut conn, unit_id, channel, enabled_only).await
}

/// Opens `unit_id`'s own `channel` setting (disabled or not) as `tx` sees it: for a
/// change decided on the stored setting, inside the transaction that writes it.
pub async fn open_own_in(
    state: &AppState,
    tx: &mut Tx,
    unit_id: &str,
    channel: Channel,
) -> Result<Option<Secrets>, KeyringError> {
    read_own(state, tx, unit_id, channel, false).await
}

async fn read_own(
    state: &AppState,
    conn: &mut AnyConnection,
    unit_id: &str,
    channel: Channel,
    enabled_only: bool,
) -> Result<Option<Secrets>, KeyringError> {
    let row = sqlx::query(
        "SELECT sealed FROM unit_channels WHERE unit_id = $1 AND channel = $2 \
         AND ($3 = 0 OR disabled_at IS NULL)",
    )
    .bind(unit_id)
    .bind(channel.as_str())
    .bind(i64::from(enabled_only))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let sealed: Vec<u8> = row.try_get("sealed")?;
    let key = state
        .keyring
        .existing_unit_key(&mut *conn, unit_id)
        .await?
        .ok_or(KeyringError::Damaged)?;
    let plain = open(&key, &aad(unit_id, channel), &sealed).map_err(|_| KeyringError::Damaged)?;
    let secrets = serde_json::from_slice(&plain).map_err(|_| KeyringError::Damaged)?;
    Ok(Some(secrets))
}

/// Opens every unit's stored channel secrets for `credgov restore-check`: how many
/// opened, or the first that does not.
pub async fn check_sealed_channels(state: &AppState) -> Result<u64, String> {
    let rows = sqlx::query("SELECT unit_id, channel FROM unit_channels ORDER BY unit_id, channel")
        .fetch_all(state.db.pool())
        .await
        .map_err(|e| format!("reading notification channels: {e}"))?;
    for r in &rows {
        let unit: String = r.try_get("unit_id").map_err(|e| e.to_string())?;
        let name: String = r.try_get("channel").map_err(|e| e.to_string())?;
        let channel = Channel::parse(&name)
            .ok_or_else(|| format!("unit {unit} has an unknown notification channel {name}"))?;
        match open_own(state, &unit, channel, false).await {
            Ok(Some(_)) => {}
            _ => {
                return Err(format!(
                    "the {name} channel secrets of unit {unit} do not open with this master key"
                ));
            }
        }
    }
    Ok(rows.len() as u64)
}
