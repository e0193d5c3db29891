//! The district must always keep one active sysadmin on the root unit. One guard for
//! every change that could remove the last one (revoking the role, disabling the user).

use sqlx::Row;

use super::error::{IdentityError, IdentityResult};
use super::users::UserStatus;
use crate::authz::Role;
use crate::db::{Tx, lock_root_unit};
use crate::ids::UserId;

/// Refuses (409 `last_sysadmin`) when `user_id` holds sysadmin on the root unit and no
/// other active user does. Locks the root unit row first, so two writers that each
/// remove a different sysadmin at once are checked one after the other on PostgreSQL
/// too (SQLite's write transaction already serialises them). Call it before the change,
/// in the transaction that makes it.
pub(super) async fn guard_last_sysadmin(tx: &mut Tx, user_id: &UserId) -> IdentityResult<()> {
    let Some(root) = lock_root_unit(tx).await? else {
        return Ok(());
    };
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM memberships WHERE unit_id = $1 AND user_id = $2 AND role = $3) AS holds, \
         (SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
          WHERE m.unit_id = $1 AND m.role = $3 AND m.user_id <> $2 AND u.status = $4) AS others",
    )
    .bind(&root)
    .bind(user_id)
    .bind(Role::Sysadmin.as_str())
    .bind(UserStatus::Active.as_str())
    .fetch_one(&mut **tx)
    .await?;
    let holds: i64 = row.try_get("holds")?;
    let others: i64 = row.try_get("others")?;
    if holds > 0 && others == 0 {
        return Err(IdentityError::LastSysadmin);
    }
    Ok(())
}
