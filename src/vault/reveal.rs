//! Reveal: the one way a secret leaves the vault. A reason is required; the audit
//! event and the exposure record are written in the same transaction, and the secret
//! is returned only after that transaction commits.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::error::{VaultError, VaultResult};
use super::load::{account_for, account_for_secret};
use super::model::{Account, VersionState};
use super::secrets::{open_totp, open_version, record_exposure};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::{AuthContext, Permission};
use crate::error::InputError;
use crate::ids::{AccountId, RotationId};
use crate::text::Reason;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PendingSecret {
    pub rotation_id: RotationId,
    pub version: i64,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub account_id: AccountId,
    pub login_name: String,
    pub password: String,
    pub version: i64,
    /// The account's current TOTP code, when credgov keeps its TOTP secret.
    pub totp_code: Option<String>,
    /// Seconds the code stays valid.
    pub totp_valid_for: Option<u64>,
    /// While a rotation is pending the platform may already have the new password.
    pub pending: Option<PendingSecret>,
}

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revealed")
            .field("account_id", &self.account_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// The reason for a reveal, with a hint of what to write when it is missing.
pub fn check_reason(reason: &str) -> Result<String, InputError> {
    Reason::parse("reason", reason).map(String::from).map_err(|_| {
        InputError::field(
            "reason",
            "reason must be 4 to 500 characters: say why you need the password (e.g. 发布通知 / 平台年检)",
        )
        .zh("查看原因须为 4 至 500 个字符：请写明为什么需要查看密码（例如：发布通知、平台年检）。")
    })
}

fn totp_now(raw: &[u8], now_ms: i64) -> VaultResult<(String, u64)> {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::from(raw))
        .build()
        .map_err(VaultError::internal)?;
    let secs = u64::try_from(now_ms / 1000).unwrap_or(0);
    Ok((totp.generate(secs).to_string(), 30 - secs % 30))
}

/// Commits who saw which versions (exposures) and the audit event, in one write
/// transaction; a secret may be returned only after this succeeds.
async fn record_reveal(
    state: &AppState,
    (ctx, meta): (&AuthContext, &RequestMeta),
    account: &Account,
    (versions, now): (&[i64], i64),
    action: &'static str,
    details: serde_json::Value,
) -> VaultResult<()> {
    let mut tx = state.db.begin_write().await?;
    for v in versions {
        record_exposure(&mut tx, ctx, account.place(), *v, "reveal", now).await?;
    }
    let entry = account.entry_by(ctx, action).details(details);
    tx.audit_and_commit(now, meta, entry).await?;
    Ok(())
}

/// Reveals the current password (and the pending one during a rotation). Values are
/// read and opened first; the exposure records and the audit event are then committed
/// in one short write transaction, and only after that commit is anything returned.
pub async fn reveal_current(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    account_id: &AccountId,
    reason: &str,
) -> VaultResult<Revealed> {
    let reason = check_reason(reason)?;
    let (account, _) = account_for_secret(state, ctx, account_id).await?;
    crate::authz::require_person(ctx)?;
    let rows = sqlx::query(
        "SELECT v.version, v.state, v.sealed, r.id AS rotation_id FROM credential_versions v \
         LEFT JOIN rotations r ON r.account_id = v.account_id AND r.version = v.version AND r.state = 'pending' \
         WHERE v.unit_id = $1 AND v.account_id = $2 AND v.state IN ('current', 'pending') ORDER BY v.version",
    )
    .bind(&account.unit_id)
    .bind(&account.id)
    .fetch_all(state.db.pool())
    .await?;
    let mut current: Option<(i64, Zeroizing<String>)> = None;
    let mut pending: Option<PendingSecret> = None;
    let mut versions = Vec::with_capacity(rows.len());
    for r in &rows {
        let version: i64 = r.try_get("version")?;
        let st: String = r.try_get("state")?;
        let sealed: Vec<u8> = r.try_get("sealed")?;
        let secret = open_version(state, account.place(), version, &sealed).await?;
        versions.push(version);
        if VersionState::parse(&st) == Some(VersionState::Current) {
            current = Some((version, secret));
        } else {
            let rotation_id: Option<RotationId> = r.try_get("rotation_id")?;
            pending = Some(PendingSecret {
                rotation_id: rotation_id.unwrap_or_else(|| RotationId::new("")),
                version,
                password: secret.to_string(),
            });
        }
    }
    let (version, password) = current.ok_or(VaultError::NoCurrentPassword)?;
    let now = state.now();
    let totp = match &account.totp_sealed {
        Some(sealed) => Some(totp_now(
            &open_totp(state, account.place(), sealed).await?,
            now,
        )?),
        None => None,
    };
    let details = json!({
        "account": account.name,
        "version": version,
        "pending_version": pending.as_ref().map(|p| p.version),
        "totp_code_shown": totp.is_some(),
        "reason": reason,
    });
    let seen = (versions.as_slice(), now);
    record_reveal(state, (ctx, meta), &account, seen, "secret.reveal", details).await?;
    Ok(Revealed {
        account_id: account.id,
        login_name: account.login_name,
        password: password.to_string(),
        version,
        totp_code: totp.as_ref().map(|t| t.0.clone()),
        totp_valid_for: totp.map(|t| t.1),
        pending,
    })
}

/// Reveals one historical version (unit administrators only).
pub async fn reveal_version(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    account_id: &AccountId,
    version: i64,
    reason: &str,
) -> VaultResult<Revealed> {
    let reason = check_reason(reason)?;
    let (account, _) = account_for(state, ctx, account_id, Permission::SecretsAll).await?;
    crate::authz::require_person(ctx)?;
    let sealed: Vec<u8> = sqlx::query("SELECT sealed FROM credential_versions WHERE unit_id = $1 AND account_id = $2 AND version = $3")
        .bind(&account.unit_id)
        .bind(&account.id)
        .bind(version)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or(VaultError::NotFound("version"))?
        .try_get(0)?;
    let password = open_version(state, account.place(), version, &sealed).await?;
    let details = json!({ "account": account.name, "version": version, "reason": reason });
    let seen = (&[version][..], state.now());
    let action = "secret.reveal_version";
    record_reveal(state, (ctx, meta), &account, seen, action, details).await?;
    Ok(Revealed {
        account_id: account.id,
        login_name: account.login_name,
        password: password.to_string(),
        version,
        totp_code: None,
        totp_valid_for: None,
        pending: None,
    })
}
