//! `POST /policy/check`: how a candidate password fares against a unit's policy and,
//! for an account, its history. Whether a candidate equals a stored password is told
//! only to people who may reveal it anyway, so the check is no guessing oracle; every
//! caller is throttled (counted in the database), and a check that names an account is
//! audited (`policy.check`) without the candidate or anything derived from it.

use serde_json::json;
use zeroize::Zeroizing;

use super::error::{VaultError, VaultResult};
use super::load::account_for;
use super::model::{Account, unit_id_of};
use super::throttle;
use super::validate::{CheckTarget, PasswordCheck, check_password};
use crate::app::AppState;
use crate::audit::{Entry, Outcome, RequestMeta};
use crate::authz::{self, AuthContext, AuthzError, Permission};
use crate::clock::MINUTE_MS;
use crate::error::{DomainError, ErrorKind};
use crate::ids::{AccountId, UnitId};
use crate::policy::effective_policy;

/// Where the candidate would go.
pub enum CheckFor {
    Account(AccountId),
    Unit(UnitId),
}

/// Records a check against `account` (refused with `refused`'s code, or done).
async fn audit_check(
    state: &AppState,
    (ctx, meta): (&AuthContext, &RequestMeta),
    account: &Account,
    refused: Option<&'static str>,
) -> VaultResult<()> {
    let outcome = if refused.is_some() {
        Outcome::Denied
    } else {
        Outcome::Success
    };
    let now = state.now();
    let tx = state.db.begin_write().await?;
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, account.unit_id.as_str(), "policy.check")
            .target("account", account.id.as_str())
            .outcome(outcome)
            .details(json!({ "account": account.name, "refused": refused })),
    )
    .await?;
    Ok(())
}

fn throttle_bucket(ctx: &AuthContext) -> String {
    let (kind, id, _) = ctx.actor();
    format!("policy_check:{kind}:{id}")
}

async fn throttle(state: &AppState, ctx: &AuthContext) -> VaultResult<()> {
    throttle::hit(
        state,
        &throttle_bucket(ctx),
        state.policy.policy_check.max_per_minute,
        MINUTE_MS,
    )
    .await
}

pub async fn policy_check(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    target: CheckFor,
    password: Zeroizing<String>,
) -> VaultResult<PasswordCheck> {
    match target {
        CheckFor::Unit(unit_id) => {
            let unit =
                crate::tenancy::authorized_unit(state, ctx, &unit_id, Permission::AccountsRead)
                    .await?;
            throttle(state, ctx).await?;
            let policy = effective_policy(state, &unit).await?.policy;
            let unit_id = unit_id_of(&unit);
            let target = CheckTarget {
                unit_id: &unit_id,
                account_id: None,
                context: vec![unit.name.as_str()],
                reuse: authz::may_check_unit_reuse(ctx, &unit.as_ref()),
            };
            check_password(state, &policy.account_password, &target, &password).await
        }
        CheckFor::Account(account_id) => {
            let (account, unit) =
                account_for(state, ctx, &account_id, Permission::AccountsRead).await?;
            let who = (ctx, meta);
            let custodians = account.custodian_ids();
            if let Err(e) = authz::authorize_reuse_check(ctx, &unit.as_ref(), &custodians) {
                audit_check(state, who, &account, Some(e.code())).await?;
                return Err(history_refused(e));
            }
            if let Err(e) = throttle(state, ctx).await {
                audit_check(state, who, &account, Some(e.code())).await?;
                return Err(e);
            }
            let policy = effective_policy(state, &unit).await?.policy;
            let target = CheckTarget::account(&unit.name, &account);
            let check = check_password(state, &policy.account_password, &target, &password).await?;
            audit_check(state, who, &account, None).await?;
            Ok(check)
        }
    }
}

/// A refusal that says what to do instead (a 403 other than `person_required`).
fn history_refused(e: AuthzError) -> VaultError {
    if e.kind() != ErrorKind::Forbidden || e.code() == "person_required" {
        return e.into();
    }
    VaultError::HistoryCheckForbidden
}
