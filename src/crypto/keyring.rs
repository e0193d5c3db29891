//! The key hierarchy. The master key (KEK, from a file) wraps:
//! * a random **system key**, from which the sub-keys for TOTP sealing and keyed
//!   fingerprints derive (so rotating the KEK changes no derived key), and
//! * one random **data key per unit** (created on first use) that seals that unit's
//!   secrets.
//!
//! Every wrapped key records which KEK wrapped it (`key_check`), which makes
//! `credgov keys rotate` resumable: a crash midway leaves each key wrapped under
//! exactly one of the two KEKs, and running it again finishes.
//!
//! A running server holds the KEK it started with. Before it wraps a new unit key it
//! checks, in the same write transaction and with a write on the keyring row (so a
//! rotation in another process waits for it or is seen by it), that this KEK is still
//! the database's one and no rotation is under way; otherwise it refuses with
//! [`KeyringError::RestartRequired`] (HTTP 503 `restart_required`) instead of wrapping
//! a key under a KEK that is being retired, which would strand it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use sqlx::Row;
use zeroize::Zeroizing;

use super::{KeyError, MasterKey, open, random_bytes, seal};
use crate::db::{ChainKey, Db, Tx};

const SYSTEM_AAD: &[u8] = b"credgov/system-key/v1";

/// Label of the key that links audit events (HMAC-SHA256).
pub const AUDIT_CHAIN_LABEL: &str = "audit-chain";
/// Label of the key that signs audit anchors.
pub const AUDIT_ANCHOR_LABEL: &str = "audit-anchor";

fn derive_from_system(system: &[u8; 32], label: &str) -> Zeroizing<[u8; 32]> {
    MasterKey::from_bytes(*system).derive(label)
}

fn unit_aad(unit_id: &str) -> Vec<u8> {
    format!("credgov/unit-key/v1/{unit_id}").into_bytes()
}

fn wrap(kek: &MasterKey, aad: &[u8], key: &[u8; 32]) -> Vec<u8> {
    seal(&kek.derive("wrap"), aad, key)
}

fn unwrap(kek: &MasterKey, aad: &[u8], wrapped: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    let raw = open(&kek.derive("wrap"), aad, wrapped).ok()?;
    let mut out = Zeroizing::new([0u8; 32]);
    if raw.len() != 32 {
        return None;
    }
    out.copy_from_slice(&raw);
    Some(out)
}

fn random_key() -> Zeroizing<[u8; 32]> {
    let mut k = Zeroizing::new([0u8; 32]);
    random_bytes(k.as_mut());
    k
}

/// The unwrapped keys a running service holds.
pub struct Keyring {
    kek: MasterKey,
    /// `kek.check_value()`, computed once.
    kek_check: String,
    system: Zeroizing<[u8; 32]>,
    /// Unwrapped unit data keys. A data key never changes once created (a master key
    /// rotation re-wraps it but keeps its value), so the cache never goes stale.
    unit_keys: Mutex<HashMap<String, Zeroizing<[u8; 32]>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(***)")
    }
}

/// What a running server answers (HTTP 503 `restart_required`) when the master key was
/// rotated under it: one sentence for every capability that carries the condition
/// (`KeyringError`, `VaultError`, `NotifyError`).
pub const RESTART_REQUIRED: &str = "the master key was rotated while this server was running; \
     nothing was saved. The operator must restart the server with the new master key file, \
     then retry";

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(
        "a master key rotation is unfinished: run `credgov keys rotate --new-key-file <the new key>` again to finish it"
    )]
    RotationUnfinished,
    #[error("the system key does not open with this master key; the keyring is damaged")]
    Damaged,
    #[error("{0}")]
    Rotation(String),
    /// The master key was rotated (or a rotation is under way) since this server
    /// started: restart it with `CREDGOV_MASTER_KEY_FILE` pointing at the new key file.
    #[error("{}", RESTART_REQUIRED)]
    RestartRequired,
}

impl KeyringError {
    /// The codes a `KeyringError` answers with (see `own_code`).
    pub const CODES: &'static [&'static str] =
        &["restart_required", "master_key", "key_rotation", "internal"];
}

