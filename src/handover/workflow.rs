//! Working a case: completing manual actions with evidence, the checklist, the
//! successor's TOTP-confirmed acknowledgement, sign-off and cancellation. Every
//! transition is audited; closed and cancelled cases are immutable.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyQueryResult;

use super::case::{Handover, case_for, is_successor, load};
use super::case_state::{CaseState, ShownState};
use super::error::{HandoverError, HandoverResult};
use crate::app::AppState;
use crate::audit::{Entry, Outcome, RequestMeta};
use crate::authz::AuthzError;
use crate::authz::{AuthContext, Permission};
use crate::db::Tx;
use crate::error::DomainError;
use crate::ids::{CaseId, UserId};
use crate::text::{Evidence, Note, Reason};

fn closed(h: &Handover) -> HandoverResult<()> {
    if h.is_final() {
        return Err(HandoverError::CaseClosed {
            state: h.stored_state,
        });
    }
    Ok(())
}

/// The stored state a transition requires.
#[derive(Clone, Copy)]
enum Expect {
    /// Open or acknowledged: anything not closed or cancelled.
    NotFinal,
    /// Exactly this stored state (what the caller's checks were made against).
    Exactly(CaseState),
}

/// Claims the case for one transition: a conditional `UPDATE` of the case row that
/// only matches while the case is still in the expected state. On PostgreSQL it also
/// locks the row, so concurrent transitions of one case run one after the other and
/// the loser re-evaluates the condition against the winner's result; on SQLite the
/// write transaction already serialises them. A lost race answers 409 and writes
/// nothing (no second event, no second audit entry).
async fn claim(tx: &mut Tx, state: &AppState, h: &Handover, expect: Expect) -> HandoverResult<()> {
    let done = match expect {
        Expect::NotFinal => sqlx::query(
            "UPDATE handovers SET updated_at = $1 WHERE unit_id = $2 AND id = $3 AND state IN ('open', 'acknowledged')",
        )
        .bind(state.now())
        .bind(&h.unit_id)
        .bind(&h.id)
        .execute(&mut **tx)
        .await?,
        Expect::Exactly(stored) => sqlx::query(
            "UPDATE handovers SET updated_at = $1 WHERE unit_id = $2 AND id = $3 AND state = $4",
        )
        .bind(state.now())
        .bind(&h.unit_id)
        .bind(&h.id)
        .bind(stored.as_str())
        .execute(&mut **tx)
        .await?,
    };
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let now: Option<String> =
        sqlx::query("SELECT state FROM handovers WHERE unit_id = $1 AND id = $2")
            .bind(&h.unit_id)
            .bind(&h.id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    Err(match now.as_deref().and_then(CaseState::parse) {
        Some(s) if s.is_final() => HandoverError::CaseClosed { state: s },
        _ => HandoverError::CaseChanged,
    })
}

/// Ends a transition: writes its audit event, commits, and returns the case as it now is.
async fn finish(
    mut tx: Tx,
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    h: &Handover,
    action: &'static str,
    details: serde_json::Value,
) -> HandoverResult<Handover> {
    tx.audit(
        state.now(),
        meta,
        Entry::by(ctx, &h.unit_id, action)
            .target("handover", &h.id)
            .details(details),
    )
    .await?;
    tx.commit().await?;
    reload(state, &h.id).await
}

/// The conditional update of a transition changed its one row, or `lost` (a concurrent
/// transition got there first).
fn one_row(done: &AnyQueryResult, lost: HandoverError) -> HandoverResult<()> {
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(lost)
    }
}

async fn reload(state: &AppState, id: &CaseId) -> HandoverResult<Handover> {
    load(state, id).await?.ok_or(HandoverError::CaseNotFound)
}

