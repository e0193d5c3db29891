//! Working a case: completing manual actions with evidence, the checklist, the
//! successor's TOTP-confirmed acknowledgement, sign-off and cancellation. Every
//! transition is audited; closed and cancelled cases are immutable.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, SqlSafeStr};

use super::case::{Handover, case_for, is_successor, load};
use super::case_state::{CaseState, ShownState};
use super::error::{HandoverError, HandoverResult};
use crate::app::AppState;
use crate::audit::{Entry, Outcome, RequestMeta};
use crate::authz::AuthzError;
use crate::authz::{AuthContext, Permission};
use crate::clock::Millis;
use crate::db::Tx;
use crate::error::{DomainError, InputError};
use crate::ids::{CaseId, UserId};
use crate::text::{Evidence, Note, Reason};

/// The optional note of a checklist entry or an acknowledgement, checked as a [`Note`].
fn parse_note(note: Option<&str>) -> Result<Option<String>, InputError> {
    note.map(|n| Note::parse("note", n).map(Note::into_string))
        .transpose()
}

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

/// One transition of a case, from its claim to its audited commit: the write
/// transaction holding the claim, who moves the case, and the instant it happens.
struct Transition<'a> {
    tx: Tx,
    now: Millis,
    state: &'a AppState,
    ctx: &'a AuthContext,
    meta: &'a RequestMeta,
    h: &'a Handover,
}

impl<'a> Transition<'a> {
    /// Begins the write transaction and claims the case: a conditional `UPDATE` of the
    /// case row that only matches while the case is still in the `expect`ed state. On
    /// PostgreSQL it also locks the row, so concurrent transitions of one case run one
    /// after the other and the loser re-evaluates the condition against the winner's
    /// result; on SQLite the write transaction already serialises them. A lost race
    /// answers 409 and writes nothing (no second event, no second audit entry).
    async fn claim(
        state: &'a AppState,
        ctx: &'a AuthContext,
        meta: &'a RequestMeta,
        h: &'a Handover,
        expect: Expect,
    ) -> HandoverResult<Self> {
        let mut t = Transition {
            tx: state.db.begin_write().await?,
            now: state.now(),
            state,
            ctx,
            meta,
            h,
        };
        let claim = match expect {
            Expect::NotFinal => t.on_case(
                "UPDATE handovers SET updated_at = $3 WHERE unit_id = $1 AND id = $2 AND state IN ('open', 'acknowledged')",
            ),
            Expect::Exactly(stored) => t
                .on_case("UPDATE handovers SET updated_at = $3 WHERE unit_id = $1 AND id = $2 AND state = $4")
                .bind(stored.as_str()),
        };
        let done = claim.execute(&mut *t.tx).await?;
        if done.rows_affected() == 1 {
            return Ok(t);
        }
        let current: Option<String> =
            sqlx::query("SELECT state FROM handovers WHERE unit_id = $1 AND id = $2")
                .bind(&h.unit_id)
                .bind(&h.id)
                .fetch_optional(&mut *t.tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        Err(match current.as_deref().and_then(CaseState::parse) {
            Some(s) if s.is_final() => HandoverError::CaseClosed { state: s },
            _ => HandoverError::CaseChanged,
        })
    }

    /// A statement about this case: binds the case's unit as `$1`, its id as `$2` and
    /// the transition's instant as `$3`; the caller binds the rest from `$4`.
    fn on_case(&self, sql: impl SqlSafeStr) -> Query<'a, Any, AnyArguments> {
        let h = self.h;
        sqlx::query(sql).bind(&h.unit_id).bind(&h.id).bind(self.now)
    }

