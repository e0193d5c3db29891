//! Registering, reading and editing managed accounts.

use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::model::{
    Account, AccountStatus, Classification, Custodian, Platform, SELECT_ACCOUNT, VersionMeta,
    VersionState,
};
use super::secrets::{NewVersion, insert_version, record_exposure, seal_totp, unit_key_for};
use super::validate::{CheckTarget, check_password, require_acceptable};
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission};
use crate::db::{Tx, is_unique_violation, new_id};
use crate::error::{AppError, AppResult};
use crate::http::{Page, Paging, placeholders};
use crate::policy::{effective_policy, generate_password};
use crate::tenancy::Unit;
use crate::text::{Email, LoginName, LongNote, Name, Phone, Url};

pub struct NewAccount {
    pub name: String,
    pub platform: Platform,
    pub login_name: String,
    pub login_url: Option<String>,
    pub classification: Classification,
    pub bound_phone: Option<String>,
    pub bound_email: Option<String>,
    pub binding_holder_id: Option<String>,
    pub notes: Option<String>,
    /// The account's current password, or None to generate one by policy.
    pub password: Option<Zeroizing<String>>,
    /// Base32 TOTP secret of the account, if credgov should keep it.
    pub totp_secret: Option<Zeroizing<String>>,
}

pub(super) async fn load_account(
    pool: &sqlx::AnyPool,
    id: &str,
) -> AppResult<Option<(Account, Unit)>> {
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
        if let Some(user_id) = r.try_get::<Option<String>, _>("c_user_id")? {
            let username: Option<String> = r.try_get("c_username")?;
            account.custodians.push(Custodian {
                user_id,
                username: username.unwrap_or_default(),
            });
        }
    }
    let kind: String = first.try_get("u_kind")?;
    let unit = Unit {
        id: account.unit_id.clone().into(),
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

/// The custodians of a page of accounts of one unit, in one query, by account id.
async fn custodians_of_page(
    pool: &sqlx::AnyPool,
    unit_id: &str,
    account_ids: &[&str],
) -> AppResult<std::collections::HashMap<String, Vec<Custodian>>> {
    let mut out: std::collections::HashMap<String, Vec<Custodian>> = Default::default();
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

/// An account the caller may act on with `perm` (404 outside their subtree).
pub(super) async fn account_for(
    state: &AppState,
    ctx: &AuthContext,
    id: &str,
    perm: Permission,
) -> AppResult<(Account, Unit)> {
    let (account, unit) = load_account(state.db.pool(), id)
        .await?
        .ok_or_else(|| AppError::not_found("account"))?;
    authz::authorize(ctx, perm, &unit.as_ref(), "account")?;
    Ok((account, unit))
}

/// An account whose secret the caller may see or change.
pub(super) async fn account_for_secret(
    state: &AppState,
    ctx: &AuthContext,
    id: &str,
) -> AppResult<(Account, Unit)> {
    let (account, unit) = load_account(state.db.pool(), id)
        .await?
        .ok_or_else(|| AppError::not_found("account"))?;
    let ids: Vec<String> = account
        .custodians
        .iter()
        .map(|c| c.user_id.clone())
        .collect();
    authz::authorize_secret(ctx, &unit.as_ref(), &ids)?;
    Ok((account, unit))
}

pub async fn read_account(state: &AppState, ctx: &AuthContext, id: &str) -> AppResult<Account> {
    Ok(account_for(state, ctx, id, Permission::AccountsRead)
        .await?
        .0)
}

/// One page of a unit's accounts by name, optionally of one platform: one query for
/// the accounts and one for their custodians, whatever the page size.
pub async fn list_accounts(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: &str,
    platform: Option<Platform>,
    paging: &Paging,
) -> AppResult<Page<Account>> {
    let unit = crate::tenancy::authorized_unit(
        state,
        ctx,
        &crate::ids::UnitId::from(unit_id),
        Permission::AccountsRead,
    )
    .await?;
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
        |a| (a.name.clone(), a.id.clone()),
    );
    let ids: Vec<&str> = page.items.iter().map(|a| a.id.as_str()).collect();
    let mut custodians = custodians_of_page(state.db.pool(), unit.id.as_str(), &ids).await?;
    for a in &mut page.items {
        a.custodians = custodians.remove(&a.id).unwrap_or_default();
    }
    Ok(page)
}

pub async fn list_versions(
    state: &AppState,
    ctx: &AuthContext,
    id: &str,
) -> AppResult<Vec<VersionMeta>> {
    let (account, _) = account_for(state, ctx, id, Permission::AccountsRead).await?;
    let rows = sqlx::query(
        "SELECT version, state, score, weak, created_by, created_at, confirmed_at FROM credential_versions \
         WHERE unit_id = $1 AND account_id = $2 ORDER BY version DESC",
    )
    .bind(&account.unit_id)
    .bind(&account.id)
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| VersionMeta::from_row(r).map_err(Into::into))
        .collect()
}

