//! The people an HR event names: finding them inside the reporter's scope, the roles
//! they hold in the unit, and the checks on the leaver and the successor.

use sqlx::Row;

use super::error::{HandoverError, HandoverResult};
use super::events::EventInput;
use crate::authz::{self, AuthContext, Permission, Role};
use crate::db::Tx;
use crate::identity::UserStatus;
use crate::ids::UserId;
use crate::tenancy::Unit;

/// The successor named by an event.
pub(super) struct Successor {
    pub id: UserId,
    pub username: String,
    /// Their roles let them take over custody, so they become custodian of accounts
    /// that would otherwise be left without one.
    pub may_hold_custody: bool,
}

/// A user the reporter may name: one whose home unit is, or who holds a role on a
/// unit, inside a subtree where the reporter may report staff changes. Anyone else
/// is answered exactly like an unknown username, so HR of one unit cannot probe
/// who exists elsewhere.
///
/// The event's own unit (already authorised) always counts, which is the whole scope
/// of the console operator, who holds no roles.
pub(super) async fn user_in_scope(
    pool: &sqlx::AnyPool,
    ctx: &AuthContext,
    unit: &Unit,
    username: &str,
) -> HandoverResult<Option<(UserId, String)>> {
    let mut prefixes = authz::scopes(ctx, Permission::HrEvents);
    if !prefixes.iter().any(|p| unit.path.starts_with(p.as_str())) {
        prefixes.push(unit.path.clone());
    }
    // Usernames are case-insensitive (identity::usernames).
    let Some((id, status)) = crate::identity::usernames::find(pool, username).await? else {
        return Ok(None);
    };
    for prefix in prefixes {
        let row = sqlx::query(
            "SELECT u.id FROM users u WHERE u.id = $1 AND ( \
               EXISTS (SELECT 1 FROM units h WHERE h.id = u.unit_id AND h.path LIKE $2) \
               OR EXISTS (SELECT 1 FROM memberships m JOIN units n ON n.id = m.unit_id \
                          WHERE m.user_id = u.id AND n.path LIKE $2))",
        )
        .bind(&id)
        .bind(format!("{prefix}%"))
        .fetch_optional(pool)
        .await?;
        if row.is_some() {
            return Ok(Some((id, status)));
        }
    }
    Ok(None)
}

/// Roles the user holds on units of `unit`'s subtree (active users only).
async fn roles_in(
    pool: &sqlx::AnyPool,
    user_id: &UserId,
    unit: &Unit,
) -> HandoverResult<Vec<Role>> {
    let rows = sqlx::query(
        "SELECT m.role FROM memberships m JOIN units n ON n.id = m.unit_id JOIN users u ON u.id = m.user_id \
         WHERE m.user_id = $1 AND n.path LIKE $2 AND u.status = 'active'",
    )
    .bind(user_id)
    .bind(format!("{}%", unit.path))
    .fetch_all(pool)
    .await?;
    Ok(crate::identity::stored_roles(&rows))
}

fn already_departed(input: &EventInput) -> HandoverError {
    HandoverError::AlreadyDeparted {
        username: input.username.clone(),
    }
}

fn not_in_unit(input: &EventInput) -> HandoverError {
    HandoverError::NotInUnit {
        username: input.username.clone(),
    }
}

/// The leaver has not departed and holds a role in the unit (every event, `leave`
/// included, is about someone who works there). A quick answer before the write
/// transaction; [`recheck_leaver`] repeats it inside.
pub(super) async fn leaver_checks(
    pool: &sqlx::AnyPool,
    leaver: &UserId,
    status: &str,
    unit: &Unit,
    input: &EventInput,
) -> HandoverResult<()> {
    if UserStatus::parse(status) == Some(UserStatus::Departed) {
        return Err(already_departed(input));
    }
    if roles_in(pool, leaver, unit).await?.is_empty() {
        return Err(not_in_unit(input));
    }
    Ok(())
}

/// [`leaver_checks`] again inside the write transaction, after the idempotency row is
/// claimed. Only the transaction's own connection is used: waiting for a second
/// pooled connection while holding locks could starve the pool under load.
pub(super) async fn recheck_leaver(
    tx: &mut Tx,
    leaver: &UserId,
    unit: &Unit,
    input: &EventInput,
) -> HandoverResult<()> {
    let status: String = sqlx::query("SELECT status FROM users WHERE id = $1")
        .bind(leaver)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    let roles: i64 = sqlx::query(
        "SELECT COUNT(*) FROM memberships m JOIN units n ON n.id = m.unit_id WHERE m.user_id = $1 AND n.path LIKE $2",
    )
    .bind(leaver)
    .bind(format!("{}%", unit.path))
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    if UserStatus::parse(&status) == Some(UserStatus::Departed) {
        return Err(already_departed(input));
    }
    if roles == 0 {
        return Err(not_in_unit(input));
    }
    Ok(())
}

/// The successor named in the event, if any: in scope, not the leaver, holding a
/// role in the unit.
pub(super) async fn resolve_successor(
    pool: &sqlx::AnyPool,
    ctx: &AuthContext,
    unit: &Unit,
    leaver: &UserId,
    input: &EventInput,
) -> HandoverResult<Option<Successor>> {
    let Some(name) = &input.successor_username else {
        return Ok(None);
    };
    let (id, _) = user_in_scope(pool, ctx, unit, name)
        .await?
        .ok_or(HandoverError::SuccessorNotFound)?;
    if &id == leaver {
        return Err(HandoverError::SuccessorIsLeaver);
    }
    let roles = roles_in(pool, &id, unit).await?;
    if roles.is_empty() {
        return Err(HandoverError::SuccessorNotInUnit {
            username: name.clone(),
        });
    }
    Ok(Some(Successor {
        id,
        username: name.clone(),
        may_hold_custody: authz::may_be_custodian(&roles),
    }))
}