impl crate::error::DomainError for KeyringError {
    fn own_kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            // A running server: the operator must restart it (HTTP 503).
            KeyringError::RestartRequired => ErrorKind::Busy,
            // The operator's command cannot go on as asked (exit 1).
            KeyringError::Key(_) | KeyringError::RotationUnfinished | KeyringError::Rotation(_) => {
                ErrorKind::Conflict
            }
            KeyringError::Db(_) | KeyringError::Damaged => ErrorKind::Internal,
        }
    }

    fn own_code(&self) -> &'static str {
        match self {
            KeyringError::RestartRequired => "restart_required",
            KeyringError::Key(_) => "master_key",
            KeyringError::RotationUnfinished | KeyringError::Rotation(_) => "key_rotation",
            KeyringError::Db(_) | KeyringError::Damaged => "internal",
        }
    }
}

crate::domain_error!(KeyringError);

impl Keyring {
    /// A sub-key for one purpose, derived from the system key.
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; 32]> {
        derive_from_system(&self.system, label)
    }

    /// The keyring of `kek` and the system key, having given `db` the audit chain key
    /// (every audited write transaction links with it).
    fn armed(db: &Db, kek: MasterKey, kek_check: String, system: Zeroizing<[u8; 32]>) -> Keyring {
        let keyring = Keyring {
            kek_check,
            kek,
            system,
            unit_keys: Mutex::new(HashMap::new()),
        };
        db.set_chain_key(ChainKey::new(keyring.derive(AUDIT_CHAIN_LABEL)));
        keyring
    }

    /// Loads the master key and checks it against the database; on a database that has
    /// never seen one, a missing key file is generated (mode 0600) and the system key
    /// created.
    pub async fn load(db: &Db, path: &Path, now: i64) -> Result<Keyring, KeyringError> {
        let row = sqlx::query(
            "SELECT key_check, next_key_check, wrapped_system_key FROM keyring WHERE id = 'master'",
        )
        .fetch_optional(db.pool())
        .await?;
        let Some(row) = row else {
            return Self::create(db, path, now).await;
        };
        if !path.exists() {
            return Err(KeyError::MissingForExistingData {
                path: path.display().to_string(),
            }
            .into());
        }
        let kek = MasterKey::load(path)?;
        let check: String = row.try_get("key_check")?;
        let next: Option<String> = row.try_get("next_key_check")?;
        if next.is_some() {
            return Err(KeyringError::RotationUnfinished);
        }
        if kek.check_value() != check {
            return Err(KeyError::Mismatch {
                path: path.display().to_string(),
            }
            .into());
        }
        let wrapped: Vec<u8> = row.try_get("wrapped_system_key")?;
        let system = unwrap(&kek, SYSTEM_AAD, &wrapped).ok_or(KeyringError::Damaged)?;
        Ok(Keyring::armed(db, kek, check, system))
    }

    async fn create(db: &Db, path: &Path, now: i64) -> Result<Keyring, KeyringError> {
        let kek = if path.exists() {
            MasterKey::load(path)?
        } else {
            let kek = MasterKey::generate();
            kek.write_new(path)?;
            tracing::warn!(
                path = %path.display(),
                "generated a new master key (mode 0600). Production must supply its own key via \
                 CREDGOV_MASTER_KEY_FILE and back it up: without it no stored secret can ever be read"
            );
            kek
        };
        let system = random_key();
        let check = kek.check_value();
        sqlx::query(
            "INSERT INTO keyring (id, key_check, wrapped_system_key, system_key_check, created_at, updated_at) \
             VALUES ('master', $1, $2, $1, $3, $3)",
        )
        .bind(&check)
        .bind(wrap(&kek, SYSTEM_AAD, &system))
        .bind(now)
        .execute(db.pool())
        .await?;
        Ok(Keyring::armed(db, kek, check, system))
    }

    /// The data key of `unit_id`, created (inside `tx`) on first use. Creating one
    /// first claims the keyring row for this KEK (see the module comment): if the KEK
    /// changed or is changing, [`KeyringError::RestartRequired`] and nothing is written.
    pub async fn unit_key(
        &self,
        tx: &mut Tx,
        unit_id: &str,
        now: i64,
    ) -> Result<Zeroizing<[u8; 32]>, KeyringError> {
        if let Some(k) = self.existing_unit_key(&mut **tx, unit_id).await? {
            return Ok(k);
        }
        // A write on the keyring row: PostgreSQL holds its row lock until commit, so a
        // rotation's `next_key_check` update waits for this transaction (and then
        // re-wraps the key it created) or has already happened (0 rows here); SQLite
        // has one writer.
        let claimed = sqlx::query(
            "UPDATE keyring SET epoch = epoch WHERE id = 'master' AND key_check = $1 AND next_key_check IS NULL",
        )
        .bind(&self.kek_check)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            tracing::error!(
                "master key changed since start-up: refusing to create a unit data key; restart with the new key file"
            );
            return Err(KeyringError::RestartRequired);
        }
        let key = random_key();
        sqlx::query(
            "INSERT INTO unit_keys (unit_id, wrapped, key_check, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (unit_id) DO NOTHING",
        )
        .bind(unit_id)
        .bind(wrap(&self.kek, &unit_aad(unit_id), &key))
        .bind(&self.kek_check)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        // Another writer may have won the race (PostgreSQL): read back what is stored.
        self.existing_unit_key(&mut **tx, unit_id)
            .await?
            .ok_or(KeyringError::Damaged)
    }

    /// The data key of `unit_id` if it exists (readers never create keys).
    pub async fn existing_unit_key<'e, E>(
        &self,
        exec: E,
        unit_id: &str,
    ) -> Result<Option<Zeroizing<[u8; 32]>>, KeyringError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        if let Some(k) = self.cached(unit_id) {
            return Ok(Some(k));
        }
        let row = sqlx::query("SELECT wrapped, key_check FROM unit_keys WHERE unit_id = $1")
            .bind(unit_id)
            .fetch_optional(exec)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let wrapped: Vec<u8> = r.try_get("wrapped")?;
                let check: String = r.try_get("key_check")?;
                if check != self.kek_check {
                    // Re-wrapped under a new KEK by a rotation since this server started.
                    return Err(KeyringError::RestartRequired);
                }
                let key =
                    unwrap(&self.kek, &unit_aad(unit_id), &wrapped).ok_or(KeyringError::Damaged)?;
                if let Ok(mut cache) = self.unit_keys.lock() {
                    cache.insert(unit_id.to_string(), key.clone());
                }
                Ok(Some(key))
            }
        }
    }

    /// Opens every unit data key (each under the master key it is wrapped with): how
    /// many opened, or the first that does not.
    pub async fn check_unit_keys(&self, pool: &sqlx::AnyPool) -> Result<u64, String> {
        let units: Vec<String> = sqlx::query("SELECT unit_id FROM unit_keys ORDER BY unit_id")
            .fetch_all(pool)
            .await
            .map_err(|e| e.to_string())?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        for unit in &units {
            match self.existing_unit_key(pool, unit).await {
                Ok(Some(_)) => {}
                Ok(None) => return Err(format!("the data key of unit {unit} vanished")),
                Err(e) => return Err(format!("the data key of unit {unit}: {e}")),
            }
        }
        Ok(units.len() as u64)
    }

    fn cached(&self, unit_id: &str) -> Option<Zeroizing<[u8; 32]>> {
        self.unit_keys.lock().ok()?.get(unit_id).cloned()
    }
}

