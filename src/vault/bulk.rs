//! Inserting many accounts at once (bulk import): a few statements for all the rows
//! (`Db::insert_rows`), one data-key lookup, and no per-row audit event — the caller
//! writes one `account.import` event naming every account, in the same transaction.

use super::accounts::{AccountItem, validate_new};
use super::error::{VaultError, VaultResult, unique_or};
use super::model::{AccountStatus, VersionState, unit_id_of};
use super::secrets::{Fingerprinter, seal_totp, seal_version, unit_key_for};
use crate::app::AppState;
use crate::authz::AuthContext;
use crate::db::{Tx, Values, new_id};
use crate::ids::AccountId;
use crate::policy::SealedStrength;
use crate::tenancy::Unit;

/// Inserts `items` with version 1 current. Returns the new ids in order.
pub async fn insert_accounts_bulk(
    state: &AppState,
    tx: &mut Tx,
    ctx: &AuthContext,
    unit: &Unit,
    items: &[AccountItem<'_>],
) -> VaultResult<Vec<AccountId>> {
    let unit_id = unit_id_of(unit);
    let key = unit_key_for(state, tx, &unit_id).await?;
    let now = state.now();
    let fingerprints = Fingerprinter::new(state);
    let created_by = ctx.user_id().map(str::to_string);
    let n = items.len();
    let ids: Vec<AccountId> = items.iter().map(|_| AccountId::generate()).collect();
    let text = |f: &dyn Fn(usize) -> Option<String>| Values::Text((0..n).map(f).collect());

    let mut valid = Vec::with_capacity(n);
    for item in items {
        valid.push(validate_new(item.input)?);
    }
    let totp: Vec<Option<Vec<u8>>> = valid
        .iter()
        .zip(&ids)
        .map(|(v, id)| {
            v.totp_raw
                .as_ref()
                .map(|raw| seal_totp(state, &key, (&unit_id, id), raw))
        })
        .collect();
    let mut names = Vec::with_capacity(n);
    let mut login_names = Vec::with_capacity(n);
    let mut login_urls = Vec::with_capacity(n);
    let mut phones = Vec::with_capacity(n);
    let mut emails = Vec::with_capacity(n);
    let mut notes = Vec::with_capacity(n);
    for v in valid {
        names.push(Some(v.name));
        login_names.push(Some(v.login_name));
        login_urls.push(v.login_url);
        phones.push(v.bound_phone);
        emails.push(v.bound_email);
        notes.push(v.notes);
    }
    let accounts = vec![
        ("unit_id", Values::SharedText(Some(unit_id.to_string()))),
        ("id", text(&|i| Some(ids[i].to_string()))),
        ("name", Values::Text(names)),
        (
            "platform",
            text(&|i| Some(items[i].input.platform.as_str().to_string())),
        ),
        ("login_name", Values::Text(login_names)),
        ("login_url", Values::Text(login_urls)),
        (
            "classification",
            text(&|i| Some(items[i].input.classification.as_str().to_string())),
        ),
        (
            "status",
            Values::SharedText(Some(AccountStatus::Active.as_str().into())),
        ),
        ("bound_phone", Values::Text(phones)),
        ("bound_email", Values::Text(emails)),
        (
            "binding_holder_id",
            text(&|i| {
                items[i]
                    .input
                    .binding_holder_id
                    .as_ref()
                    .map(|u| u.to_string())
            }),
        ),
        ("totp_secret", Values::Bytes(totp)),
        ("notes", Values::Text(notes)),
        ("created_by", Values::SharedText(created_by.clone())),
        ("created_at", Values::SharedInt(now)),
        ("updated_at", Values::SharedInt(now)),
        ("last_rotated_at", Values::SharedInt(now)),
    ];
    unique_or(state.db.insert_rows(tx, "accounts", accounts).await, || {
        VaultError::ImportNameTaken
    })?;

    let strengths: Vec<SealedStrength> = items
        .iter()
        .map(|item| SealedStrength::of(item.password, item.score))
        .collect();
    let versions = vec![
        ("unit_id", Values::SharedText(Some(unit_id.to_string()))),
        ("account_id", text(&|i| Some(ids[i].to_string()))),
        ("version", Values::SharedInt(1)),
        (
            "state",
            Values::SharedText(Some(VersionState::Current.as_str().into())),
        ),
        (
            "sealed",
            Values::Bytes(
                items
                    .iter()
                    .zip(&ids)
                    .map(|(item, id)| {
                        Some(seal_version(state, &key, (&unit_id, id), 1, item.password))
                    })
                    .collect(),
            ),
        ),
        (
            "score",
            Values::Int(strengths.iter().map(|s| i64::from(s.score)).collect()),
        ),
        (
            "char_classes",
            Values::Int(strengths.iter().map(|s| s.classes.bits()).collect()),
        ),
        (
            "char_count",
            Values::Int(strengths.iter().map(|s| i64::from(s.length)).collect()),
        ),
        (
            "weak",
            Values::Int(items.iter().map(|item| i64::from(item.weak)).collect()),
        ),
        (
            "fingerprint",
            text(&|i| Some(fingerprints.of(items[i].password))),
        ),
        ("created_by", Values::SharedText(created_by.clone())),
        ("created_at", Values::SharedInt(now)),
        ("confirmed_at", Values::SharedInt(now)),
    ];
    state
        .db
        .insert_rows(tx, "credential_versions", versions)
        .await?;

    // A person importing through the API has seen every password in the file.
    if let Some(user) = ctx.user_id() {
        let (kind, actor, _) = ctx.actor();
        let exposures = vec![
            ("unit_id", Values::SharedText(Some(unit_id.to_string()))),
            ("id", text(&|_| Some(new_id()))),
            ("account_id", text(&|i| Some(ids[i].to_string()))),
            ("version", Values::SharedInt(1)),
            ("user_id", Values::SharedText(Some(user.to_string()))),
            ("actor_kind", Values::SharedText(Some(kind.to_string()))),
            ("actor_id", Values::SharedText(Some(actor.to_string()))),
            ("kind", Values::SharedText(Some("create".into()))),
            ("at", Values::SharedInt(now)),
        ];
        state.db.insert_rows(tx, "exposures", exposures).await?;
    }
    Ok(ids)
}
