//! Drilling into one unit: its whole-subtree figures, its children's summary, its open
//! rectification items and (for roles that may see account-level details) its own
//! accounts with their open findings. Never a secret: names, rules and dates only.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

use super::RiskError;
use super::model::Tally;
use super::ranking::{RiskRow, assign_ranks};
use super::tally;
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission};
use crate::inspection::{FindingState, TargetKind};
use crate::rectification::RectificationState;
use crate::tenancy::Unit;

/// Most accounts listed in one drill-down (those with the most severe findings first).
const MAX_ACCOUNTS: i64 = 500;

/// A unit's risk in detail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RiskDetail {
    /// The unit's whole-subtree figures.
    pub unit: RiskRow,
    /// Its direct children, ranked among themselves (whole-subtree figures each).
    pub children: Vec<RiskRow>,
    /// Its own accounts that have open findings (null for roles that see aggregates
    /// only, e.g. system administrators).
    pub accounts: Option<Vec<AccountFindings>>,
    /// Open rectification items of the unit and the units below it.
    pub rectifications: Vec<OpenItem>,
}

/// One account and its open findings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountFindings {
    pub account_id: String,
    pub name: String,
    pub platform: String,
    pub findings: Vec<AccountFinding>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountFinding {
    pub finding_id: String,
    pub rule: String,
    pub severity: String,
    pub first_seen: i64,
    /// The live rectification item for this finding, if one is open.
    pub rectification_id: Option<String>,
}

/// An open (live) rectification item.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenItem {
    pub id: String,
    pub unit_id: String,
    pub rule: String,
    pub severity: String,
    pub state: String,
    pub deadline_at: i64,
    pub overdue: bool,
}

/// The drill-down of `unit` (already authorised for [`Permission::RiskRead`]).
pub async fn detail(
    state: &AppState,
    ctx: &AuthContext,
    unit: &Unit,
) -> Result<RiskDetail, RiskError> {
    let now = state.now();
    // Per unit with the ids listed (key lookups) rather than `load_children`: at a
    // million accounts the ranking's query (then a recursive walk) made SQLite scan
    // whole tables for one leaf (benches/risk.rs: p50 75 ms against 3 ms).
    let tallies = tally::load(state.db.pool(), &unit.path, now).await?;
    let rolled = tallies.rolled_up();
    let weights = &state.policy.risk.weights;
    let empty = Tally::default();
    let mut own = RiskRow::new(
        unit.id.as_str(),
        &unit.name,
        rolled.get(unit.id.as_str()).unwrap_or(&empty),
        weights,
    );
    let mut children: Vec<RiskRow> = tallies
        .units
        .iter()
        .filter(|u| u.parent_id.as_deref() == Some(unit.id.as_str()))
        .map(|u| RiskRow::new(&u.id, &u.name, rolled.get(&u.id).unwrap_or(&empty), weights))
        .collect();
    let mut ids: Vec<&str> = children.iter().map(|r| r.unit_id.as_str()).collect();
    ids.push(unit.id.as_str());
    let previous = super::snapshots::previous_scores(state, &ids, now).await?;
    let change = |r: &RiskRow| {
        previous
            .get(&r.unit_id)
            .map(|p| ((r.score - p) * 10.0).round() / 10.0)
    };
    own.change = change(&own);
    own.rank = 1;
    for c in &mut children {
        c.change = change(c);
    }
    assign_ranks(&mut children);
    children.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.name.cmp(&b.name)));
    let sees_accounts =
        authz::authorize(ctx, Permission::RiskAccounts, &unit.as_ref(), "unit").is_ok();
    let accounts = if sees_accounts {
        Some(account_findings(state, unit).await?)
    } else {
        None
    };
    Ok(RiskDetail {
        unit: own,
        children,
        accounts,
        rectifications: open_items(state, unit, now).await?,
    })
}

/// The unit's own accounts with open findings, most severe first.
async fn account_findings(
    state: &AppState,
    unit: &Unit,
) -> Result<Vec<AccountFindings>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT f.id, f.rule, f.severity, f.first_seen, a.id AS account_id, a.name, a.platform, \
           (SELECT r.id FROM rectifications r WHERE r.finding_id = f.id \
              AND r.state IN ($4, $5, $6) LIMIT 1) AS rectification_id \
         FROM findings f JOIN accounts a ON a.id = f.target_id \
         WHERE f.unit_id = $1 AND f.state = $2 AND f.target_kind = $3 \
         ORDER BY a.name, a.id, f.rule LIMIT $7",
    )
    .bind(unit.id.as_str())
    .bind(FindingState::Open.as_str())
    .bind(TargetKind::Account.as_str())
    .bind(RectificationState::Open.as_str())
    .bind(RectificationState::Submitted.as_str())
    .bind(RectificationState::Returned.as_str())
    .bind(MAX_ACCOUNTS * 10)
    .fetch_all(state.db.pool())
    .await?;
    let mut by_account: BTreeMap<(String, String), AccountFindings> = BTreeMap::new();
    for r in &rows {
        let account_id: String = r.try_get("account_id")?;
        let name: String = r.try_get("name")?;
        let entry = by_account
            .entry((name.clone(), account_id.clone()))
            .or_insert_with(|| AccountFindings {
                account_id,
                name,
                platform: String::new(),
                findings: Vec::new(),
            });
        entry.platform = r.try_get("platform")?;
        entry.findings.push(AccountFinding {
            finding_id: r.try_get("id")?,
            rule: r.try_get("rule")?,
            severity: r.try_get("severity")?,
            first_seen: r.try_get("first_seen")?,
            rectification_id: r.try_get("rectification_id")?,
        });
    }
    let mut out: Vec<AccountFindings> = by_account.into_values().collect();
    out.sort_by_key(|a| std::cmp::Reverse(worst(&a.findings)));
    out.truncate(usize::try_from(MAX_ACCOUNTS).unwrap_or(usize::MAX));
    Ok(out)
}

/// How severe an account's worst finding is (veto 3 … low 0).
fn worst(findings: &[AccountFinding]) -> u8 {
    use crate::inspection::Severity;
    findings
        .iter()
        .map(|f| match Severity::parse(&f.severity) {
            Some(Severity::Veto) => 3,
            Some(Severity::High) => 2,
            Some(Severity::Medium) => 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Live rectification items of the unit's subtree, the earliest deadline first.
async fn open_items(state: &AppState, unit: &Unit, now: i64) -> Result<Vec<OpenItem>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.unit_id, r.rule, r.severity, r.state, r.deadline_at FROM rectifications r \
         JOIN units u ON u.id = r.unit_id \
         WHERE u.path LIKE $1 AND r.state IN ($2, $3, $4) ORDER BY r.deadline_at, r.id LIMIT 500",
    )
    .bind(format!("{}%", unit.path))
    .bind(RectificationState::Open.as_str())
    .bind(RectificationState::Submitted.as_str())
    .bind(RectificationState::Returned.as_str())
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let deadline_at: i64 = r.try_get("deadline_at")?;
            Ok(OpenItem {
                id: r.try_get("id")?,
                unit_id: r.try_get("unit_id")?,
                rule: r.try_get("rule")?,
                severity: r.try_get("severity")?,
                state: r.try_get("state")?,
                deadline_at,
                overdue: deadline_at < now,
            })
        })
        .collect()
}
