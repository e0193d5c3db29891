//! "What did this person see?" — the exposure ledger of one user, limited to the
//! caller's units, with whether each version is still in use.

use serde::Serialize;
use sqlx::Row;

use super::error::{HandoverError, HandoverResult};
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission};
use crate::ids::{AccountId, UnitId, UserId};
use crate::vault::VersionState;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Exposure {
    pub account_id: AccountId,
    pub account_name: String,
    pub unit_id: UnitId,
    pub version: i64,
    /// `create`, `rotate` or `reveal` (the most recent way they saw it).
    pub kind: String,
    /// How many times this version was shown to the user.
    pub times: i64,
    pub last_at: i64,
    /// The version's state now: `current`, `pending`, `previous` or `abandoned`.
    pub version_state: String,
    /// True while the version is current or pending: the person still knows a working password.
    pub still_valid: bool,
}

/// Which accounts and versions `user_id` saw, within the caller's units.
pub async fn user_exposure(
    state: &AppState,
    ctx: &AuthContext,
    user_id: &UserId,
) -> HandoverResult<Vec<Exposure>> {
    // The person must be someone the caller can see: homed in, or having seen accounts
    // of, the caller's units (404 otherwise, whatever the caller's role); then the
    // caller needs the permission (403).
    let mut visible = false;
    for prefix in &authz::visible_scopes(ctx) {
        let n: i64 = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = $1 AND n.path LIKE $2) + \
             (SELECT COUNT(*) FROM exposures x JOIN units n ON n.id = x.unit_id WHERE x.user_id = $1 AND n.path LIKE $2)",
        )
        .bind(user_id)
        .bind(format!("{prefix}%"))
        .fetch_one(state.db.pool())
        .await?
        .try_get(0)?;
        visible |= n > 0;
    }
    if !visible {
        return Err(HandoverError::UserNotFound);
    }
    let scopes = authz::require_anywhere(ctx, Permission::ExposureRead)?;
    let mut out = Vec::new();
    for prefix in scopes {
        let rows = sqlx::query(
            "SELECT x.account_id, a.name, x.unit_id, x.version, v.state, COUNT(*) AS times, MAX(x.at) AS last_at, \
             MAX(x.kind) AS kind FROM exposures x JOIN units u ON u.id = x.unit_id JOIN accounts a ON a.id = x.account_id \
             JOIN credential_versions v ON v.unit_id = x.unit_id AND v.account_id = x.account_id AND v.version = x.version \
             WHERE x.user_id = $1 AND u.path LIKE $2 \
             GROUP BY x.account_id, a.name, x.unit_id, x.version, v.state ORDER BY a.name, x.version DESC",
        )
        .bind(user_id)
        .bind(format!("{prefix}%"))
        .fetch_all(state.db.pool())
        .await?;
        for r in &rows {
            let st: String = r.try_get("state")?;
            out.push(Exposure {
                account_id: r.try_get("account_id")?,
                account_name: r.try_get("name")?,
                unit_id: r.try_get("unit_id")?,
                version: r.try_get("version")?,
                kind: r.try_get("kind")?,
                times: r.try_get("times")?,
                last_at: r.try_get("last_at")?,
                still_valid: matches!(
                    VersionState::parse(&st),
                    Some(VersionState::Current | VersionState::Pending)
                ),
                version_state: st,
            });
        }
    }
    Ok(out)
}