/// Validated fields of a new account, ready to insert.
pub(super) struct ValidAccount {
    pub name: String,
    pub login_name: String,
    pub login_url: Option<String>,
    pub bound_phone: Option<String>,
    pub bound_email: Option<String>,
    pub notes: Option<String>,
    pub totp_raw: Option<Zeroizing<Vec<u8>>>,
}

pub(super) fn validate_new(input: &NewAccount) -> AppResult<ValidAccount> {
    let totp_raw = match &input.totp_secret {
        None => None,
        Some(s) => {
            let cleaned: String = s
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '=')
                .collect::<String>()
                .to_ascii_uppercase();
            let secret = totp_rs::Secret::try_from_base32(&cleaned).map_err(|_| {
                AppError::invalid("totp_secret must be the base32 secret shown by the platform")
            })?;
            let raw = Zeroizing::new(secret.as_bytes().to_vec());
            if raw.len() < 10 {
                return Err(AppError::invalid(
                    "totp_secret is too short (at least 16 base32 characters)",
                ));
            }
            Some(raw)
        }
    };
    Ok(ValidAccount {
        name: Name::parse("name", &input.name)?.into_string(),
        login_name: LoginName::parse("login_name", &input.login_name)?.into_string(),
        login_url: Url::parse_optional("login_url", input.login_url.as_deref())?.map(String::from),
        bound_phone: Phone::parse_optional("bound_phone", input.bound_phone.as_deref())?
            .map(String::from),
        bound_email: Email::parse_optional("bound_email", input.bound_email.as_deref())?
            .map(String::from),
        notes: LongNote::parse_optional("notes", input.notes.as_deref())?.map(String::from),
        totp_raw,
    })
}

/// One account to insert with its first password.
pub struct AccountItem<'a> {
    pub input: &'a NewAccount,
    pub password: &'a str,
    /// zxcvbn score of the password.
    pub score: u8,
    /// Stored although below policy (import flags weak passwords instead of refusing).
    pub weak: bool,
}