/// Progress of a master key rotation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// Keys re-wrapped by this run.
    pub rewrapped: u64,
    /// True when every key is under the new master key and it is now the current one.
    pub finished: bool,
}

/// Re-wraps the system key and every unit data key under `new`, one key per
/// transaction, and finally makes `new` the master key (next epoch) in one transaction
/// with a `keys.rotate` event in the root unit's audit chain (actor: operator).
/// Resumable. `crash_after` stops after that many re-wraps (tests simulate a crash).
pub async fn rotate_master_key(
    db: &Db,
    old: &MasterKey,
    new: &MasterKey,
    now: i64,
    crash_after: Option<u64>,
) -> Result<RotationReport, KeyringError> {
    let (old_check, new_check) = (old.check_value(), new.check_value());
    if old_check == new_check {
        return Err(KeyringError::Rotation(
            "the new key is the same as the current key".into(),
        ));
    }
    let row = sqlx::query("SELECT key_check, next_key_check, wrapped_system_key, system_key_check FROM keyring WHERE id = 'master'")
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| KeyringError::Rotation("the database has no keyring yet; start the service once first".into()))?;
    let current: String = row.try_get("key_check")?;
    let next: Option<String> = row.try_get("next_key_check")?;
    if current != old_check {
        return Err(KeyringError::Rotation(
            "the configured master key does not match this database".into(),
        ));
    }
    match next {
        Some(n) if n != new_check => {
            return Err(KeyringError::Rotation(
                "an unfinished rotation to a different new key is under way; finish it with that key file".into(),
            ));
        }
        Some(_) => {}
        None => {
            sqlx::query(
                "UPDATE keyring SET next_key_check = $1, updated_at = $2 WHERE id = 'master'",
            )
            .bind(&new_check)
            .bind(now)
            .execute(db.pool())
            .await?;
        }
    }
    let mut report = RotationReport::default();
    let budget_left = |r: &RotationReport| crash_after.is_none_or(|n| r.rewrapped < n);
    // The system key (its value never changes: the audit chain key derives from it).
    let sys_check: String = row.try_get("system_key_check")?;
    let sys_kek = if sys_check == old_check { old } else { new };
    let sys_wrapped: Vec<u8> = row.try_get("wrapped_system_key")?;
    let system = unwrap(sys_kek, SYSTEM_AAD, &sys_wrapped).ok_or(KeyringError::Damaged)?;
    db.set_chain_key(ChainKey::new(derive_from_system(
        &system,
        AUDIT_CHAIN_LABEL,
    )));
    if sys_check == old_check {
        sqlx::query("UPDATE keyring SET wrapped_system_key = $1, system_key_check = $2, updated_at = $3 WHERE id = 'master' AND system_key_check = $4")
            .bind(wrap(new, SYSTEM_AAD, &system))
            .bind(&new_check)
            .bind(now)
            .bind(&old_check)
            .execute(db.pool())
            .await?;
        report.rewrapped += 1;
    }
    // Unit data keys, in pages.
    loop {
        if !budget_left(&report) {
            return Ok(report);
        }
        let rows = sqlx::query("SELECT unit_id, wrapped FROM unit_keys WHERE key_check = $1 ORDER BY unit_id LIMIT 100")
            .bind(&old_check)
            .fetch_all(db.pool())
            .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            if !budget_left(&report) {
                return Ok(report);
            }
            let unit_id: String = r.try_get("unit_id")?;
            let wrapped: Vec<u8> = r.try_get("wrapped")?;
            let aad = unit_aad(&unit_id);
            let key = unwrap(old, &aad, &wrapped).ok_or(KeyringError::Damaged)?;
            sqlx::query("UPDATE unit_keys SET wrapped = $1, key_check = $2, updated_at = $3 WHERE unit_id = $4 AND key_check = $5")
                .bind(wrap(new, &aad, &key))
                .bind(&new_check)
                .bind(now)
                .bind(&unit_id)
                .bind(&old_check)
                .execute(db.pool())
                .await?;
            report.rewrapped += 1;
        }
    }
    finish_rotation(db, &old_check, &new_check, now, report.rewrapped).await?;
    report.finished = true;
    Ok(report)
}

