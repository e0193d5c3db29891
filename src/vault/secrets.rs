//! Sealing credential versions under the unit's data key, keyed fingerprints, and the
//! exposure ledger.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::{VaultError, VaultResult};
use super::model::VersionState;
use crate::app::AppState;
use crate::crypto::{open, seal_with};
use crate::db::{Tx, new_id};
use crate::ids::{AccountId, UnitId, UserId};
use crate::policy::SealedStrength;

fn version_aad(unit_id: &UnitId, account_id: &AccountId, version: i64) -> Vec<u8> {
    format!("credgov/secret/v1/{unit_id}/{account_id}/{version}").into_bytes()
}

fn totp_aad(unit_id: &UnitId, account_id: &AccountId) -> Vec<u8> {
    format!("credgov/account-totp/v1/{unit_id}/{account_id}").into_bytes()
}

/// HMAC-SHA256 of a password under a server key: equal passwords have equal
/// fingerprints, so reuse is found without decrypting anything.
pub fn fingerprint(state: &AppState, password: &str) -> String {
    Fingerprinter::new(state).of(password)
}

/// [`fingerprint`] for many passwords: the key is derived once (deriving it took two
/// thirds of each fingerprint's time in a bulk import's profile).
pub(crate) struct Fingerprinter(Hmac<Sha256>);

impl Fingerprinter {
    pub fn new(state: &AppState) -> Self {
        let key = state.keyring.derive("fingerprint");
        Fingerprinter(
            <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
        )
    }

    pub fn of(&self, password: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(password.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The unit's data key, created on first use, in `tx`.
pub(super) async fn unit_key_for(
    state: &AppState,
    tx: &mut Tx,
    unit_id: &UnitId,
) -> VaultResult<Zeroizing<[u8; 32]>> {
    Ok(state
        .keyring
        .unit_key(tx, unit_id.as_str(), state.now())
        .await?)
}

/// Seals a version's password under the unit's data key, bound to its place.
pub(super) fn seal_version(
    state: &AppState,
    key: &[u8; 32],
    (unit_id, account_id): (&UnitId, &AccountId),
    version: i64,
    password: &str,
) -> Vec<u8> {
    seal_with(
        state.config.cipher_suite,
        key,
        &version_aad(unit_id, account_id, version),
        password.as_bytes(),
    )
}

/// A new version row (sealed, with its strength recorded for later policy checks:
/// see [`SealedStrength`]), in `tx`.
pub(super) struct NewVersion<'a> {
    pub unit_id: &'a UnitId,
    pub account_id: &'a AccountId,
    pub version: i64,
    pub state: VersionState,
    pub password: &'a str,
    pub score: u8,
    pub weak: bool,
    pub created_by: Option<&'a str>,
}

pub(super) async fn insert_version(
    state: &AppState,
    tx: &mut Tx,
    v: NewVersion<'_>,
) -> VaultResult<()> {
    let key = unit_key_for(state, tx, v.unit_id).await?;
    let sealed = seal_version(
        state,
        &key,
        (v.unit_id, v.account_id),
        v.version,
        v.password,
    );
    let now = state.now();
    let strength = SealedStrength::of(v.password, v.score);
    sqlx::query(
        "INSERT INTO credential_versions (unit_id, account_id, version, state, sealed, score, char_classes, \
         char_count, weak, fingerprint, created_by, created_at, confirmed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(v.unit_id)
    .bind(v.account_id)
    .bind(v.version)
    .bind(v.state.as_str())
    .bind(sealed)
    .bind(i64::from(strength.score))
    .bind(strength.classes.bits())
    .bind(i64::from(strength.length))
    .bind(i64::from(v.weak))
    .bind(fingerprint(state, v.password))
    .bind(v.created_by)
    .bind(now)
    .bind(if v.state == VersionState::Current { Some(now) } else { None })
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The data key of a unit that already has sealed data.
async fn existing_key(state: &AppState, unit_id: &UnitId) -> VaultResult<Zeroizing<[u8; 32]>> {
    state
        .keyring
        .existing_unit_key(state.db.pool(), unit_id.as_str())
        .await?
        .ok_or_else(|| {
            VaultError::internal(format!("unit {unit_id} has sealed data but no data key"))
        })
}

/// Opens a stored version's sealed bytes.
pub(super) async fn open_version(
    state: &AppState,
    (unit_id, account_id): (&UnitId, &AccountId),
    version: i64,
    sealed: &[u8],
) -> VaultResult<Zeroizing<String>> {
    let key = existing_key(state, unit_id).await?;
    let plain = open(&key, &version_aad(unit_id, account_id, version), sealed).map_err(|e| {
        // Tampering or a moved row: never return anything.
        VaultError::internal(format!(
            "credential version {account_id}/{version} does not open: {e}"
        ))
    })?;
    let text = String::from_utf8(plain.to_vec())
        .map_err(|_| VaultError::internal("stored secret is not UTF-8"))?;
    Ok(Zeroizing::new(text))
}

pub(super) fn seal_totp(
    state: &AppState,
    key: &[u8; 32],
    (unit_id, account_id): (&UnitId, &AccountId),
    secret: &[u8],
) -> Vec<u8> {
    seal_with(
        state.config.cipher_suite,
        key,
        &totp_aad(unit_id, account_id),
        secret,
    )
}

pub(super) async fn open_totp(
    state: &AppState,
    (unit_id, account_id): (&UnitId, &AccountId),
    sealed: &[u8],
) -> VaultResult<Zeroizing<Vec<u8>>> {
    let key = existing_key(state, unit_id).await?;
    open(&key, &totp_aad(unit_id, account_id), sealed)
        .map_err(|e| VaultError::internal(format!("account TOTP secret does not open: {e}")))
}

/// Records that someone saw (or chose) a version. Every row names a person: the user,
/// or for an API token the person who minted it (the token's id is the actor).
pub(super) async fn record_exposure(
    tx: &mut Tx,
    ctx: &crate::authz::AuthContext,
    (unit_id, account_id): (&UnitId, &AccountId),
    version: i64,
    kind: &str,
    now: i64,
) -> VaultResult<()> {
    let (actor_kind, actor_id, _) = ctx.actor();
    let person = ctx
        .accountable_person()
        .map(UserId::from)
        .ok_or(VaultError::NoAccountablePerson)?;
    sqlx::query(
        "INSERT INTO exposures (unit_id, id, account_id, version, user_id, actor_kind, actor_id, kind, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(unit_id)
    .bind(new_id())
    .bind(account_id)
    .bind(version)
    .bind(person)
    .bind(actor_kind)
    .bind(actor_id)
    .bind(kind)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