/// Completes a manual action (`rebind`, `reassign`; `rotate` completes itself when a
/// rotation is confirmed) after checking that the account really changed.
pub async fn complete_action(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &CaseId,
    item_id: &str,
    action: &str,
    evidence: &str,
) -> HandoverResult<Handover> {
    let h = case_for(state, ctx, id, Permission::HandoverManage).await?;
    closed(&h)?;
    let evidence = Evidence::parse("evidence", evidence)?.into_string();
    let item = h
        .items
        .iter()
        .find(|i| i.id == item_id)
        .ok_or(HandoverError::ItemNotFound)?;
    let entry = item
        .actions
        .iter()
        .find(|a| a.action == action)
        .ok_or_else(|| HandoverError::NoSuchAction {
            action: action.to_string(),
            available: item
                .actions
                .iter()
                .map(|a| a.action.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if entry.done {
        return Err(HandoverError::ActionDone);
    }
    let pool = state.db.pool();
    match action {
        "rotate" => {
            return Err(HandoverError::RotateRequired);
        }
        "rebind" => {
            let holder: Option<String> =
                sqlx::query("SELECT binding_holder_id FROM accounts WHERE id = $1")
                    .bind(&item.account_id)
                    .fetch_one(pool)
                    .await?
                    .try_get(0)?;
            if holder.as_deref() == Some(h.leaver.id.as_str()) {
                return Err(HandoverError::BindingUnchanged);
            }
        }
        "reassign" => {
            let others: i64 = sqlx::query(
                "SELECT COUNT(*) FROM account_custodians WHERE account_id = $1 AND user_id <> $2",
            )
            .bind(&item.account_id)
            .bind(&h.leaver.id)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
            if others == 0 {
                return Err(HandoverError::NoCustodian);
            }
        }
        _ => {}
    }
    let mut tx = state.db.begin_write().await?;
    claim(&mut tx, state, &h, Expect::NotFinal).await?;
    let done = sqlx::query(
        "UPDATE handover_actions SET done_at = $1, done_by = $2, evidence = $3 WHERE unit_id = $4 AND item_id = $5 AND action = $6 AND done_at IS NULL",
    )
    .bind(state.now())
    .bind(ctx.actor().2)
    .bind(&evidence)
    .bind(&h.unit_id)
    .bind(item_id)
    .bind(action)
    .execute(&mut *tx)
    .await?;
    one_row(&done, HandoverError::ActionDone)?;
    finish(tx, state, ctx, meta, &h, "handover.action_complete", json!({ "item_id": item_id, "account": item.account_name, "action": action, "evidence": evidence })).await
}

/// Confirms the materials hand-over (资料交接) or the training (业务培训).
pub async fn confirm_checklist(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &CaseId,
    entry: &str,
    note: Option<&str>,
) -> HandoverResult<Handover> {
    let h = case_for(state, ctx, id, Permission::HandoverRead).await?;
    // Unit admins, or the successor who received them.
    if !is_successor(ctx, &h) {
        case_for(state, ctx, id, Permission::HandoverManage).await?;
    }
    closed(&h)?;
    let (by, at, note_col, done) = match entry {
        "materials" => (
            "materials_by",
            "materials_at",
            "materials_note",
            h.materials.done,
        ),
        "training" => (
            "training_by",
            "training_at",
            "training_note",
            h.training.done,
        ),
        _ => return Err(HandoverError::UnknownChecklistEntry),
    };
    if done {
        return Err(HandoverError::ChecklistDone);
    }
    let note = note
        .map(|n| Note::parse("note", n).map(Note::into_string))
        .transpose()?;
    let mut tx = state.db.begin_write().await?;
    claim(&mut tx, state, &h, Expect::NotFinal).await?;
    // Column names come from the fixed match above.
    let sql = format!(
        "UPDATE handovers SET {by} = $1, {at} = $2, {note_col} = $3 WHERE unit_id = $4 AND id = $5 AND {at} IS NULL"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ctx.actor().2)
        .bind(state.now())
        .bind(note.as_deref())
        .bind(&h.unit_id)
        .bind(&h.id)
        .execute(&mut *tx)
        .await?;
    one_row(&done, HandoverError::ChecklistDone)?;
    finish(
        tx,
        state,
        ctx,
        meta,
        &h,
        "handover.checklist",
        json!({ "entry": entry, "note": note }),
    )
    .await
}

/// The successor acknowledges what they received, confirming with a fresh TOTP code.
pub async fn acknowledge(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &CaseId,
    totp_code: &str,
    note: Option<&str>,
) -> HandoverResult<Handover> {
    let h = case_for(state, ctx, id, Permission::HandoverRead).await?;
    closed(&h)?;
    if !is_successor(ctx, &h) {
        return Err(HandoverError::NotSuccessor);
    }
    if h.progress_state != ShownState::AwaitingAcknowledgement.as_str() {
        return Err(HandoverError::NotReadyToAcknowledge);
    }
    let user_id = ctx.user_id().ok_or(AuthzError::Forbidden)?;
    if let Err(e) =
        crate::identity::verify_step_up(state, meta, &UserId::new(user_id), totp_code).await
    {
        let mut tx = state.db.begin_write().await?;
        tx.audit(
            state.now(),
            meta,
            Entry::by(ctx, &h.unit_id, "handover.acknowledge")
                .target("handover", &h.id)
                .outcome(Outcome::Denied)
                .details(json!({ "reason": e.code() })),
        )
        .await?;
        tx.commit().await?;
        return Err(e.into());
    }
    let note = note
        .map(|n| Note::parse("note", n).map(Note::into_string))
        .transpose()?;
    let received: Vec<&str> = h.items.iter().map(|i| i.account_name.as_str()).collect();
    let mut tx = state.db.begin_write().await?;
    claim(&mut tx, state, &h, Expect::Exactly(CaseState::Open)).await?;
    let done = sqlx::query("UPDATE handovers SET state = 'acknowledged', acknowledged_at = $1, acknowledgement_note = $2 WHERE unit_id = $3 AND id = $4 AND state = 'open'")
        .bind(state.now())
        .bind(note.as_deref())
        .bind(&h.unit_id)
        .bind(&h.id)
        .execute(&mut *tx)
        .await?;
    one_row(&done, HandoverError::CaseChanged)?;
    finish(
        tx,
        state,
        ctx,
        meta,
        &h,
        "handover.acknowledge",
        json!({ "received_accounts": received, "note": note }),
    )
    .await
}

/// A unit admin or supervisor closes a case whose work is complete.
pub async fn sign_off(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &CaseId,
) -> HandoverResult<Handover> {
    let h = case_for(state, ctx, id, Permission::HandoverSignOff).await?;
    closed(&h)?;
    if !(h.all_actions_done() && h.checklist_done()) {
        return Err(HandoverError::ItemsOpen);
    }
    if h.progress_state != ShownState::AwaitingSignOff.as_str() {
        return Err(HandoverError::NotAcknowledged);
    }
    if is_successor(ctx, &h) || ctx.user_id() == Some(h.leaver.id.as_str()) {
        return Err(HandoverError::OwnCase);
    }
    let mut tx = state.db.begin_write().await?;
    // Against the state the checks above were made on: a concurrent cancel or
    // sign-off makes this one lose with 409.
    claim(&mut tx, state, &h, Expect::Exactly(h.stored_state)).await?;
    // Persist the derived completion of rotate actions so the closed case keeps them.
    for item in &h.items {
        for a in item.actions.iter().filter(|a| a.action == "rotate") {
            sqlx::query("UPDATE handover_actions SET done_at = $1, done_by = $2, evidence = $3 WHERE unit_id = $4 AND item_id = $5 AND action = 'rotate' AND done_at IS NULL")
                .bind(a.done_at)
                .bind(a.done_by.as_deref())
                .bind(a.evidence.as_deref())
                .bind(&h.unit_id)
                .bind(&item.id)
                .execute(&mut *tx)
                .await?;
        }
    }
    let done = sqlx::query("UPDATE handovers SET state = 'closed', signed_off_by = $1, signed_off_at = $2 WHERE unit_id = $3 AND id = $4 AND state IN ('open', 'acknowledged')")
        .bind(ctx.actor().2)
        .bind(state.now())
        .bind(&h.unit_id)
        .bind(&h.id)
        .execute(&mut *tx)
        .await?;
    one_row(&done, HandoverError::CaseChanged)?;
    finish(
        tx,
        state,
        ctx,
        meta,
        &h,
        "handover.sign_off",
        json!({ "items": h.items.len(), "late": state.now() > h.deadline_at }),
    )
    .await
}

/// A unit admin cancels a case that is not final, giving a reason.
pub async fn cancel(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &CaseId,
    reason: &str,
) -> HandoverResult<Handover> {
    let h = case_for(state, ctx, id, Permission::HandoverManage).await?;
    closed(&h)?;
    let reason = Reason::parse("reason", reason)?.into_string();
    let mut tx = state.db.begin_write().await?;
    claim(&mut tx, state, &h, Expect::NotFinal).await?;
    let done = sqlx::query("UPDATE handovers SET state = 'cancelled', cancelled_by = $1, cancelled_at = $2, cancel_reason = $3 WHERE unit_id = $4 AND id = $5 AND state IN ('open', 'acknowledged')")
        .bind(ctx.actor().2)
        .bind(state.now())
        .bind(&reason)
        .bind(&h.unit_id)
        .bind(&h.id)
        .execute(&mut *tx)
        .await?;
    one_row(&done, HandoverError::CaseChanged)?;
    finish(
        tx,
        state,
        ctx,
        meta,
        &h,
        "handover.cancel",
        json!({ "reason": reason }),
    )
    .await
}
