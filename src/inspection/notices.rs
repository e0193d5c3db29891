//! What the daily scan tells people (issue 10, "digests, not floods"): per unit, one
//! notice per kind listing its accounts, never one per finding. Queued in the scan's
//! last write transaction (the one that records it saw what still holds), so a
//! scan that fails tells nobody; dedupe keys make a rerun the same day queue nothing.
//!
//! - `rotation_due`: accounts that reached a reminder stage (15/7/1 days by default)
//!   not told before (`notify::marks`), one notice per unit and stage to the unit
//!   admins and the unit's groups, and to each custodian one listing their own accounts.
//! - `rotation_overdue`, `rotation_pending_stale`: every open one, once a day per unit.
//! - overdue handovers and veto findings: see `escalations`.
//! - `calendar_missing`: the sysadmins, once per missing year.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::rules::Rule;
use crate::calendar::Date;
use crate::db::Tx;
use crate::http::placeholders;
use crate::identity::UserStatus;
use crate::ids::{UnitId, UserId};
use crate::notify::marks::{claim, not_taken};
use crate::notify::render::time;
use crate::notify::{Audience, Batch, Notice, NotificationKind};

/// One account line of a digest.
struct Line {
    account_id: String,
    text: String,
    at: i64,
}

/// The digests of one scan, queued together ([`Batch`]: each audience resolved once,
/// the rows written in a few statements), and what they read per unit, read once.
pub(super) struct Digests {
    pub now: i64,
    pub batch: Batch,
    names: HashMap<String, String>,
    keepers: HashMap<String, Keepers>,
}

/// Units per prefetch statement.
const PREFETCH: usize = 500;

/// Those of `units` that `known` has no entry for.
fn not_known<'a, V>(units: &[&'a str], known: &HashMap<String, V>) -> Vec<&'a str> {
    units
        .iter()
        .copied()
        .filter(|u| !known.contains_key(*u))
        .collect()
}

/// A unit's active custodians: user → the accounts they keep.
type Keepers = BTreeMap<String, HashSet<String>>;

