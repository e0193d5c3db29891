//! Does every sealed credential open? For `credgov restore-check`: each credential
//! version and each account TOTP seed is opened with its unit's data key and checked
//! against where it belongs (the AAD binds unit, account and version), a page at a
//! time; the plaintext is dropped (zeroized) at once.

use sqlx::Row;

use super::secrets::{open_totp, open_version};
use crate::app::AppState;
use crate::ids::{AccountId, UnitId};

const PAGE: i64 = 1000;

/// How many credential versions and account TOTP seeds opened, or a sentence naming
/// the first that does not.
pub async fn check_sealed(state: &AppState) -> Result<(u64, u64), String> {
    Ok((versions(state).await?, totp_seeds(state).await?))
}

async fn versions(state: &AppState) -> Result<u64, String> {
    let mut after: (String, String, i64) = (String::new(), String::new(), -1);
    let mut count = 0u64;
    loop {
        let rows = sqlx::query(
            "SELECT unit_id, account_id, version, sealed FROM credential_versions \
             WHERE (unit_id, account_id, version) > ($1, $2, $3) \
             ORDER BY unit_id, account_id, version LIMIT $4",
        )
        .bind(&after.0)
        .bind(&after.1)
        .bind(after.2)
        .bind(PAGE)
        .fetch_all(state.db.pool())
        .await
        .map_err(|e| format!("reading credential versions: {e}"))?;
        for r in &rows {
            let (unit, account, version) = ids(r).map_err(|e| e.to_string())?;
            let sealed: Vec<u8> = r.try_get("sealed").map_err(|e| e.to_string())?;
            if open_version(state, (&unit, &account), version, &sealed)
                .await
                .is_err()
            {
                return Err(format!(
                    "credential version {version} of account {account} (unit {unit}) does not open with this master key: the row is damaged or was moved"
                ));
            }
            count += 1;
            after = (unit.to_string(), account.to_string(), version);
        }
        if (rows.len() as i64) < PAGE {
            return Ok(count);
        }
    }
}

async fn totp_seeds(state: &AppState) -> Result<u64, String> {
    let rows = sqlx::query(
        "SELECT unit_id, id, totp_secret FROM accounts WHERE totp_secret IS NOT NULL ORDER BY unit_id, id",
    )
    .fetch_all(state.db.pool())
    .await
    .map_err(|e| format!("reading account TOTP seeds: {e}"))?;
    for r in &rows {
        let unit: UnitId = r.try_get("unit_id").map_err(|e| e.to_string())?;
        let account: AccountId = r.try_get("id").map_err(|e| e.to_string())?;
        let sealed: Vec<u8> = r.try_get("totp_secret").map_err(|e| e.to_string())?;
        if open_totp(state, (&unit, &account), &sealed).await.is_err() {
            return Err(format!(
                "the TOTP seed of account {account} (unit {unit}) does not open with this master key"
            ));
        }
    }
    Ok(rows.len() as u64)
}

fn ids(r: &sqlx::any::AnyRow) -> Result<(UnitId, AccountId, i64), sqlx::Error> {
    Ok((
        r.try_get("unit_id")?,
        r.try_get("account_id")?,
        r.try_get("version")?,
    ))
}
