//! Opening the case of a staff change: which of the unit's accounts need what because
//! of the leaver (rotate what they could know, rebind what they hold, reassign what
//! would be left without a custodian), and the case row with its items.

use std::collections::BTreeMap;

use sqlx::Row;

use super::error::HandoverResult;
use super::events::{EventType, NewEvent};
use crate::authz::AuthContext;
use crate::db::{Tx, new_id};
use crate::ids::{AccountId, UnitId, UserId};
use crate::tenancy::Unit;

/// What the case needs for one account.
#[derive(Default)]
pub(super) struct Needs {
    rotate: Vec<String>,
    rebind: bool,
    reassign: bool,
}

/// The accounts of `unit`'s subtree the leaver is custodian of, saw a live version of,
/// or holds the binding of, keyed by account id. Read before anything is revoked.
pub(super) async fn affected_accounts(
    tx: &mut Tx,
    leaver: &UserId,
    unit: &Unit,
    event: EventType,
) -> HandoverResult<BTreeMap<AccountId, Needs>> {
    let like = format!("{}%", unit.path);
    let mut needs: BTreeMap<AccountId, Needs> = BTreeMap::new();
    // Each statement binds the leaver ($1) and the subtree's path prefix ($2).
    let in_subtree = |sql: &'static str| sqlx::query(sql).bind(leaver).bind(&like);
    let custodian_rows = in_subtree(
        "SELECT c.account_id, (SELECT COUNT(*) FROM account_custodians o WHERE o.account_id = c.account_id) AS n \
         FROM account_custodians c JOIN units u ON u.id = c.unit_id JOIN accounts a ON a.id = c.account_id \
         WHERE c.user_id = $1 AND u.path LIKE $2 AND a.status <> 'closed'",
    )
    .fetch_all(&mut **tx)
    .await?;
    for r in &custodian_rows {
        let id: AccountId = r.try_get(0)?;
        let n: i64 = r.try_get(1)?;
        let e = needs.entry(id).or_default();
        if event != EventType::Leave {
            e.rotate.push("custodian".into());
        }
        if n <= 1 {
            e.reassign = true;
        }
    }
    if event != EventType::Leave {
        let seen = in_subtree(
            "SELECT DISTINCT x.account_id, x.version FROM exposures x JOIN units u ON u.id = x.unit_id \
             JOIN credential_versions v ON v.unit_id = x.unit_id AND v.account_id = x.account_id AND v.version = x.version \
             JOIN accounts a ON a.id = x.account_id \
             WHERE x.user_id = $1 AND u.path LIKE $2 AND v.state IN ('current', 'pending') AND a.status <> 'closed' \
             ORDER BY x.account_id, x.version",
        )
        .fetch_all(&mut **tx)
        .await?;
        for r in &seen {
            let id: AccountId = r.try_get(0)?;
            let version: i64 = r.try_get(1)?;
            needs
                .entry(id)
                .or_default()
                .rotate
                .push(format!("saw version {version}"));
        }
        let bound = in_subtree(
            "SELECT a.id FROM accounts a JOIN units u ON u.id = a.unit_id WHERE a.binding_holder_id = $1 AND u.path LIKE $2 AND a.status <> 'closed'",
        )
        .fetch_all(&mut **tx)
        .await?;
        for r in &bound {
            needs.entry(r.try_get(0)?).or_default().rebind = true;
        }
    }
    Ok(needs)
}

/// Inserts the case and one item per affected account with its actions. A successor
/// who may hold custody is made custodian of accounts that would lose their only one
/// (that action is recorded as done). Returns how many such assignments were made.
pub(super) async fn open_case(
    tx: &mut Tx,
    ctx: &AuthContext,
    ev: &NewEvent<'_>,
    needs: &BTreeMap<AccountId, Needs>,
) -> HandoverResult<usize> {
    let now = ev.now;
    sqlx::query(
        "INSERT INTO handovers (unit_id, id, event_id, event_type, leaver_id, successor_id, state, deadline_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8)",
    )
    .bind(&ev.unit.id)
    .bind(&ev.handover_id)
    .bind(&ev.event_id)
    .bind(ev.input.event_type.as_str())
    .bind(&ev.leaver)
    .bind(ev.successor.as_ref().map(|s| s.id.as_str()))
    .bind(ev.deadline)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let custody_heir = ev.successor.as_ref().filter(|s| s.may_hold_custody);
    let mut auto_assigned = 0;
    for (account_id, need) in needs {
        let account_unit: UnitId = sqlx::query("SELECT unit_id FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        let item_id = new_id();
        let mut actions: Vec<(&str, String, Option<String>)> = Vec::new();
        if !need.rotate.is_empty() {
            actions.push(("rotate", need.rotate.join(", "), None));
        }
        if need.rebind {
            actions.push(("rebind", "holds the bound phone or e-mail".into(), None));
        }
        if need.reassign {
            let mut done = None;
            if let Some(heir) = custody_heir {
                sqlx::query(
                    "INSERT INTO account_custodians (unit_id, account_id, user_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (unit_id, account_id, user_id) DO NOTHING",
                )
                .bind(&account_unit)
                .bind(account_id)
                .bind(&heir.id)
                .bind(now)
                .bind(ctx.user_id())
                .execute(&mut **tx)
                .await?;
                done = Some(format!("successor {} made custodian", heir.username));
                auto_assigned += 1;
            }
            actions.push(("reassign", "only custodian".into(), done));
        }
        for (action, reason, done) in actions {
            sqlx::query(
                "INSERT INTO handover_actions (unit_id, handover_id, item_id, account_id, action, reason, done_at, done_by, evidence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&ev.unit.id)
            .bind(&ev.handover_id)
            .bind(&item_id)
            .bind(account_id)
            .bind(action)
            .bind(&reason)
            .bind(done.as_ref().map(|_| now))
            .bind(done.as_ref().map(|_| "credgov"))
            .bind(done.as_deref())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(auto_assigned)
}