impl Digests {
    /// The unit's name.
    pub async fn name(&mut self, tx: &mut Tx, unit: &str) -> Result<String, sqlx::Error> {
        self.prefetch_names(tx, &[unit]).await?;
        self.names
            .get(unit)
            .cloned()
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// Reads the names of `units` not known yet, in a few statements instead of one
    /// per unit.
    pub async fn prefetch_names(&mut self, tx: &mut Tx, units: &[&str]) -> Result<(), sqlx::Error> {
        let missing = not_known(units, &self.names);
        for chunk in missing.chunks(PREFETCH) {
            let sql = format!(
                "SELECT id, name FROM units WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for u in chunk {
                q = q.bind(*u);
            }
            for r in q.fetch_all(&mut **tx).await? {
                self.names.insert(r.try_get(0)?, r.try_get(1)?);
            }
        }
        Ok(())
    }

    /// Reads what the digests of `units` need — names, active custodians, admins — in
    /// a few statements: one digest at a time read them with three per unit, 3,000
    /// round trips a day at 1,000 units.
    async fn prefetch(&mut self, tx: &mut Tx, units: &[&str]) -> Result<(), sqlx::Error> {
        self.prefetch_names(tx, units).await?;
        self.prefetch_keepers(tx, units).await?;
        let admins: Vec<Audience> = units
            .iter()
            .map(|u| Audience::UnitAdmins(UnitId::new((*u).to_string())))
            .collect();
        let admins: Vec<&Audience> = admins.iter().collect();
        self.batch.prefetch(tx, &admins).await
    }

    /// Reads the active custodians of `units` not known yet.
    async fn prefetch_keepers(&mut self, tx: &mut Tx, units: &[&str]) -> Result<(), sqlx::Error> {
        let missing = not_known(units, &self.keepers);
        for chunk in missing.chunks(PREFETCH) {
            let sql = format!(
                "SELECT c.unit_id, c.user_id, c.account_id FROM account_custodians c \
                 JOIN users s ON s.id = c.user_id WHERE s.status = $1 AND c.unit_id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(UserStatus::Active.as_str());
            for u in chunk {
                q = q.bind(*u);
            }
            let rows = q.fetch_all(&mut **tx).await?;
            for u in chunk {
                self.keepers.entry((*u).to_string()).or_default();
            }
            for r in &rows {
                self.keepers
                    .entry(r.try_get(0)?)
                    .or_default()
                    .entry(r.try_get(1)?)
                    .or_default()
                    .insert(r.try_get(2)?);
            }
        }
        Ok(())
    }

    async fn keepers(&mut self, tx: &mut Tx, unit: &str) -> Result<Keepers, sqlx::Error> {
        self.prefetch_keepers(tx, &[unit]).await?;
        Ok(self.keepers.get(unit).cloned().unwrap_or_default())
    }
}

/// Queues the scan's digests at `now`, from the findings open after the scan.
pub(super) async fn queue(tx: &mut Tx, now: i64) -> Result<(), sqlx::Error> {
    let day = Date::in_china(now).to_string();
    let mut d = Digests {
        now,
        batch: Batch::default(),
        names: HashMap::new(),
        keepers: HashMap::new(),
    };
    rotation_due(tx, &mut d, &day).await?;
    for (rule, kind) in [
        (Rule::RotationOverdue, NotificationKind::RotationOverdue),
        (
            Rule::RotationPendingStale,
            NotificationKind::RotationPendingStale,
        ),
    ] {
        let mut by_unit: BTreeMap<String, Vec<Line>> = BTreeMap::new();
        for (unit, target, details) in open_of(tx, rule).await? {
            by_unit
                .entry(unit)
                .or_default()
                .push(line(&target, &details, rule));
        }
        let units: Vec<&str> = by_unit.keys().map(String::as_str).collect();
        d.prefetch(tx, &units).await?;
        for (unit, lines) in by_unit {
            let key = format!("{}|{unit}|{day}", kind.as_str());
            account_digest(tx, &mut d, kind, &unit, lines, json!({}), key).await?;
        }
    }
    super::escalations::handover_overdue(tx, &mut d, &day).await?;
    super::escalations::veto(tx, &mut d).await?;
    d.batch.enqueue(tx).await?;
    calendar_missing(tx, now).await?;
    Ok(())
}

/// Accounts that reached a reminder stage not told before (per account, due date and
/// stage: a mark), one notice per unit and stage. Only the findings whose mark is not
/// taken yet are read and claimed: an account stays in a stage for days, and claiming
/// its mark again every day was much of the scan's notices.
async fn rotation_due(tx: &mut Tx, d: &mut Digests, day: &str) -> Result<(), sqlx::Error> {
    let mark = format!(
        "'rotation_due|' || f.target_id || '|' || COALESCE({}, '0') || '|' || COALESCE({}, '0')",
        tx.json_field("f.details", "due_at"),
        tx.json_field("f.details", "stage_days")
    );
    let sql = format!(
        "SELECT f.unit_id, f.target_id, f.details, {mark} AS mark FROM findings f \
         WHERE f.state = 'open' AND f.rule = $1 \
         AND {} ORDER BY f.unit_id, f.target_id",
        not_taken(&mark)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(Rule::RotationDue.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let mut facts: BTreeMap<String, (String, u64, Line)> = BTreeMap::new();
    for r in &rows {
        let (target, details): (String, String) = (r.try_get(1)?, r.try_get(2)?);
        let details: Value = serde_json::from_str(&details).unwrap_or(Value::Null);
        let stage = details
            .get("stage_days")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        facts.insert(
            r.try_get(3)?,
            (
                r.try_get(0)?,
                stage,
                line(&target, &details, Rule::RotationDue),
            ),
        );
    }
    let marks: Vec<String> = facts.keys().cloned().collect();
    let mut by_stage: BTreeMap<(String, u64), Vec<Line>> = BTreeMap::new();
    for mark in claim(tx, &marks, d.now).await? {
        if let Some((unit, stage, line)) = facts.remove(&mark) {
            by_stage.entry((unit, stage)).or_default().push(line);
        }
    }
    let units: Vec<&str> = by_stage.keys().map(|(u, _)| u.as_str()).collect();
    d.prefetch(tx, &units).await?;
    for ((unit, stage), lines) in by_stage {
        let ids: Vec<&str> = lines.iter().map(|l| l.account_id.as_str()).collect();
        let key = format!("rotation_due|{unit}|{day}|{stage}|{}", digest(&ids));
        let extra = json!({ "stage_days": stage });
        account_digest(
            tx,
            d,
            NotificationKind::RotationDue,
            &unit,
            lines,
            extra,
            key,
        )
        .await?;
    }
    Ok(())
}

/// One line: the account's name and the date that matters for `rule`.
fn line(target: &str, details: &Value, rule: Rule) -> Line {
    let at_key = if rule == Rule::RotationPendingStale {
        "started_at"
    } else {
        "due_at"
    };
    let at = details.get(at_key).and_then(Value::as_i64).unwrap_or(0);
    let account = details
        .get("account")
        .and_then(Value::as_str)
        .unwrap_or("—");
    Line {
        account_id: target.to_string(),
        text: format!("{account} · {}", time(at)),
        at,
    }
}

/// The digest of `lines` (accounts of `unit`) to the unit admins and the unit's groups,
/// and to each custodian (who is not one of those admins) the digest of the accounts
/// they keep; `extra` adds to the data, `key` keeps each queued once.
async fn account_digest(
    tx: &mut Tx,
    d: &mut Digests,
    kind: NotificationKind,
    unit: &str,
    mut lines: Vec<Line>,
    extra: Value,
    key: String,
) -> Result<(), sqlx::Error> {
    lines.sort_by(|a, b| (a.at, &a.text).cmp(&(b.at, &b.text)));
    let unit_id = UnitId::new(unit.to_string());
    let name = d.name(tx, unit).await?;
    let all: Vec<&Line> = lines.iter().collect();
    let keepers = d.keepers(tx, unit).await?;
    let mut notice = Notice::new(kind, unit_id.clone(), d.now)
        .to(Audience::UnitAdmins(unit_id.clone()))
        .to(Audience::UnitGroups(unit_id.clone()))
        .data(digest_data(&name, &all, &extra))
        .dedupe(key.clone());
    // The group message mentions the custodians of the listed accounts (and the unit's
    // own admins), not admins of the units above.
    for (user, accounts) in &keepers {
        if lines.iter().any(|l| accounts.contains(&l.account_id)) {
            notice = notice.mention(Audience::User(UserId::new(user.clone())));
        }
    }
    d.batch.push(notice);
    let admins: HashSet<String> = d
        .batch
        .resolve(tx, &[Audience::UnitAdmins(unit_id.clone())])
        .await?
        .people
        .into_iter()
        .map(|p| p.id.to_string())
        .collect();
    for (user, accounts) in keepers {
        if admins.contains(&user) {
            continue;
        }
        let own: Vec<&Line> = lines
            .iter()
            .filter(|l| accounts.contains(&l.account_id))
            .collect();
        if own.is_empty() {
            continue;
        }
        let notice = Notice::new(kind, unit_id.clone(), d.now)
            .to(Audience::User(UserId::new(user.clone())))
            .data(digest_data(&name, &own, &extra))
            .dedupe(format!("{key}|{user}"));
        d.batch.push(notice);
    }
    Ok(())
}

/// The data of a digest of `lines`: names, the count, the earliest date, ids, lines.
fn digest_data(unit: &str, lines: &[&Line], extra: &Value) -> Value {
    let earliest = lines.iter().map(|l| l.at).min();
    let mut data = json!({
        "unit": unit,
        "count": lines.len(),
        "due_at": earliest,
        "started_at": earliest,
        "account_ids": lines.iter().map(|l| &l.account_id).collect::<Vec<_>>(),
        "items": lines.iter().map(|l| &l.text).collect::<Vec<_>>(),
    });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    data
}

/// Open findings of `rule`: (unit, target, details).
async fn open_of(
    conn: &mut AnyConnection,
    rule: Rule,
) -> Result<Vec<(String, String, Value)>, sqlx::Error> {
    sqlx::query(
        "SELECT unit_id, target_id, details FROM findings WHERE state = 'open' AND rule = $1 \
         ORDER BY unit_id, target_id",
    )
    .bind(rule.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        let details: String = r.try_get(2)?;
        Ok((
            r.try_get(0)?,
            r.try_get(1)?,
            serde_json::from_str(&details).unwrap_or(Value::Null),
        ))
    })
    .collect()
}

/// The district's `calendar_missing` finding, to the sysadmins once per missing year.
async fn calendar_missing(tx: &mut Tx, now: i64) -> Result<(), sqlx::Error> {
    for (unit, _, details) in open_of(tx, Rule::CalendarMissing).await? {
        let Some(year) = details.get("year").and_then(Value::as_i64) else {
            continue;
        };
        crate::calendar::notices::missing(tx, now, &UnitId::new(unit), year).await?;
    }
    Ok(())
}

/// A stable fingerprint of `ids` (their order as given): 16 hex digits.
pub(super) fn digest(ids: &[&str]) -> String {
    let mut h = Sha256::new();
    for id in ids {
        h.update(id.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}
