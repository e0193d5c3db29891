//! `POST /policy/check`: how a candidate password fares against a unit's policy and,
//! for an account, its history. Whether a candidate equals a stored password is told
//! only to people who may reveal it anyway, so the check is no guessing oracle; every
//! caller is throttled (counted in the database), and a check that names an account is
//! audited (`policy.check`) without the candidate or anything derived from it.

use serde_json::json;
use zeroize::Zeroizing;

use super::accounts::account_for;
use super::throttle;
use super::validate::{CheckTarget, PasswordCheck, check_password};
use crate::app::AppState;
use crate::audit::{Entry, Outcome, RequestMeta};
use crate::authz::{self, AuthContext, Permission};
use crate::clock::MINUTE_MS;
use crate::error::{AppError, AppResult};
use crate::policy::effective_policy;

/// Where the candidate would go.
pub enum CheckFor {
    Account(String),
    Unit(String),
}

async fn audit_check(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &str,
    account: (&str, &str),
    outcome: Outcome,
    refused: Option<&str>,
) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    tx.audit(
        now,
        meta,
        Entry::by(ctx, unit_id, "policy.check")
            .target("account", account.0)
            .outcome(outcome)
            .details(json!({ "account": account.1, "refused": refused })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn throttle_bucket(ctx: &AuthContext) -> String {
    let (kind, id, _) = ctx.actor();
    format!("policy_check:{kind}:{id}")
}

async fn throttle(state: &AppState, ctx: &AuthContext) -> AppResult<()> {
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
) -> AppResult<PasswordCheck> {
    match target {
        CheckFor::Unit(unit_id) => {
            let unit = crate::tenancy::authorized_unit(
                state,
                ctx,
                &crate::ids::UnitId::from(unit_id.as_str()),
                Permission::AccountsRead,
            )
            .await?;
            throttle(state, ctx).await?;
            let policy = effective_policy(state, &unit).await?.policy;
            let target = CheckTarget {
                unit_id: unit.id.as_str(),
                account_id: None,
                context: vec![unit.name.as_str()],
                reuse: authz::may_check_unit_reuse(ctx, &unit.as_ref()),
            };
            check_password(state, &policy.account_password, &target, &password).await
        }
        CheckFor::Account(account_id) => {
            let (account, unit) =
                account_for(state, ctx, &account_id, Permission::AccountsRead).await?;
            let custodians: Vec<String> = account
                .custodians
                .iter()
                .map(|c| c.user_id.clone())
                .collect();
            let named = (account.id.as_str(), account.name.as_str());
            if let Err(e) = authz::authorize_reuse_check(ctx, &unit.as_ref(), &custodians) {
                let e = AppError::from(e);
                let refused = Some(e.code());
                audit_check(
                    state,
                    ctx,
                    meta,
                    unit.id.as_str(),
                    named,
                    Outcome::Denied,
                    refused,
                )
                .await?;
                return Err(reuse_refused(e));
            }
            if let Err(e) = throttle(state, ctx).await {
                let refused = Some(e.code());
                audit_check(
                    state,
                    ctx,
                    meta,
                    unit.id.as_str(),
                    named,
                    Outcome::Denied,
                    refused,
                )
                .await?;
                return Err(e);
            }
            let policy = effective_policy(state, &unit).await?.policy;
            let target = CheckTarget {
                unit_id: unit.id.as_str(),
                account_id: Some(&account.id),
                context: vec![
                    unit.name.as_str(),
                    account.name.as_str(),
                    account.platform.as_str(),
                    account.login_name.as_str(),
                ],
                reuse: true,
            };
            let check = check_password(state, &policy.account_password, &target, &password).await?;
            audit_check(
                state,
                ctx,
                meta,
                unit.id.as_str(),
                named,
                Outcome::Success,
                None,
            )
            .await?;
            Ok(check)
        }
    }
}

/// A 403 that says what to do instead.
fn reuse_refused(e: AppError) -> AppError {
    if e.status() != 403 || e.code() == "person_required" {
        return e;
    }
    AppError::client(
        axum::http::StatusCode::FORBIDDEN,
        "forbidden",
        "checking against an account's password history is only for people who may reveal \
         that account (its custodians and the unit's administrators); check against the \
         unit's policy with unit_id instead",
    )
}
