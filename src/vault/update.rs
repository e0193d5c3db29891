//! Editing a managed account's metadata (never its password: that is rotation).

use serde::Deserialize;
use serde_json::json;

use super::accounts::{check_binding_holder, feed_url_for};
use super::error::{VaultError, VaultResult, unique_or};
use super::load::{account_for, reload};
use super::model::{Account, AccountStatus, Classification, Platform};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::{AuthContext, Permission};
use crate::error::InputError;
use crate::ids::{AccountId, UserId};
use crate::text::{Email, LoginName, LongNote, Name, Phone, Url};

/// The fields to change (`PATCH /accounts/{id}`); an absent field stays as it is.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateAccount)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub login_name: Option<String>,
    pub login_url: Option<String>,
    pub classification: Option<Classification>,
    pub status: Option<AccountStatus>,
    pub bound_phone: Option<String>,
    pub bound_email: Option<String>,
    /// A user id, or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub binding_holder_id: Option<Option<UserId>>,
    pub notes: Option<String>,
    /// Website and new-media accounts: the feed or page to probe (empty text clears it).
    pub feed_url: Option<String>,
}

/// A field that is present (possibly `null`): `Some(value)`; absent stays `None` by
/// `#[serde(default)]`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<UserId>>, D::Error> {
    Option::<UserId>::deserialize(d).map(Some)
}

/// The columns to set, each with its validated value (`None` clears it).
type Sets = Vec<(&'static str, Option<String>)>;

/// Validates every given field of `patch` (for an account of `platform`); "nothing to
/// change" when none is given.
fn columns(patch: &AccountPatch, platform: Platform) -> Result<Sets, InputError> {
    let mut sets: Sets = Vec::new();
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
        sets.push((
            "binding_holder_id",
            v.as_ref().map(|id| id.as_str().to_string()),
        ));
    }
    if let Some(v) = &patch.notes {
        sets.push((
            "notes",
            LongNote::parse_optional("notes", Some(v))?.map(String::from),
        ));
    }
    if let Some(v) = &patch.feed_url {
        sets.push(("feed_url", feed_url_for(platform, Some(v))?));
    }
    if sets.is_empty() {
        return Err(InputError::new("nothing to change").zh("没有要修改的内容。"));
    }
    Ok(sets)
}

pub async fn update_account(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &AccountId,
    patch: AccountPatch,
) -> VaultResult<Account> {
    let (account, _) = account_for(state, ctx, id, Permission::AccountsWrite).await?;
    if let Some(Some(holder)) = &patch.binding_holder_id {
        check_binding_holder(state, ctx, holder).await?;
    }
    let sets = columns(&patch, account.platform)?;
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
            .bind(&account.unit_id)
            .bind(&account.id)
            .execute(&mut *tx)
            .await;
        unique_or(res, || VaultError::AccountNameTaken)?;
    }
    if patch.feed_url.is_some() {
        // A new (or no) feed starts with a clean probe record.
        sqlx::query(
            "UPDATE accounts SET probe_at = NULL, probe_status = NULL, probe_http_status = NULL, \
             probe_hash = NULL, probe_failures = 0 WHERE unit_id = $1 AND id = $2",
        )
        .bind(&account.unit_id)
        .bind(&account.id)
        .execute(&mut *tx)
        .await?;
    }
    // Status and feed changes can clear or raise findings: show it at once.
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
    tx.reevaluate_audit_and_commit(
        state,
        now,
        meta,
        account
            .entry_by(ctx, "account.update")
            .details(json!({ "name": account.name, "changed": changed })),
    )
    .await?;
    reload(state, id).await
}
