//! Memberships: (unit, user, role). A role on a unit applies to its whole subtree.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::{IdentityError, IdentityResult};
use super::users::user_event;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::{self, AuthContext, Permission, Role};
use crate::db::{Tx, is_unique_violation, lock_user};
use crate::http::{Page, Paging};
use crate::ids::{UnitId, UserId};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    pub created_at: i64,
}

impl Membership {
    fn from_row(r: &AnyRow, unit_name: String) -> IdentityResult<Membership> {
        Ok(Membership {
            unit_id: r.try_get("unit_id")?,
            unit_name,
            user_id: r.try_get("user_id")?,
            username: r.try_get("username")?,
            role: stored_role(r)?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// The `role` column of a row; a text no role owns is an internal error.
pub(super) fn stored_role(r: &AnyRow) -> IdentityResult<Role> {
    let role: String = r.try_get("role")?;
    Role::parse(&role).ok_or_else(|| IdentityError::internal("unknown role stored"))
}

pub(super) async fn insert_membership(
    tx: &mut Tx,
    unit_id: &UnitId,
    user_id: &UserId,
    role: Role,
    by: Option<&UserId>,
    now: i64,
) -> IdentityResult<()> {
    let res = sqlx::query(
        "INSERT INTO memberships (unit_id, user_id, role, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(unit_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now)
    .bind(by)
    .execute(&mut **tx)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(IdentityError::AlreadyMember),
        Err(e) => Err(e.into()),
    }
}

/// Every role the user holds anywhere.
pub(super) async fn roles_of(tx: &mut Tx, user_id: &UserId) -> IdentityResult<Vec<Role>> {
    let rows = sqlx::query("SELECT role FROM memberships WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut **tx)
        .await?;
    Ok(stored_roles(&rows))
}

/// The roles in the first column of membership rows (a name no role has is skipped).
pub(crate) fn stored_roles(rows: &[AnyRow]) -> Vec<Role> {
    rows.iter()
        .filter_map(|r| r.try_get::<String, _>(0).ok())
        .filter_map(|s| Role::parse(&s))
        .collect()
}

pub async fn grant(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &UnitId,
    user_id: &UserId,
    role: Role,
) -> IdentityResult<Membership> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::MembersWrite).await?;
    authz::forbid_self_grant(ctx, user_id.as_str())?;
    // The user must be someone the caller can see.
    let (user, home) = super::users::user_and_unit(state, user_id).await?;
    authz::authorize(ctx, Permission::UsersRead, &home.as_ref(), "user")?;
    if user.status != super::UserStatus::Active {
        return Err(IdentityError::UserInactive {
            username: user.username,
            status: user.status.as_str(),
        });
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    // Two grants to the same user at once must not both pass the separation check.
    if !lock_user(&mut tx, user_id.as_str()).await? {
        return Err(IdentityError::NotFound("user"));
    }
    let existing = roles_of(&mut tx, user_id).await?;
    authz::check_separation(
        &existing,
        role,
        state.policy.separation.sysadmin_may_hold_unit_roles,
    )?;
    let by = ctx.user_id().map(UserId::from);
    insert_membership(&mut tx, &unit.id, user_id, role, by.as_ref(), now).await?;
    tx.audit(
        now,
        meta,
        user_event(ctx, &unit.id, user_id, "membership.grant")
            .details(json!({ "username": user.username, "role": role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Membership {
        unit_id: unit.id,
        unit_name: unit.name,
        user_id: user.id,
        username: user.username,
        role,
        created_at: now,
    })
}

pub async fn revoke(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &UnitId,
    user_id: &UserId,
    role: Role,
) -> IdentityResult<()> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::MembersWrite).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if role == Role::Sysadmin && unit.parent_id.is_none() {
        super::last_admin::guard_last_sysadmin(&mut tx, user_id).await?;
    }
    let done =
        sqlx::query("DELETE FROM memberships WHERE unit_id = $1 AND user_id = $2 AND role = $3")
            .bind(&unit.id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::NotFound("membership"));
    }
    tx.audit(
        now,
        meta,
        user_event(ctx, &unit.id, user_id, "membership.revoke")
            .details(json!({ "role": role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One page of a unit's memberships, by username and role.
pub async fn list_for_unit(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: &UnitId,
    paging: &Paging,
) -> IdentityResult<Page<Membership>> {
    let unit = crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::UsersRead).await?;
    let rows = sqlx::query(
        "SELECT m.unit_id, m.user_id, u.username, m.role, m.created_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.unit_id = $1 \
         AND ($2 IS NULL OR (u.username, m.role) > ($2, $3)) ORDER BY u.username, m.role LIMIT $4",
    )
    .bind(&unit.id)
    .bind(paging.after_key())
    .bind(paging.after_id())
    .bind(paging.fetch())
    .fetch_all(state.db.pool())
    .await?;
    let members = rows
        .iter()
        .map(|r| Membership::from_row(r, unit.name.clone()))
        .collect::<IdentityResult<Vec<_>>>()?;
    Ok(paging.page(members, |m| {
        (m.username.clone(), m.role.as_str().to_string())
    }))
}

/// The memberships of one user, with unit names (for /me).
pub async fn of_user(pool: &sqlx::AnyPool, user_id: &UserId) -> IdentityResult<Vec<Membership>> {
    let rows = sqlx::query(
        "SELECT m.unit_id, n.name, m.user_id, u.username, m.role, m.created_at FROM memberships m \
         JOIN units n ON n.id = m.unit_id JOIN users u ON u.id = m.user_id \
         WHERE m.user_id = $1 ORDER BY n.path, m.role",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Membership::from_row(r, r.try_get("name")?))
        .collect()
}
