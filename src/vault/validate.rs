//! Checking a candidate password against the unit's effective policy: strength with
//! context words, history of the account, and reuse across the unit's accounts.

use serde::Serialize;
use sqlx::Row;
use zeroize::Zeroizing;

use super::accounts::NewAccount;
use super::error::{VaultError, VaultResult};
use super::model::Account;
use super::secrets::fingerprint;
use crate::app::AppState;
use crate::ids::{AccountId, UnitId};
use crate::policy::strength_note::english;
use crate::policy::{AccountPasswordPolicy, StrengthNote, check_strength};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PasswordCheck {
    pub acceptable: bool,
    pub score: u8,
    pub min_score: u8,
    pub feedback: Vec<String>,
    /// `history` (a recent version of this account) or `unit` (another account's
    /// current password), when the password is reused.
    pub reused: Option<String>,
    /// `feedback` in no language, for the console to word (not in the API).
    #[serde(skip)]
    pub notes: Vec<StrengthNote>,
}

/// What the check knows about where the password will go.
pub struct CheckTarget<'a> {
    pub unit_id: &'a UnitId,
    pub account_id: Option<&'a AccountId>,
    pub context: Vec<&'a str>,
    /// Whether to look for reuse (history, other accounts). False only where the
    /// caller may not learn whether a candidate equals a stored password.
    pub reuse: bool,
}

impl<'a> CheckTarget<'a> {
    /// A new password for an existing account: checked against its history and the
    /// unit's other accounts, with the unit, account, platform and login names as
    /// context words.
    pub fn account(unit_name: &'a str, account: &'a Account) -> Self {
        CheckTarget {
            unit_id: &account.unit_id,
            account_id: Some(&account.id),
            context: vec![
                unit_name,
                &account.name,
                account.platform.as_str(),
                &account.login_name,
            ],
            reuse: true,
        }
    }

    /// The first password of an account about to be created in `unit_id`.
    pub fn new_account(unit_id: &'a UnitId, unit_name: &'a str, input: &'a NewAccount) -> Self {
        CheckTarget {
            unit_id,
            account_id: None,
            context: vec![
                unit_name,
                &input.name,
                input.platform.as_str(),
                &input.login_name,
            ],
            reuse: true,
        }
    }
}

/// Live versions of other accounts of the unit with the same fingerprint. The `OR`
/// (not `IN`) matches the partial index's predicate (migration 0029): SQLite uses that
/// index only for a term equal to one side of its `OR`.
const UNIT_CLASH: &str = "SELECT COUNT(*) FROM credential_versions WHERE unit_id = $1 \
     AND fingerprint = $2 AND (state = 'current' OR state = 'pending') AND account_id <> $3";

pub async fn check_password(
    state: &AppState,
    policy: &AccountPasswordPolicy,
    target: &CheckTarget<'_>,
    password: &str,
) -> VaultResult<PasswordCheck> {
    let exec = state.db.pool();
    // zxcvbn is CPU work: run it on the hashing pool, not on the async executor.
    let report = {
        let policy = policy.clone();
        let password = Zeroizing::new(password.to_string());
        let context: Vec<String> = target.context.iter().map(|c| c.to_string()).collect();
        state
            .hasher
            .run_cpu(move || {
                let words: Vec<&str> = context.iter().map(String::as_str).collect();
                check_strength(&policy, &password, &words)
            })
            .await?
    };
    let fp = fingerprint(state, password);
    let mut reused = None;
    if let Some(account_id) = target.account_id
        && target.reuse
        && policy.history_depth > 0
    {
        let recent = sqlx::query(
            "SELECT fingerprint FROM credential_versions WHERE unit_id = $1 AND account_id = $2 \
             AND state <> 'abandoned' ORDER BY version DESC LIMIT $3",
        )
        .bind(target.unit_id)
        .bind(account_id)
        .bind(i64::from(policy.history_depth))
        .fetch_all(exec)
        .await?;
        if recent
            .iter()
            .any(|r| r.try_get::<String, _>(0).is_ok_and(|f| f == fp))
        {
            reused = Some("history".to_string());
        }
    }
    if reused.is_none() && target.reuse && policy.forbid_unit_reuse {
        let clash: i64 = sqlx::query(UNIT_CLASH)
            .bind(target.unit_id)
            .bind(&fp)
            .bind(target.account_id.map_or("", AccountId::as_str))
            .fetch_one(exec)
            .await?
            .try_get(0)?;
        if clash > 0 {
            reused = Some("unit".to_string());
        }
    }
    let mut notes = report.notes;
    match reused.as_deref() {
        Some("history") => notes.push(StrengthNote::ReusedInHistory {
            depth: policy.history_depth,
        }),
        Some(_) => notes.push(StrengthNote::ReusedInUnit),
        None => {}
    }
    Ok(PasswordCheck {
        acceptable: report.acceptable && reused.is_none(),
        score: report.score,
        min_score: report.min_score,
        feedback: english(&notes),
        reused,
        notes,
    })
}

/// A failed check as the documented 422 (`reused_password` or `weak_password`).
pub fn require_acceptable(check: &PasswordCheck) -> VaultResult<()> {
    if check.acceptable {
        return Ok(());
    }
    Err(if check.reused.is_some() {
        VaultError::ReusedPassword(check.clone())
    } else {
        VaultError::WeakPassword(check.clone())
    })
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::UNIT_CLASH;
    use crate::db::Db;

    /// The unit's reuse check, as it is sent, searches the live fingerprint index on
    /// SQLite (written as an `IN` list, it searched the unit's versions instead).
    /// tests/api/schema.rs checks the index's other lookups on both engines.
    #[tokio::test]
    async fn the_unit_reuse_check_searches_the_live_fingerprint_index() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("credgov.db").display());
        let db = Db::connect(&url, 1).await.unwrap();
        db.migrate().await.unwrap();
        let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {UNIT_CLASH}"
        )))
        .bind("u")
        .bind("f")
        .bind("a")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect();
        let text = plan.join("\n");
        assert!(
            text.contains("USING INDEX credential_versions_live_fingerprint"),
            "{text}"
        );
    }
}
