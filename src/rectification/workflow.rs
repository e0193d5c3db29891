//! The steps people take on an item: the unit's admin submits evidence; a supervisor of
//! a unit strictly above accepts it (as fixed, or as a risk until a date while the
//! condition still holds) or returns it with a reason. Each step is one conditional
//! UPDATE on the state it was checked against (a concurrent step makes it lose with
//! 409) and one audit event in the same transaction.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

use super::error::RectificationError;
use super::item::{Loaded, item_for, load};
use super::state::RectificationState;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission};
use crate::calendar::DAY_MS;
use crate::db::Tx;
use crate::error::InputError;
use crate::ids::RectificationId;
use crate::inspection::FindingState;
use crate::text::{Reason, RectificationEvidence};

use RectificationState::{Accepted, Open, Returned, Submitted};

type Result<T> = std::result::Result<T, RectificationError>;

/// The body of `POST /rectifications/{id}/accept`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// A remark kept with the acceptance (4 to 500 characters).
    pub reason: Option<String>,
    /// Required while the finding's condition still holds (a risk acceptance): when the
    /// item reopens, unix ms, in the future and at most `rectification.max_acceptance_days`
    /// ahead. Ignored when the condition has cleared.
    pub accept_risk_until: Option<i64>,
}

fn expect(
    l: &Loaded,
    allowed: &[RectificationState],
    action: &'static str,
    needs: &'static str,
) -> Result<()> {
    if allowed.contains(&l.item.state) && l.item.closed_at.is_none() {
        Ok(())
    } else {
        Err(RectificationError::WrongState {
            state: l.item.state,
            action,
            needs,
        })
    }
}

/// A value a step sets, typed for both engines (a NULL must still say its type).
enum Set {
    Text(Option<String>),
    Int(Option<i64>),
}

/// Sets `sets` (an SQL fragment using `$4`, `$5` … for `values`) on the item when it is
/// still live in one of `from`; 409 when another step won.
async fn transition(
    tx: &mut Tx,
    l: &Loaded,
    from: &[RectificationState],
    to: RectificationState,
    sets: &str,
    values: Vec<Set>,
) -> Result<()> {
    let states: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let sql = format!(
        "UPDATE rectifications SET state = $1, {sets} \
         WHERE unit_id = $2 AND id = $3 AND closed_at IS NULL AND state IN ({})",
        states.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to.as_str())
        .bind(l.item.unit_id.as_str())
        .bind(l.item.id.as_str());
    for v in values {
        q = match v {
            Set::Text(t) => q.bind(t),
            Set::Int(i) => q.bind(i),
        };
    }
    let done = q.execute(&mut **tx).await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(RectificationError::Changed)
    }
}

/// Writes the step's audit event, commits and reads the item again.
async fn finish(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    tx: Tx,
    l: &Loaded,
    action: &'static str,
    details: Value,
) -> Result<super::Rectification> {
    let entry = Entry::by(ctx, &l.item.unit_id, action)
        .target("rectification", &l.item.id)
        .details(details);
    tx.audit_and_commit(state.now(), meta, entry).await?;
    Ok(load(state, &l.item.id).await?.item)
}

/// The unit's admin submits what was done (open or returned → submitted).
pub async fn submit(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &RectificationId,
    evidence: &str,
) -> Result<super::Rectification> {
    let l = item_for(state, ctx, id, Permission::RectificationsSubmit).await?;
    let evidence = RectificationEvidence::parse("evidence", evidence)?;
    expect(&l, &[Open, Returned], "submitting", "open or returned")?;
    let mut tx = state.db.begin_write().await?;
    transition(
        &mut tx,
        &l,
        &[Open, Returned],
        Submitted,
        "evidence = $4, submitted_by = $5, submitted_at = $6",
        vec![
            Set::Text(Some(evidence.as_str().to_string())),
            Set::Text(Some(ctx.actor().2.to_string())),
            Set::Int(Some(state.now())),
        ],
    )
    .await?;
    let details =
        json!({ "from": l.item.state, "evidence_chars": evidence.as_str().chars().count() });
    finish(state, ctx, meta, tx, &l, "rectification.submit", details).await
}

/// A submitted item, if the caller is a supervisor above its unit.
async fn for_review(state: &AppState, ctx: &AuthContext, id: &RectificationId) -> Result<Loaded> {
    let l = load(state, id).await?;
    authz::authorize_review(ctx, &l.unit(), "rectification")?;
    Ok(l)
}