/// Inserts an account with version 1 as current, its exposure and audit event, in `tx`.
/// Used by the API and by bulk import.
pub async fn insert_account(
    state: &AppState,
    tx: &mut Tx,
    (ctx, meta): (&AuthContext, &RequestMeta),
    unit: &Unit,
    item: AccountItem<'_>,
) -> AppResult<String> {
    let AccountItem {
        input,
        password,
        score,
        weak,
    } = item;
    let strength = (score, weak);
    let v = validate_new(input)?;
    let id = new_id();
    let now = state.now();
    let sealed_totp = match &v.totp_raw {
        Some(raw) => {
            let key = unit_key_for(state, tx, unit.id.as_str()).await?;
            Some(seal_totp(state, &key, unit.id.as_str(), &id, raw))
        }
        None => None,
    };
    let res = sqlx::query(
        "INSERT INTO accounts (unit_id, id, name, platform, login_name, login_url, classification, status, \
         bound_phone, bound_email, binding_holder_id, totp_secret, notes, created_by, created_at, updated_at, last_rotated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12, $13, $14, $14, $14)",
    )
    .bind(&unit.id)
    .bind(&id)
    .bind(&v.name)
    .bind(input.platform.as_str())
    .bind(&v.login_name)
    .bind(v.login_url.as_deref())
    .bind(input.classification.as_str())
    .bind(v.bound_phone.as_deref())
    .bind(v.bound_email.as_deref())
    .bind(input.binding_holder_id.as_deref())
    .bind(sealed_totp)
    .bind(v.notes.as_deref())
    .bind(ctx.user_id())
    .bind(now)
    .execute(&mut **tx)
    .await;
    match res {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::conflict(
                "account_exists",
                format!("the unit already has an account named {}", v.name),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    insert_version(
        state,
        tx,
        NewVersion {
            unit_id: unit.id.as_str(),
            account_id: &id,
            version: 1,
            state: VersionState::Current,
            password,
            score: strength.0,
            weak: strength.1,
            created_by: ctx.user_id(),
        },
    )
    .await?;
    record_exposure(tx, ctx, unit.id.as_str(), &id, 1, "create", now).await?;
    tx.audit(
        now,
        meta,
        Entry::by(ctx, unit.id.as_str(), "account.create")
            .target("account", &id)
            .details(json!({
                "name": v.name,
                "platform": input.platform.as_str(),
                "classification": input.classification.as_str(),
                "version": 1,
                "score": strength.0,
                "weak": strength.1,
                "managed_totp": v.totp_raw.is_some(),
            })),
    )
    .await?;
    Ok(id)
}

/// Creates an account; a supplied password must pass policy, else one is generated.
/// Returns the account and, when generated, the password (shown once).
pub async fn create_account(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &str,
    mut input: NewAccount,
) -> AppResult<(Account, Option<Zeroizing<String>>)> {
    let unit = crate::tenancy::authorized_unit(
        state,
        ctx,
        &crate::ids::UnitId::from(unit_id),
        Permission::AccountsWrite,
    )
    .await?;
    validate_new(&input)?;
    if input.password.is_none() {
        // A generated password is returned: people only.
        crate::authz::require_person(ctx)?;
    }
    if let Some(holder) = &input.binding_holder_id {
        check_binding_holder(state, ctx, holder).await?;
    }
    let policy = effective_policy(state, &unit).await?.policy;
    let (password, generated) = match input.password.take() {
        Some(p) => (p, false),
        None => (generate_password(&policy.generator), true),
    };
    let target = CheckTarget {
        unit_id: unit.id.as_str(),
        account_id: None,
        context: vec![
            &unit.name,
            &input.name,
            input.platform.as_str(),
            &input.login_name,
        ],
        reuse: true,
    };
    let check = check_password(state, &policy.account_password, &target, &password).await?;
    require_acceptable(&check)?;
    let mut tx = state.db.begin_write().await?;
    let item = AccountItem {
        input: &input,
        password: &password,
        score: check.score,
        weak: false,
    };
    let id = insert_account(state, &mut tx, (ctx, meta), &unit, item).await?;
    tx.commit().await?;
    let (account, _) = load_account(state.db.pool(), &id)
        .await?
        .ok_or_else(|| AppError::internal("account vanished"))?;
    Ok((account, generated.then_some(password)))
}

/// The binding holder must be a user the caller can see.
async fn check_binding_holder(state: &AppState, ctx: &AuthContext, user_id: &str) -> AppResult<()> {
    let row = sqlx::query(
        "SELECT u.unit_id, n.path FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(state.db.pool())
    .await?;
    let Some(row) = row else {
        return Err(AppError::invalid("binding_holder_id names no user"));
    };
    let (id, path): (String, String) = (row.try_get(0)?, row.try_get(1)?);
    authz::authorize(
        ctx,
        Permission::AccountsRead,
        &crate::authz::UnitRef {
            id: &id,
            path: &path,
        },
        "binding holder",
    )
    .map_err(|_| AppError::invalid("binding_holder_id names a user outside your units"))
}

#[derive(Default)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub login_name: Option<String>,
    pub login_url: Option<String>,
    pub classification: Option<Classification>,
    pub status: Option<AccountStatus>,
    pub bound_phone: Option<String>,
    pub bound_email: Option<String>,
    /// `Some(None)` clears the holder.
    pub binding_holder_id: Option<Option<String>>,
    pub notes: Option<String>,
}

pub async fn update_account(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &str,
    patch: AccountPatch,
) -> AppResult<Account> {
    let (account, unit) = account_for(state, ctx, id, Permission::AccountsWrite).await?;
    if let Some(Some(holder)) = &patch.binding_holder_id {
        check_binding_holder(state, ctx, holder).await?;
    }
    let mut sets: Vec<(&'static str, Option<String>)> = Vec::new();
    if let Some(v) = &patch.name {
        sets.push(("name", Some(Name::parse("name", v)?.into_string())));
    }
    if let Some(v) = &patch.login_name {
        sets.push((
            "login_name",
            Some(LoginName::parse("login_name", v)?.into_string()),
        ));
    }
    if let Some(v) = &patch.login_url {
        sets.push((
            "login_url",
            Url::parse_optional("login_url", Some(v))?.map(String::from),
        ));
    }
    if let Some(v) = patch.classification {
        sets.push(("classification", Some(v.as_str().into())));
    }
    if let Some(v) = patch.status {
        sets.push(("status", Some(v.as_str().into())));
    }
    if let Some(v) = &patch.bound_phone {
        sets.push((
            "bound_phone",
            Phone::parse_optional("bound_phone", Some(v))?.map(String::from),
        ));
    }
    if let Some(v) = &patch.bound_email {
        sets.push((
            "bound_email",
            Email::parse_optional("bound_email", Some(v))?.map(String::from),
        ));
    }
    if let Some(v) = &patch.binding_holder_id {
        sets.push(("binding_holder_id", v.clone()));
    }
    if let Some(v) = &patch.notes {
        sets.push((
            "notes",
            LongNote::parse_optional("notes", Some(v))?.map(String::from),
        ));
    }
    if sets.is_empty() {
        return Err(AppError::invalid("nothing to change"));
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    for (column, value) in &sets {
        // Column names come from the fixed list above, never from input.
        let sql = format!(
            "UPDATE accounts SET {column} = $1, updated_at = $2 WHERE unit_id = $3 AND id = $4"
        );
        let res = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value.as_deref())
            .bind(now)
            .bind(&unit.id)
            .bind(&account.id)
            .execute(&mut *tx)
            .await;
        if let Err(e) = res {
            if is_unique_violation(&e) {
                return Err(AppError::conflict(
                    "account_exists",
                    "the unit already has an account with this name",
                ));
            }
            return Err(e.into());
        }
    }
    let changed: serde_json::Map<String, serde_json::Value> = sets
        .iter()
        .map(|(k, v)| {
            // Contact details are personal data: record that they changed, not the values.
            let shown = if matches!(*k, "bound_phone" | "bound_email" | "notes") {
                json!("(changed)")
            } else {
                json!(v)
            };
            (k.to_string(), shown)
        })
        .collect();
    tx.audit(
        now,
        meta,
        Entry::by(ctx, unit.id.as_str(), "account.update")
            .target("account", &account.id)
            .details(json!({ "name": account.name, "changed": changed })),
    )
    .await?;
    tx.commit().await?;
    Ok(load_account(state.db.pool(), id)
        .await?
        .ok_or_else(|| AppError::not_found("account"))?
        .0)
}
