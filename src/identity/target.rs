//! Loading another user for an action on them, with the authorisation that goes with it.

use sqlx::Row;

use super::error::IdentityResult;
use super::users::{User, user_and_unit};
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission, UnitRef};
use crate::ids::UserId;
use crate::tenancy::Unit;

/// The user `id` and their home unit, when the caller may act on them with `perm`: the
/// caller's scope must cover the home unit and every unit where the user holds a role
/// (see [`authz::authorize_user_target`]).
pub(super) async fn authorized_target(
    state: &AppState,
    ctx: &AuthContext,
    id: &UserId,
    perm: Permission,
) -> IdentityResult<(User, Unit)> {
    let (user, unit) = user_and_unit(state, id).await?;
    let rows = sqlx::query(
        "SELECT DISTINCT n.id, n.path FROM memberships m JOIN units n ON n.id = m.unit_id \
         WHERE m.user_id = $1",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?;
    let units = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("id")?,
                r.try_get::<String, _>("path")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let refs: Vec<UnitRef<'_>> = units
        .iter()
        .map(|(id, path)| UnitRef { id, path })
        .collect();
    authz::authorize_user_target(ctx, perm, &unit.as_ref(), &refs)?;
    Ok((user, unit))
}