/// Makes the new KEK current (next epoch) and records `keys.rotate`, atomically.
async fn finish_rotation(
    db: &Db,
    old_check: &str,
    new_check: &str,
    now: i64,
    rewrapped: u64,
) -> Result<(), KeyringError> {
    use crate::audit::{Actor, Entry, Outcome, RequestMeta};
    let mut tx = db.begin_write().await?;
    let switched = sqlx::query(
        "UPDATE keyring SET key_check = $1, next_key_check = NULL, epoch = epoch + 1, updated_at = $2 \
         WHERE id = 'master' AND key_check = $3 AND next_key_check = $1",
    )
    .bind(new_check)
    .bind(now)
    .bind(old_check)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if switched != 1 {
        return Err(KeyringError::Rotation(
            "the keyring changed while rotating (another rotation?); run the command again".into(),
        ));
    }
    let epoch: i64 = sqlx::query("SELECT epoch FROM keyring WHERE id = 'master'")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let root: Option<String> =
        sqlx::query("SELECT id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    if let Some(root) = root {
        let entry = Entry {
            unit_id: &root,
            actor: Actor::operator(),
            action: "keys.rotate",
            target_kind: Some("keyring"),
            target_id: None,
            outcome: Outcome::Success,
            // Key checks are public fingerprints (HMAC of a constant), never key material.
            details: serde_json::json!({
                "epoch": epoch,
                "keys_rewrapped_this_run": rewrapped,
                "old_key_check": &old_check[..16.min(old_check.len())],
                "new_key_check": &new_check[..16.min(new_check.len())],
            }),
        };
        tx.audit(now, &RequestMeta::default(), entry)
            .await
            .map_err(|e| KeyringError::Rotation(format!("writing the audit event: {e}")))?;
        super::notices::rotated(&mut tx, now, &root, epoch, rewrapped).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    #[test]
    fn codes_lists_every_own_code() {
        for e in [
            KeyringError::Key(KeyError::Mismatch { path: "k".into() }),
            KeyringError::RotationUnfinished,
            KeyringError::Damaged,
            KeyringError::Rotation("x".into()),
            KeyringError::RestartRequired,
        ] {
            assert!(KeyringError::CODES.contains(&e.own_code()), "{e:?}");
        }
    }
}
