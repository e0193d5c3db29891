//! Listing cases: one page of the caller's cases, newest first, with the (computed)
//! state filter expressed in SQL, loaded with a constant number of queries.

use super::case::{Handover, assemble};
use super::case_state::ShownState;
use super::error::HandoverResult;
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission};
use crate::error::InputError;
use crate::http::{Page, Paging, bind_under, under_any};
use crate::ids::UnitId;

/// Every action done (a `rotate` also counts once a rotation was confirmed after the
/// case opened) and both checklist entries confirmed: mirrors `case::progress`.
pub(super) const READY: &str = "(h.materials_at IS NOT NULL AND h.training_at IS NOT NULL AND NOT EXISTS ( \
     SELECT 1 FROM handover_actions x WHERE x.handover_id = h.id AND x.done_at IS NULL \
     AND NOT (x.action = 'rotate' AND EXISTS (SELECT 1 FROM rotations r WHERE r.account_id = x.account_id \
     AND r.state = 'confirmed' AND r.finished_at >= h.created_at))))";

/// The SQL condition for a state filter; `$1` is now. A case matches its state or its
/// progress state (an escalated case is also listed under the step it is stuck at).
fn state_condition(filter: &str) -> Result<String, InputError> {
    const LIVE: &str = "h.state NOT IN ('closed', 'cancelled', 'acknowledged')";
    Ok(match ShownState::parse(filter) {
        Some(ShownState::Closed) => "h.state = 'closed'".into(),
        Some(ShownState::Cancelled) => "h.state = 'cancelled'".into(),
        Some(ShownState::Escalated) => {
            "(h.state NOT IN ('closed', 'cancelled') AND h.deadline_at < $1)".into()
        }
        Some(ShownState::Open) => format!("({LIVE} AND NOT {READY})"),
        Some(ShownState::AwaitingAcknowledgement) => {
            format!("({LIVE} AND {READY} AND h.successor_id IS NOT NULL)")
        }
        Some(ShownState::AwaitingSignOff) => {
            format!("(h.state = 'acknowledged' OR ({LIVE} AND {READY} AND h.successor_id IS NULL))")
        }
        None => {
            return Err(InputError::field(
                "state",
                "state must be open, awaiting_acknowledgement, awaiting_sign_off, closed, cancelled or escalated",
            )
            .zh("状态只能是：办理中、待接收人确认、待审核签字、已办结、已撤销或已超期（open、awaiting_acknowledgement、awaiting_sign_off、closed、cancelled、escalated）。"));
        }
    })
}

/// One page of the cases of a unit's subtree (or of every subtree the caller may read),
/// newest first, optionally filtered by state.
pub async fn list(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: Option<&UnitId>,
    state_filter: Option<&str>,
    paging: &Paging,
) -> HandoverResult<Page<Handover>> {
    let prefixes: Vec<String> = match unit_id {
        Some(u) => {
            let unit =
                crate::tenancy::authorized_unit(state, ctx, u, Permission::HandoverRead).await?;
            vec![unit.path]
        }
        None => authz::require_anywhere(ctx, Permission::HandoverRead)?,
    };
    list_under(state, &prefixes, state_filter, paging).await
}

/// The cases in units where the caller holds `perm` as well as `HandoverRead` (to sign
/// off, to work on) in state `state_filter`, newest first, at most `limit`: what their
/// home page lists as waiting for them.
pub async fn cases_awaiting(
    state: &AppState,
    ctx: &AuthContext,
    perm: Permission,
    state_filter: &str,
    limit: i64,
) -> HandoverResult<Vec<Handover>> {
    let prefixes = authz::scopes_holding_all(ctx, &[Permission::HandoverRead, perm]);
    if prefixes.is_empty() {
        return Ok(Vec::new());
    }
    let paging = Paging { limit, after: None };
    Ok(list_under(state, &prefixes, Some(state_filter), &paging)
        .await?
        .items)
}

/// One page of the cases under `prefixes` (already authorised).
async fn list_under(
    state: &AppState,
    prefixes: &[String],
    state_filter: Option<&str>,
    paging: &Paging,
) -> HandoverResult<Page<Handover>> {
    let filter = state_filter
        .map(state_condition)
        .transpose()?
        .unwrap_or_else(|| "1 = 1".into());
    let scope = under_any("n.path", 5, prefixes.len());
    let sql = format!(
        "SELECT h.* FROM handovers h JOIN units n ON n.id = h.unit_id \
         WHERE {scope} AND {filter} AND ($2 IS NULL OR (h.created_at, h.id) < ($2, $3)) \
         ORDER BY h.created_at DESC, h.id DESC LIMIT $4"
    );
    // `$1` is bound even when the filter does not use it (numbered binds stay aligned).
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(state.now())
        .bind(paging.after_int()?)
        .bind(paging.after_id())
        .bind(paging.fetch());
    let q = bind_under(q, prefixes);
    let rows = q.fetch_all(state.db.pool()).await?;
    let cases = assemble(state, &rows).await?;
    Ok(paging.page(cases, |h| (h.created_at.to_string(), h.id.to_string())))
}

/// The cases that wait for the caller as their named successor (not yet acknowledged,
/// not closed or cancelled), newest first, at most `limit`: what their home page lists.
/// A successor may read their case whatever their roles (`case::read`).
pub async fn successor_cases(
    state: &AppState,
    ctx: &AuthContext,
    limit: i64,
) -> HandoverResult<Vec<Handover>> {
    let Some(me) = ctx.user_id() else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT h.* FROM handovers h WHERE h.successor_id = $1 AND h.state = 'open' \
         ORDER BY h.created_at DESC, h.id DESC LIMIT $2",
    )
    .bind(me)
    .bind(limit)
    .fetch_all(state.db.pool())
    .await?;
    assemble(state, &rows).await
}
