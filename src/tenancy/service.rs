use serde_json::json;

use super::error::{TenancyError, TenancyResult};
use super::model::{Unit, UnitKind};
use crate::app::AppState;
use crate::audit::{Actor, Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission};
use crate::db::{Tx, is_unique_violation};
use crate::error::InputError;
use crate::http::{Page, Paging, scoped_page_query, under_any};
use crate::ids::UnitId;
use crate::text::{Name, UnitCode};

const SELECT_UNIT: &str =
    "SELECT id, parent_id, path, depth, kind, name, code, created_at FROM units";

pub struct NewUnit {
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: UnitId,
    pub code: Option<String>,
}

/// The units with these ids (one query), in no particular order.
pub async fn get_units(pool: &sqlx::AnyPool, ids: &[&UnitId]) -> TenancyResult<Vec<Unit>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{SELECT_UNIT} WHERE id IN ({})",
        crate::http::placeholders(1, ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(pool).await?;
    Ok(rows.iter().map(Unit::from_row).collect::<Result<_, _>>()?)
}

pub async fn get_unit(pool: &sqlx::AnyPool, id: &UnitId) -> TenancyResult<Option<Unit>> {
    let sql = format!("{SELECT_UNIT} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(Unit::from_row).transpose()?)
}

/// A unit the caller may read (404 outside their subtrees).
pub async fn read_unit(state: &AppState, ctx: &AuthContext, id: &UnitId) -> TenancyResult<Unit> {
    authorized_unit(state, ctx, id, Permission::UnitsRead).await
}

pub async fn root_unit(pool: &sqlx::AnyPool) -> TenancyResult<Option<Unit>> {
    let sql = format!("{SELECT_UNIT} WHERE parent_id IS NULL ORDER BY created_at LIMIT 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(Unit::from_row).transpose()?)
}

/// One page of the units the caller may read, in tree order.
pub async fn list_units(
    state: &AppState,
    ctx: &AuthContext,
    paging: &Paging,
) -> TenancyResult<Page<Unit>> {
    let scopes = authz::require_anywhere(ctx, Permission::UnitsRead)?;
    let sql = format!(
        "{SELECT_UNIT} WHERE {} AND ($1 IS NULL OR (path, id) > ($1, $2)) ORDER BY path, id LIMIT $3",
        under_any("path", 4, scopes.len())
    );
    let rows = scoped_page_query(paging, sql, &scopes)
        .fetch_all(state.db.pool())
        .await?;
    let units = rows
        .iter()
        .map(Unit::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.page(units, |u| (u.path.clone(), u.id.to_string())))
}

async fn insert_unit(
    tx: &mut Tx,
    parent: Option<&Unit>,
    name: &str,
    kind: UnitKind,
    code: Option<&str>,
    now: i64,
) -> TenancyResult<Unit> {
    let id = UnitId::generate();
    let (path, depth) = match parent {
        Some(p) => (format!("{}{id}/", p.path), p.depth + 1),
        None => (format!("/{id}/"), 0),
    };
    let res = sqlx::query(
        "INSERT INTO units (id, parent_id, path, depth, kind, name, code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(parent.map(|p| &p.id))
    .bind(&path)
    .bind(depth)
    .bind(kind.as_str())
    .bind(name)
    .bind(code)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match res {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(TenancyError::UnitExists),
        Err(e) => return Err(e.into()),
    }
    Ok(Unit {
        id,
        parent_id: parent.map(|p| p.id.clone()),
        kind,
        name: name.to_string(),
        code: code.map(str::to_string),
        depth,
        created_at: now,
        path,
    })
}

/// Creates the root unit (the district) inside `tx`; used by `init`.
pub async fn create_root(tx: &mut Tx, name: &str, now: i64) -> TenancyResult<Unit> {
    let name = Name::parse("name", name)?.into_string();
    let unit = insert_unit(tx, None, &name, UnitKind::District, None, now).await?;
    tx.audit(
        now,
        &RequestMeta::default(),
        Entry::new(unit.id.as_str(), Actor::system(), "unit.create")
            .target("unit", unit.id.as_str())
            .details(json!({ "name": unit.name, "kind": "district", "root": true })),
    )
    .await?;
    Ok(unit)
}

pub async fn create_unit(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    input: NewUnit,
) -> TenancyResult<Unit> {
    let parent = get_unit(state.db.pool(), &input.parent_id)
        .await?
        .ok_or(TenancyError::NotFound("parent unit"))?;
    authz::authorize(ctx, Permission::UnitsWrite, &parent.as_ref(), "parent unit")?;
    if input.kind == UnitKind::District {
        return Err(InputError::new(
            "kind district is reserved for the root unit; use department, town, street, institution, enterprise or other",
        )
        .zh("单位类型“区”只用于根单位，请选择区政府部门、镇、街道、事业单位、国有企业或其他。")
        .into());
    }
    let name = Name::parse("name", &input.name)?.into_string();
    let code = UnitCode::parse_optional("code", input.code.as_deref())?.map(String::from);
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let unit = insert_unit(
        &mut tx,
        Some(&parent),
        &name,
        input.kind,
        code.as_deref(),
        now,
    )
    .await?;
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, unit.id.as_str(), "unit.create")
            .target("unit", unit.id.as_str())
            .details(json!({ "name": unit.name, "kind": unit.kind.as_str(), "parent_id": parent.id, "code": unit.code })),
    )
    .await?;
    Ok(unit)
}

/// The unit `id` if the caller holds `perm` there: 404 outside the caller's subtrees
/// (or when there is no such unit), 403 inside without the permission.
pub async fn authorized_unit(
    state: &AppState,
    ctx: &AuthContext,
    id: &UnitId,
    perm: Permission,
) -> TenancyResult<Unit> {
    let unit = get_unit(state.db.pool(), id)
        .await?
        .ok_or(TenancyError::NotFound("unit"))?;
    authz::authorize(ctx, perm, &unit.as_ref(), "unit")?;
    Ok(unit)
}