/// A supervisor above the unit accepts a submitted item. While the finding's condition
/// still holds this is a risk acceptance until `accept_risk_until` (required, at most
/// `rectification.max_acceptance_days` ahead); the item stays live and reopens then.
/// Otherwise the item closes as accepted.
pub async fn accept(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &RectificationId,
    input: &AcceptInput,
) -> Result<super::Rectification> {
    let l = for_review(state, ctx, id).await?;
    let reason = Reason::parse_optional("reason", input.reason.as_deref())?.map(String::from);
    expect(&l, &[Submitted], "accepting", "submitted")?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let finding: String = sqlx::query("SELECT state FROM findings WHERE id = $1")
        .bind(&l.item.finding_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let holds = FindingState::parse(&finding) == Some(FindingState::Open);
    let reviewer = ctx.actor().2.to_string();
    let until = if holds {
        Some(risk_until(state, now, input.accept_risk_until)?)
    } else {
        None
    };
    let closed_at = if holds { None } else { Some(now) };
    let closed_how = closed_at.map(|_| Accepted.as_str());
    transition(
        &mut tx,
        &l,
        &[Submitted],
        Accepted,
        "reviewed_by = $4, reviewed_at = $5, review_reason = $6, risk_accepted_until = $7, \
         closed_at = $8, closed_how = $9",
        vec![
            Set::Text(Some(reviewer)),
            Set::Int(Some(now)),
            Set::Text(reason.clone()),
            Set::Int(until),
            Set::Int(closed_at),
            Set::Text(closed_how.map(String::from)),
        ],
    )
    .await?;
    let details = json!({ "reason": reason, "risk_accepted_until": until, "risk": holds });
    finish(state, ctx, meta, tx, &l, "rectification.accept", details).await
}

/// The expiry of a risk acceptance: given, in the future, within the policy's maximum.
fn risk_until(state: &AppState, now: i64, given: Option<i64>) -> Result<i64> {
    let max_days = state.policy.rectification.max_acceptance_days;
    let latest = now + i64::from(max_days) * DAY_MS;
    match given {
        Some(t) if t > now && t <= latest => Ok(t),
        Some(_) => Err(InputError::field(
            "accept_risk_until",
            format!(
                "accept_risk_until must be in the future and at most {max_days} days ahead (unix milliseconds)"
            ),
        )
        .zh(format!(
            "风险接受截止日期须晚于现在，且最多 {max_days} 天之后（以 Unix 毫秒表示）。"
        ))
        .into()),
        None => Err(InputError::field(
            "accept_risk_until",
            format!(
                "the finding's condition still holds, so accepting it accepts a risk: give \
                 accept_risk_until (unix milliseconds, at most {max_days} days ahead), when the item reopens"
            ),
        )
        .zh(format!(
            "问题仍然存在，审核通过即为接受风险：请填写风险接受截止日期（以 Unix 毫秒表示，\
             最多 {max_days} 天之后），到期后整改事项重新打开。"
        ))
        .into()),
    }
}

/// A supervisor above the unit returns a submitted item with a reason (→ returned; the
/// unit submits again, the deadline stands).
pub async fn return_item(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &RectificationId,
    reason: &str,
) -> Result<super::Rectification> {
    let l = for_review(state, ctx, id).await?;
    let reason = Reason::parse("reason", reason)?.into_string();
    expect(&l, &[Submitted], "returning", "submitted")?;
    let mut tx = state.db.begin_write().await?;
    transition(
        &mut tx,
        &l,
        &[Submitted],
        Returned,
        "reviewed_by = $4, reviewed_at = $5, review_reason = $6",
        vec![
            Set::Text(Some(ctx.actor().2.to_string())),
            Set::Int(Some(state.now())),
            Set::Text(Some(reason.clone())),
        ],
    )
    .await?;
    let item = &l.item;
    let rule = item.rule.as_str();
    super::notices::returned(
        &mut tx,
        state.now(),
        &item.unit_id,
        item.id.as_str(),
        rule,
        &reason,
    )
    .await?;
    let returned = finish(
        state,
        ctx,
        meta,
        tx,
        &l,
        "rectification.return",
        json!({ "reason": reason }),
    )
    .await?;
    crate::notify::wake();
    Ok(returned)
}
