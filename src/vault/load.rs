//! Reading managed accounts: one account with its unit and custodians, a unit's
//! accounts page by page, an account's versions, and the access checks that go with
//! loading (an account outside the caller's units is `not found`).

use std::collections::HashMap;

use sqlx::Row;

use super::error::{VaultError, VaultResult};
use super::model::{Account, Custodian, Platform, SELECT_ACCOUNT, VersionMeta};
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission};
use crate::http::{Page, Paging, placeholders};
use crate::ids::{AccountId, UnitId, UserId};
use crate::tenancy::Unit;

pub(super) async fn load_account(
    pool: &sqlx::AnyPool,
    id: &AccountId,
) -> VaultResult<Option<(Account, Unit)>> {
    // One round trip: the account, its unit and its custodians (one row per custodian).
    let sql = format!(
        "SELECT x.*, n.parent_id AS u_parent_id, n.path AS u_path, n.depth AS u_depth, n.kind AS u_kind, \
         n.name AS u_name, n.code AS u_code, n.created_at AS u_created_at, c.user_id AS c_user_id, cu.username AS c_username \
         FROM ({SELECT_ACCOUNT} WHERE a.id = $1) x JOIN units n ON n.id = x.unit_id \
         LEFT JOIN account_custodians c ON c.unit_id = x.unit_id AND c.account_id = x.id \
         LEFT JOIN users cu ON cu.id = c.user_id ORDER BY cu.username"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(pool)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut account = Account::from_row(first)?;
    for r in &rows {
        if let Some(user_id) = r.try_get::<Option<UserId>, _>("c_user_id")? {
            let username: Option<String> = r.try_get("c_username")?;
            account.custodians.push(Custodian {
                user_id,
                username: username.unwrap_or_default(),
            });
        }
    }
    let kind: String = first.try_get("u_kind")?;
    let unit = Unit {
        id: account.unit_id.as_str().into(),
        parent_id: first.try_get("u_parent_id")?,
        kind: crate::tenancy::UnitKind::parse(&kind).unwrap_or(crate::tenancy::UnitKind::Other),
        name: first.try_get("u_name")?,
        code: first.try_get("u_code")?,
        depth: first.try_get("u_depth")?,
        created_at: first.try_get("u_created_at")?,
        path: first.try_get("u_path")?,
    };
    Ok(Some((account, unit)))
}

/// The account as it is now, after a change the caller was allowed to make.
pub(super) async fn reload(state: &AppState, id: &AccountId) -> VaultResult<Account> {
    Ok(load_account(state.db.pool(), id)
        .await?
        .ok_or(VaultError::NotFound("account"))?
        .0)
}

/// The custodians of a page of accounts of one unit, in one query, by account id.
async fn custodians_of_page(
    pool: &sqlx::AnyPool,
    unit_id: &UnitId,
    account_ids: &[&AccountId],
) -> VaultResult<HashMap<AccountId, Vec<Custodian>>> {
    let mut out: HashMap<AccountId, Vec<Custodian>> = HashMap::new();
    if account_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT c.account_id, c.user_id, u.username FROM account_custodians c JOIN users u ON u.id = c.user_id \
         WHERE c.unit_id = $1 AND c.account_id IN ({}) ORDER BY c.account_id, u.username",
        placeholders(2, account_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(unit_id);
    for id in account_ids {
        q = q.bind(*id);
    }
    for r in &q.fetch_all(pool).await? {
        out.entry(r.try_get(0)?).or_default().push(Custodian {
            user_id: r.try_get(1)?,
            username: r.try_get(2)?,
        });
    }
    Ok(out)
}

/// An account and its unit, or `not found` when there is none.
async fn existing(state: &AppState, id: &AccountId) -> VaultResult<(Account, Unit)> {
    load_account(state.db.pool(), id)
        .await?
        .ok_or(VaultError::NotFound("account"))
}

/// An account the caller may act on with `perm` (404 outside their subtree).
pub(super) async fn account_for(
    state: &AppState,
    ctx: &AuthContext,
    id: &AccountId,
    perm: Permission,
) -> VaultResult<(Account, Unit)> {
    let (account, unit) = existing(state, id).await?;
    authz::authorize(ctx, perm, &unit.as_ref(), "account")?;
    Ok((account, unit))
}

/// An account whose secret the caller may see or change.
pub(super) async fn account_for_secret(
    state: &AppState,
    ctx: &AuthContext,
    id: &AccountId,
) -> VaultResult<(Account, Unit)> {
    let (account, unit) = existing(state, id).await?;
    authz::authorize_secret(ctx, &unit.as_ref(), &account.custodian_ids())?;
    Ok((account, unit))
}

pub async fn read_account(
    state: &AppState,
    ctx: &AuthContext,
    id: &AccountId,
) -> VaultResult<Account> {
    Ok(account_for(state, ctx, id, Permission::AccountsRead)
        .await?
        .0)
}

/// One account, when the caller may change it (`AccountsWrite`): what the edit page
/// loads, so a reader is refused before seeing the form (403; 404 outside their units).
pub async fn account_to_edit(
    state: &AppState,
    ctx: &AuthContext,
    id: &AccountId,
) -> VaultResult<Account> {
    Ok(account_for(state, ctx, id, Permission::AccountsWrite)
        .await?
        .0)
}

/// One account, when the caller may see and change its secret (its unit admins and
/// named custodians): what the rotation wizard loads before offering a step.
pub async fn account_to_rotate(
    state: &AppState,
    ctx: &AuthContext,
    id: &AccountId,
) -> VaultResult<Account> {
    Ok(account_for_secret(state, ctx, id).await?.0)
}

/// One page of a unit's accounts by name, optionally of one platform: one query for
/// the accounts and one for their custodians, whatever the page size.
pub async fn list_accounts(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: &UnitId,
    platform: Option<Platform>,
    paging: &Paging,
) -> VaultResult<Page<Account>> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::AccountsRead).await?;
    let sql = format!(
        "{SELECT_ACCOUNT} WHERE a.unit_id = $1 AND ($2 IS NULL OR a.platform = $2) \
         AND ($3 IS NULL OR (a.name, a.id) > ($3, $4)) ORDER BY a.name, a.id LIMIT $5"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&unit.id)
        .bind(platform.map(Platform::as_str))
        .bind(paging.after_key())
        .bind(paging.after_id())
        .bind(paging.fetch())
        .fetch_all(state.db.pool())
        .await?;
    let mut page = paging.page(
        rows.iter()
            .map(Account::from_row)
            .collect::<Result<Vec<_>, _>>()?,
        |a| (a.name.clone(), a.id.as_str().to_string()),
    );
    let ids: Vec<&AccountId> = page.items.iter().map(|a| &a.id).collect();
    let mut custodians = custodians_of_page(state.db.pool(), unit_id, &ids).await?;
    for a in &mut page.items {
        a.custodians = custodians.remove(&a.id).unwrap_or_default();
    }
    Ok(page)
}

pub async fn list_versions(
    state: &AppState,
    ctx: &AuthContext,
    id: &AccountId,
) -> VaultResult<Vec<VersionMeta>> {
    let (account, _) = account_for(state, ctx, id, Permission::AccountsRead).await?;
    let rows = sqlx::query(
        "SELECT version, state, score, weak, created_by, created_at, confirmed_at FROM credential_versions \
         WHERE unit_id = $1 AND account_id = $2 ORDER BY version DESC",
    )
    .bind(&account.unit_id)
    .bind(&account.id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(VersionMeta::from_row)
        .collect::<Result<_, _>>()?)
}
