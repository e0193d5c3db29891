//! Users: the people who log in. A user has a home unit (who manages the record) and
//! roles through memberships.

use rand::Rng;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use zeroize::Zeroizing;

use super::error::{IdentityError, IdentityResult};
use crate::app::AppState;
use crate::audit::{Actor, Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission, Role};
use crate::db::{Tx, is_unique_violation};
use crate::http::{Page, Paging, scoped_page_query, under_any};
use crate::ids::{UnitId, UserId};
use crate::policy::check_strength;
use crate::tenancy::{TenancyError, Unit, get_unit};
use crate::text::{DisplayName, Email, Phone};
use crate::text_enum::text_enum;

text_enum!(
    UserStatus {
        Active => "active",
        Disabled => "disabled",
        /// 离职: left the organisation.
        Departed => "departed",
    }
);

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    /// Home unit: the unit whose administrators manage this user record.
    pub unit_id: UnitId,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub status: UserStatus,
    pub totp_enrolled: bool,
    /// Unix ms until which logins are refused after too many failures.
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(super) const SELECT_USER: &str = "SELECT id, unit_id, username, display_name, phone, email, status, \
    totp_secret, locked_until, created_at, updated_at FROM users";

impl User {
    pub(super) fn from_row(r: &AnyRow) -> Result<User, sqlx::Error> {
        let status: String = r.try_get("status")?;
        let totp: Option<Vec<u8>> = r.try_get("totp_secret")?;
        Ok(User {
            id: r.try_get("id")?,
            unit_id: r.try_get("unit_id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            // Text no status owns reads as disabled: such a user cannot log in.
            status: UserStatus::parse(&status).unwrap_or(UserStatus::Disabled),
            totp_enrolled: totp.is_some(),
            locked_until: r.try_get("locked_until")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// An audit event by the caller about the user `user_id`, recorded in `unit_id`.
pub(super) fn user_event<'a>(
    ctx: &AuthContext,
    unit_id: &'a UnitId,
    user_id: &'a UserId,
    action: &'static str,
) -> Entry<'a> {
    Entry::by(ctx, unit_id.as_str(), action).target("user", user_id.as_str())
}

pub(super) async fn find_user(pool: &sqlx::AnyPool, id: &UserId) -> IdentityResult<Option<User>> {
    let sql = format!("{SELECT_USER} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(User::from_row).transpose()?)
}

/// The user `id`, or 404 `not_found` when there is none.
pub(super) async fn existing_user(pool: &sqlx::AnyPool, id: &UserId) -> IdentityResult<User> {
    find_user(pool, id)
        .await?
        .ok_or(IdentityError::NotFound("user"))
}

/// A user with its home unit, for authorisation.
pub(super) async fn user_and_unit(state: &AppState, id: &UserId) -> IdentityResult<(User, Unit)> {
    let user = existing_user(state.db.pool(), id).await?;
    let unit = get_unit(state.db.pool(), &user.unit_id)
        .await?
        .ok_or_else(|| IdentityError::internal("user's home unit is missing"))?;
    Ok((user, unit))
}

/// A random password that meets any shipped policy: 20 characters from an alphabet
/// without look-alikes (no 0/O, 1/l/I).
pub fn generate_password() -> Zeroizing<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789-_.!@#%";
    let mut rng = rand::rng();
    Zeroizing::new(
        (0..20)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect(),
    )
}

/// Validates a new username and returns its stored (lower-case) form.
fn check_username(u: &str) -> IdentityResult<String> {
    let ok = (3..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(super::usernames::normalize(u))
    } else {
        Err(IdentityError::invalid(
            "username must be 3 to 64 characters: letters, digits, '.', '_' or '-'",
            "用户名须为 3 至 64 个字符，只能包含字母、数字、“.”、“_”或“-”。",
        ))
    }
}

/// Enforces the policy on a user's chosen password.
pub(super) fn require_strong(
    state: &AppState,
    password: &str,
    username: &str,
    display_name: &str,
) -> IdentityResult<()> {
    let report = check_strength(
        &state.policy.user_password,
        password,
        &[username, display_name],
    );
    if report.acceptable {
        return Ok(());
    }
    Err(IdentityError::WeakPassword {
        score: report.score,
        min_score: report.min_score,
        feedback: report.feedback,
    })
}

/// The new user's password: the one given, once it meets the policy, or a generated
/// one. The second value is the generated password, to be shown once.
fn given_or_generated(
    state: &AppState,
    given: Option<Zeroizing<String>>,
    username: &str,
    display_name: &str,
) -> IdentityResult<(Zeroizing<String>, Option<Zeroizing<String>>)> {
    match given {
        Some(p) => {
            require_strong(state, &p, username, display_name)?;
            Ok((p, None))
        }
        None => {
            let p = generate_password();
            Ok((p.clone(), Some(p)))
        }
    }
}

/// The user just inserted (and committed) as `id`.
async fn inserted_user(pool: &sqlx::AnyPool, id: &UserId) -> IdentityResult<User> {
    find_user(pool, id)
        .await?
        .ok_or_else(|| IdentityError::internal("user vanished after insert"))
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: Option<Zeroizing<String>>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub unit_id: Option<UnitId>,
}

async fn insert_user(
    tx: &mut Tx,
    id: &UserId,
    unit_id: &UnitId,
    input: &NewUser,
    display_name: &str,
    hash: &str,
    now: i64,
) -> IdentityResult<()> {
    let res = sqlx::query(
        "INSERT INTO users (id, unit_id, username, display_name, phone, email, status, password_hash, \
         failed_logins, created_at, updated_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, 0, $8, $8, $8)",
    )
    .bind(id)
    .bind(unit_id)
    .bind(&input.username)
    .bind(display_name)
    .bind(input.phone.as_deref())
    .bind(input.email.as_deref())
    .bind(hash)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => {
            Err(IdentityError::UsernameTaken(input.username.clone()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a user in the caller's scope. Returns the user and, when no password was
/// given, the generated initial password (shown once).
pub async fn create_user(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    mut input: NewUser,
) -> IdentityResult<(User, Option<Zeroizing<String>>)> {
    let unit_id = match input.unit_id.clone() {
        Some(u) => u,
        None => authz::require_anywhere(ctx, Permission::UsersWrite)?
            .first()
            .and_then(|p| p.trim_end_matches('/').rsplit('/').next().map(UnitId::from))
            .ok_or(crate::authz::AuthzError::Forbidden)?,
    };
    let unit =
        crate::tenancy::authorized_unit(state, ctx, &unit_id, Permission::UsersWrite).await?;
    input.username = check_username(&input.username)?;
    let display_name = DisplayName::parse("display_name", &input.display_name)?.into_string();
    input.phone = Phone::parse_optional("phone", input.phone.as_deref())?.map(String::from);
    input.email = Email::parse_optional("email", input.email.as_deref())?.map(String::from);
    let (password, generated) =
        given_or_generated(state, input.password.take(), &input.username, &display_name)?;
    let hash = state.hasher.hash(password).await?;
    let now = state.now();
    let id = UserId::generate();
    let mut tx = state.db.begin_write().await?;
    insert_user(&mut tx, &id, &unit.id, &input, &display_name, &hash, now).await?;
    tx.audit_and_commit(
        now,
        meta,
        user_event(ctx, &unit.id, &id, "user.create")
            .details(json!({ "username": input.username, "display_name": display_name, "password_generated": generated.is_some() })),
    )
    .await?;
    let user = inserted_user(state.db.pool(), &id).await?;
    Ok((user, generated))
}

pub async fn read_user(state: &AppState, ctx: &AuthContext, id: &UserId) -> IdentityResult<User> {
    let (user, unit) = user_and_unit(state, id).await?;
    authz::authorize(ctx, Permission::UsersRead, &unit.as_ref(), "user")?;
    Ok(user)
}

/// One page of the users of the caller's subtrees, by username.
pub async fn list_users(
    state: &AppState,
    ctx: &AuthContext,
    paging: &Paging,
) -> IdentityResult<Page<User>> {
    let scopes = authz::require_anywhere(ctx, Permission::UsersRead)?;
    let sql = format!(
        "{SELECT_USER} WHERE unit_id IN (SELECT n.id FROM units n WHERE {}) \
         AND ($1 IS NULL OR (username, id) > ($1, $2)) ORDER BY username, id LIMIT $3",
        under_any("n.path", 4, scopes.len())
    );
    let rows = scoped_page_query(paging, sql, &scopes)
        .fetch_all(state.db.pool())
        .await?;
    let users = rows
        .iter()
        .map(User::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.page(users, |u| (u.username.clone(), u.id.to_string())))
}

/// The changes to a user: the body of `PATCH /users/{id}`.
#[derive(Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateUser)]
pub struct UserPatch {
    pub status: Option<UserStatus>,
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Clears the user's TOTP so they enrol again (lost device). Ends their sessions.
    #[serde(default)]
    pub reset_totp: bool,
}

/// Updates a user. Disabling or marking departed ends their sessions and revokes the
/// API tokens they created, in the same transaction.
pub async fn update_user(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &UserId,
    patch: UserPatch,
) -> IdentityResult<User> {
    let (user, unit) =
        super::target::authorized_target(state, ctx, id, Permission::UsersWrite).await?;
    let display_name = patch
        .display_name
        .as_deref()
        .map(|d| DisplayName::parse("display_name", d).map(String::from))
        .transpose()?;
    let phone = Phone::parse_optional("phone", patch.phone.as_deref())?.map(String::from);
    let email = Email::parse_optional("email", patch.email.as_deref())?.map(String::from);
    let mut changed: Vec<&str> = Vec::new();
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if patch
        .status
        .is_some_and(|s| s != UserStatus::Active && user.status == UserStatus::Active)
    {
        super::last_admin::guard_last_sysadmin(&mut tx, id).await?;
    }
    // Column names are these constants, never input.
    for (column, value) in [
        ("display_name", &display_name),
        ("phone", &phone),
        ("email", &email),
    ] {
        if let Some(value) = value {
            let sql = format!("UPDATE users SET {column} = $1 WHERE id = $2");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(value)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            changed.push(column);
        }
    }
    if patch.reset_totp {
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        super::sessions::revoke_all_for_user(&mut tx, id).await?;
        changed.push("totp_reset");
    }
    let mut revoked = (0u64, 0u64);
    if let Some(status) = patch.status
        && status != user.status
    {
        sqlx::query("UPDATE users SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        changed.push("status");
        if status != UserStatus::Active {
            revoked.0 = super::sessions::revoke_all_for_user(&mut tx, id).await?;
            revoked.1 = super::api_tokens::revoke_created_by(&mut tx, id, now).await?;
        }
    }
    if changed.is_empty() {
        return Err(IdentityError::invalid(
            "nothing to change: give status, display_name, phone, email or reset_totp",
            "没有要修改的内容：请填写状态、姓名、手机号、电子邮箱，或选择重置两步验证。",
        ));
    }
    sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.audit_and_commit(
        now,
        meta,
        user_event(ctx, &unit.id, id, "user.update").details(json!({
            "username": user.username,
            "fields": changed,
            "status": patch.status.map(|s| s.as_str()),
            "sessions_revoked": revoked.0,
            "api_tokens_revoked": revoked.1,
        })),
    )
    .await?;
    existing_user(state.db.pool(), id).await
}

/// `init`: the root unit and its first sysadmin in one transaction. Refuses when a
/// root unit already exists.
pub async fn create_first_admin(
    state: &AppState,
    district_name: &str,
    username: &str,
    password: Option<Zeroizing<String>>,
) -> IdentityResult<(Unit, User, Option<Zeroizing<String>>)> {
    let username = &check_username(username)?;
    if crate::tenancy::root_unit(state.db.pool()).await?.is_some() {
        return Err(IdentityError::AlreadyInitialised);
    }
    let display = "系统管理员";
    let (password, generated) = given_or_generated(state, password, username, display)?;
    let hash = state.hasher.hash(password).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    // Re-check under the write lock so two concurrent inits cannot both succeed.
    let roots: i64 = sqlx::query("SELECT COUNT(*) FROM units WHERE parent_id IS NULL")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if roots > 0 {
        return Err(IdentityError::InitialisedMeanwhile);
    }
    // A concurrent init on another server passes the check above too; the unique
    // index `units_one_root` stops the second root.
    let root = match crate::tenancy::create_root(&mut tx, district_name, now).await {
        Err(TenancyError::UnitExists) => return Err(IdentityError::InitialisedMeanwhile),
        other => other?,
    };
    let id = UserId::generate();
    let input = NewUser {
        username: username.to_string(),
        display_name: display.to_string(),
        password: None,
        phone: None,
        email: None,
        unit_id: None,
    };
    insert_user(&mut tx, &id, &root.id, &input, display, &hash, now).await?;
    super::members::insert_membership(&mut tx, &root.id, &id, Role::Sysadmin, None, now).await?;
    tx.audit_and_commit(
        now,
        &RequestMeta::default(),
        Entry::new(root.id.as_str(), Actor::system(), "user.create")
            .target("user", id.as_str())
            .details(json!({ "username": username, "role": "sysadmin", "init": true })),
    )
    .await?;
    let user = inserted_user(state.db.pool(), &id).await?;
    Ok((root, user, generated))
}
