//! Registering managed accounts: validating the fields, inserting an account with its
//! first password (API and import), and creating one through the API.

use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use super::error::{VaultError, VaultResult, unique_or};
use super::load::load_account;
use super::model::{Account, Classification, Platform, VersionState, unit_id_of};
use super::secrets::{NewVersion, insert_version, record_exposure, seal_totp, unit_key_for};
use super::validate::{CheckTarget, check_password, require_acceptable};
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission};
use crate::db::Tx;
use crate::error::InputError;
use crate::ids::{AccountId, UnitId, UserId};
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
    pub binding_holder_id: Option<UserId>,
    pub notes: Option<String>,
    /// The account's current password, or None to generate one by policy.
    pub password: Option<Zeroizing<String>>,
    /// Base32 TOTP secret of the account, if credgov should keep it.
    pub totp_secret: Option<Zeroizing<String>>,
    /// Website and new-media accounts: a feed or page to probe for freshness.
    pub feed_url: Option<String>,
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
    pub feed_url: Option<String>,
}

/// The raw bytes of a base32 TOTP secret as platforms show it (spaces, padding and
/// case ignored).
fn totp_bytes(secret: &str) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let cleaned: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect::<String>()
        .to_ascii_uppercase();
    let secret = totp_rs::Secret::try_from_base32(&cleaned).map_err(|_| {
        InputError::new("totp_secret must be the base32 secret shown by the platform")
            .zh("动态码密钥须为平台显示的 base32 密钥。")
    })?;
    let raw = Zeroizing::new(secret.as_bytes().to_vec());
    if raw.len() < 10 {
        return Err(
            InputError::new("totp_secret is too short (at least 16 base32 characters)")
                .zh("动态码密钥太短（至少 16 个 base32 字符）。"),
        );
    }
    Ok(raw)
}

/// The fields of `input` by the vault's rules; the first failing field is named.
pub(super) fn validate_new(input: &NewAccount) -> Result<ValidAccount, InputError> {
    let totp_raw = input
        .totp_secret
        .as_ref()
        .map(|s| totp_bytes(s))
        .transpose()?;
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
        feed_url: feed_url_for(input.platform, input.feed_url.as_deref())?,
    })
}

/// A checked feed URL for an account of `platform`: only content platforms have one.
pub(super) fn feed_url_for(
    platform: Platform,
    value: Option<&str>,
) -> Result<Option<String>, InputError> {
    let url = crate::freshness::parse_http_url("feed_url", value)?;
    if url.is_some() && !crate::freshness::publishes_content(platform) {
        return Err(InputError::field(
            "feed_url",
            "only website and new-media accounts have a feed_url",
        )
        .zh("只有网站和新媒体账号才有更新检测地址。"));
    }
    Ok(url)
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
) -> VaultResult<AccountId> {
    let AccountItem {
        input,
        password,
        score,
        weak,
    } = item;
    let v = validate_new(input)?;
    let unit_id = unit_id_of(unit);
    let id = AccountId::generate();
    let now = state.now();
    let sealed_totp = match &v.totp_raw {
        Some(raw) => {
            let key = unit_key_for(state, tx, &unit_id).await?;
            Some(seal_totp(state, &key, (&unit_id, &id), raw))
        }
        None => None,
    };
    let res = sqlx::query(
        "INSERT INTO accounts (unit_id, id, name, platform, login_name, login_url, classification, status, \
         bound_phone, bound_email, binding_holder_id, totp_secret, notes, created_by, created_at, updated_at, last_rotated_at, feed_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12, $13, $14, $14, $14, $15)",
    )
    .bind(&unit_id)
    .bind(&id)
    .bind(&v.name)
    .bind(input.platform.as_str())
    .bind(&v.login_name)
    .bind(v.login_url.as_deref())
    .bind(input.classification.as_str())
    .bind(v.bound_phone.as_deref())
    .bind(v.bound_email.as_deref())
    .bind(input.binding_holder_id.as_ref())
    .bind(sealed_totp)
    .bind(v.notes.as_deref())
    .bind(ctx.user_id())
    .bind(now)
    .bind(v.feed_url.as_deref())
    .execute(&mut **tx)
    .await;
    unique_or(res, || VaultError::AccountExists {
        name: v.name.clone(),
    })?;
    insert_version(
        state,
        tx,
        NewVersion {
            unit_id: &unit_id,
            account_id: &id,
            version: 1,
            state: VersionState::Current,
            password,
            score,
            weak,
            created_by: ctx.user_id(),
        },
    )
    .await?;
    record_exposure(tx, ctx, (&unit_id, &id), 1, "create", now).await?;
    tx.audit(
        now,
        meta,
        Entry::by(ctx, unit_id.as_str(), "account.create")
            .target("account", id.as_str())
            .details(json!({
                "name": v.name,
                "platform": input.platform.as_str(),
                "classification": input.classification.as_str(),
                "version": 1,
                "score": score,
                "weak": weak,
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
    unit_id: &UnitId,
    mut input: NewAccount,
) -> VaultResult<(Account, Option<Zeroizing<String>>)> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::AccountsWrite).await?;
    validate_new(&input)?;
    if input.password.is_none() {
        // A generated password is returned: people only.
        authz::require_person(ctx)?;
    }
    if let Some(holder) = &input.binding_holder_id {
        check_binding_holder(state, ctx, holder).await?;
    }
    let policy = effective_policy(state, &unit).await?.policy;
    let (password, generated) = match input.password.take() {
        Some(p) => (p, false),
        None => (generate_password(&policy.generator), true),
    };
    let target = CheckTarget::new_account(unit_id, &unit.name, &input);
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
        .ok_or_else(|| VaultError::internal("account vanished"))?;
    Ok((account, generated.then_some(password)))
}

/// The binding holder must be a user the caller can see.
pub(super) async fn check_binding_holder(
    state: &AppState,
    ctx: &AuthContext,
    user_id: &UserId,
) -> VaultResult<()> {
    let row = sqlx::query(
        "SELECT u.unit_id, n.path FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(state.db.pool())
    .await?;
    let Some(row) = row else {
        return Err(InputError::new("binding_holder_id names no user")
            .zh("所选的绑定人不是本系统的用户。")
            .into());
    };
    let (id, path): (String, String) = (row.try_get(0)?, row.try_get(1)?);
    let unit = authz::UnitRef {
        id: &id,
        path: &path,
    };
    authz::authorize(ctx, Permission::AccountsRead, &unit, "binding holder").map_err(|_| {
        InputError::new("binding_holder_id names a user outside your units")
            .zh("所选的绑定人不在您有权查看的单位内。")
            .into()
    })
}