    /// Ends the transition with its conditional `update` (see [`Transition::on_case`]):
    /// when it changes no row, answers `lost` (a concurrent transition got there first);
    /// else writes the audit event, commits, and returns the case as it now is.
    async fn finish(
        mut self,
        update: Query<'a, Any, AnyArguments>,
        lost: HandoverError,
        action: &'static str,
        details: serde_json::Value,
    ) -> HandoverResult<Handover> {
        if update.execute(&mut *self.tx).await?.rows_affected() != 1 {
            return Err(lost);
        }
        let h = self.h;
        // The last action or checklist entry may have left only the acknowledgement.
        super::notices::awaiting_ack_of(&mut self.tx, self.now, &h.id).await?;
        self.tx
            .audit_and_commit(
                self.now,
                self.meta,
                Entry::by(self.ctx, &h.unit_id, action)
                    .target("handover", &h.id)
                    .details(details),
            )
            .await?;
        crate::notify::wake();
        reload(self.state, &h.id).await
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
    let t = Transition::claim(state, ctx, meta, &h, Expect::NotFinal).await?;
    let update = t
        .on_case("UPDATE handover_actions SET done_at = $3, done_by = $4, evidence = $5 WHERE unit_id = $1 AND handover_id = $2 AND item_id = $6 AND action = $7 AND done_at IS NULL")
        .bind(ctx.actor().2)
        .bind(&evidence)
        .bind(item_id)
        .bind(action);
    t.finish(update, HandoverError::ActionDone, "handover.action_complete", json!({ "item_id": item_id, "account": item.account_name, "action": action, "evidence": evidence })).await
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
    let note = parse_note(note)?;
    let t = Transition::claim(state, ctx, meta, &h, Expect::NotFinal).await?;
    // Column names come from the fixed match above.
    let sql = format!(
        "UPDATE handovers SET {at} = $3, {by} = $4, {note_col} = $5 WHERE unit_id = $1 AND id = $2 AND {at} IS NULL"
    );
    let update = t
        .on_case(sqlx::AssertSqlSafe(sql))
        .bind(ctx.actor().2)
        .bind(note.as_deref());
    t.finish(
        update,
        HandoverError::ChecklistDone,
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
        let tx = state.db.begin_write().await?;
        tx.audit_and_commit(
            state.now(),
            meta,
            Entry::by(ctx, &h.unit_id, "handover.acknowledge")
                .target("handover", &h.id)
                .outcome(Outcome::Denied)
                .details(json!({ "reason": e.code() })),
        )
        .await?;
        return Err(e.into());
    }
    let note = parse_note(note)?;
    let received: Vec<&str> = h.items.iter().map(|i| i.account_name.as_str()).collect();
    let t = Transition::claim(state, ctx, meta, &h, Expect::Exactly(CaseState::Open)).await?;
    let update = t
        .on_case("UPDATE handovers SET state = 'acknowledged', acknowledged_at = $3, acknowledgement_note = $4 WHERE unit_id = $1 AND id = $2 AND state = 'open'")
        .bind(note.as_deref());
    t.finish(
        update,
        HandoverError::CaseChanged,
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
    // Against the state the checks above were made on: a concurrent cancel or
    // sign-off makes this one lose with 409.
    let mut t = Transition::claim(state, ctx, meta, &h, Expect::Exactly(h.stored_state)).await?;
    // Persist the derived completion of rotate actions so the closed case keeps them.
    for item in &h.items {
        for a in item.actions.iter().filter(|a| a.action == "rotate") {
            sqlx::query("UPDATE handover_actions SET done_at = $1, done_by = $2, evidence = $3 WHERE unit_id = $4 AND item_id = $5 AND action = 'rotate' AND done_at IS NULL")
                .bind(a.done_at)
                .bind(a.done_by.as_deref())
                .bind(a.evidence.as_deref())
                .bind(&h.unit_id)
                .bind(&item.id)
                .execute(&mut *t.tx)
                .await?;
        }
    }
    let update = t
        .on_case("UPDATE handovers SET state = 'closed', signed_off_at = $3, signed_off_by = $4 WHERE unit_id = $1 AND id = $2 AND state IN ('open', 'acknowledged')")
        .bind(ctx.actor().2);
    let late = t.now > h.deadline_at;
    t.finish(
        update,
        HandoverError::CaseChanged,
        "handover.sign_off",
        json!({ "items": h.items.len(), "late": late }),
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
    let t = Transition::claim(state, ctx, meta, &h, Expect::NotFinal).await?;
    let update = t
        .on_case("UPDATE handovers SET state = 'cancelled', cancelled_at = $3, cancelled_by = $4, cancel_reason = $5 WHERE unit_id = $1 AND id = $2 AND state IN ('open', 'acknowledged')")
        .bind(ctx.actor().2)
        .bind(&reason);
    t.finish(
        update,
        HandoverError::CaseChanged,
        "handover.cancel",
        json!({ "reason": reason }),
    )
    .await
}
