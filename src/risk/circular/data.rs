//! What a circular says, whatever its format: the direct children of a unit ranked as
//! `/risk/units` ranks them (whole-subtree figures), with their open findings per rule
//! and the rectification rate of the period; plus the list of open findings
//! ([`super::findings`]).
//!
//! 整改完成率 (rectification rate) of a unit: of the rectification items of its subtree
//! opened in the period (`opened_at` in [`from` 00:00, `to` + 1 day 00:00) Beijing time),
//! the share closed (accepted — also as an accepted risk — or auto-resolved) before the end
//! of `to`, as they stand at the export (an item reopened since counts as not closed).
//! None without items in the period (shown as `—`).

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::findings::{FindingLine, open_findings};
use super::params::Period;
use crate::app::AppState;
use crate::inspection::Rule;
use crate::risk::RiskError;
use crate::risk::model::{Ratio, Tally};
use crate::risk::ranking::{RiskRow, assign_ranks};
use crate::risk::tally::{self, UnitRow};
use crate::tenancy::Unit;

/// The rules the circular counts, in column order, with their column names.
pub const RULE_COLUMNS: [(Rule, &str); 8] = [
    (Rule::WeakPassword, "弱口令"),
    (Rule::ReusedPassword, "重复使用"),
    (Rule::RotationOverdue, "超期未修改"),
    (Rule::RotationPendingStale, "待确认修改"),
    (Rule::BindingHolderDeparted, "绑定人已离岗"),
    (Rule::NoCustodian, "无保管人"),
    (Rule::ContentStale, "内容超期未更新"),
    (Rule::HandoverOverdue, "交接超期"),
];

/// The ranking's column names, in order.
pub fn headers() -> Vec<&'static str> {
    let mut h = vec!["单位", "账号数"];
    h.extend(RULE_COLUMNS.iter().map(|(_, name)| *name));
    h.extend(["整改完成率", "得分", "排名", "单项否决"]);
    h
}

/// One ranked unit (its whole subtree's figures).
#[derive(Debug, Clone)]
pub struct CircularRow {
    pub unit_id: String,
    pub name: String,
    pub accounts: i64,
    /// Open findings per rule, in [`RULE_COLUMNS`] order.
    pub findings: [i64; 8],
    /// Items of the period closed by its end (`good`) of all items of the period.
    pub rectified: Ratio,
    pub score: f64,
    pub rank: i64,
    pub veto: bool,
}

impl CircularRow {
    /// 整改完成率 as a fraction (0–1), None without items in the period.
    pub fn rate(&self) -> Option<f64> {
        (self.rectified.total > 0).then(|| self.rectified.good as f64 / self.rectified.total as f64)
    }

    /// 整改完成率 as text: `85.7%`, or `—` without items.
    pub fn rate_text(&self) -> String {
        self.rate()
            .map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
    }

    pub fn veto_text(&self) -> &'static str {
        if self.veto { "是" } else { "否" }
    }
}

/// A circular, ready to be written in any format.
#[derive(Debug, Clone)]
pub struct Circular {
    pub under_id: String,
    pub under_name: String,
    pub period: Period,
    /// When the figures were read (unix ms).
    pub generated_at: i64,
    /// Ranked: rank, then name.
    pub rows: Vec<CircularRow>,
    /// How many findings are open in the subtree (`under` and every unit below it).
    pub open_findings: i64,
    /// The open findings listed (XLSX only; at most [`super::findings::MAX_LINES`]).
    pub findings: Vec<FindingLine>,
    /// More open findings than listed.
    pub findings_truncated: bool,
    /// Whether the findings name their accounts (and platforms): callers that may see
    /// account-level details (not system administrators).
    pub account_details: bool,
}

impl Circular {
    /// 「区网信办政务账号密码安全情况通报（2026年11月）」
    pub fn title(&self) -> String {
        format!(
            "{}政务账号密码安全情况通报（{}）",
            self.under_name,
            self.period.months_zh()
        )
    }

    /// What the figures mean, in one sentence under the title.
    pub fn note(&self) -> String {
        format!(
            "统计期间：{} 至 {}。各项问题数为 {} 导出时尚未整改的问题（含下级单位）；\
             整改完成率 = 期间内下发的整改项中截至 {} 已完成的比例（无整改项记“—”）；\
             存在单项否决问题的单位为不合格。",
            self.period.from,
            self.period.to,
            crate::notify::render::time(self.generated_at),
            self.period.to
        )
    }

    /// The file name: `<title>.<ext>` (ASCII fallback: `circular_<from>_<to>.<ext>`).
    pub fn file_name(&self, ext: &str) -> (String, String) {
        (
            format!("{}.{ext}", self.title()),
            format!("circular_{}_{}.{ext}", self.period.from, self.period.to),
        )
    }
}

/// Reads the circular of `under` (already authorised) for `period`; the open findings
/// one by one only when `list_findings` (the workbook's second sheet).
pub async fn load(
    state: &AppState,
    under: &Unit,
    period: Period,
    (account_details, list_findings): (bool, bool),
) -> Result<Circular, RiskError> {
    let now = state.now();
    let tallies = tally::load(state.db.pool(), &under.path, now).await?;
    let rolled = tallies.rolled_up();
    let children: Vec<&UnitRow> = tallies
        .units
        .iter()
        .filter(|u| u.parent_id.as_deref() == Some(under.id.as_str()))
        .collect();
    let rectified = rectified_by_child(state, under, &tallies.units, &children, period).await?;
    let weights = &state.policy.risk.weights;
    let empty = Tally::default();
    let mut ranked: Vec<RiskRow> = children
        .iter()
        .map(|u| RiskRow::new(&u.id, &u.name, rolled.get(&u.id).unwrap_or(&empty), weights))
        .collect();
    assign_ranks(&mut ranked);
    let mut rows: Vec<CircularRow> = ranked
        .into_iter()
        .map(|r| {
            let t = rolled.get(&r.unit_id).unwrap_or(&empty);
            CircularRow {
                findings: RULE_COLUMNS
                    .map(|(rule, _)| t.by_rule.get(rule.as_str()).copied().unwrap_or(0)),
                rectified: rectified.get(&r.unit_id).copied().unwrap_or_default(),
                accounts: r.accounts,
                score: r.score,
                rank: r.rank,
                veto: r.veto,
                name: r.name,
                unit_id: r.unit_id,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.name.cmp(&b.name)));
    let open = rolled.get(under.id.as_str()).map_or(0, |t| {
        let c = t.counts;
        c.veto + c.high + c.medium + c.low
    });
    let (findings, findings_truncated) = if list_findings {
        open_findings(state, under, account_details).await?
    } else {
        (Vec::new(), false)
    };
    Ok(Circular {
        under_id: under.id.to_string(),
        under_name: under.name.clone(),
        period,
        generated_at: now,
        rows,
        open_findings: open,
        findings,
        findings_truncated,
        account_details,
    })
}

/// Per direct child: rectification items of its subtree opened in the period, and how
/// many of them closed before its end. One grouped query, rolled up in memory.
async fn rectified_by_child(
    state: &AppState,
    under: &Unit,
    units: &[UnitRow],
    children: &[&UnitRow],
    period: Period,
) -> Result<HashMap<String, Ratio>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT unit_id, COUNT(*) AS total, \
           SUM(CASE WHEN closed_at IS NOT NULL AND closed_at < $3 THEN 1 ELSE 0 END) AS closed \
         FROM rectifications \
         WHERE unit_id IN (SELECT id FROM units WHERE path LIKE $1) \
           AND opened_at >= $2 AND opened_at < $3 \
         GROUP BY unit_id",
    )
    .bind(format!("{}%", under.path))
    .bind(period.start_ms())
    .bind(period.end_ms())
    .fetch_all(state.db.pool())
    .await?;
    let child_ids: HashSet<&str> = children.iter().map(|c| c.id.as_str()).collect();
    let paths: HashMap<&str, &str> = units
        .iter()
        .map(|u| (u.id.as_str(), u.path.as_str()))
        .collect();
    let mut out: HashMap<String, Ratio> = HashMap::new();
    for r in &rows {
        let unit_id: String = r.try_get("unit_id")?;
        let one = Ratio {
            total: r.try_get("total")?,
            good: r.try_get::<Option<i64>, _>("closed")?.unwrap_or(0),
        };
        let Some(path) = paths.get(unit_id.as_str()) else {
            continue;
        };
        // The direct child on the unit's path (the unit itself, or its ancestor).
        if let Some(child) = path.split('/').find(|s| child_ids.contains(s)) {
            let entry = out.entry(child.to_string()).or_default();
            entry.good += one.good;
            entry.total += one.total;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circular(rows: Vec<CircularRow>) -> Circular {
        Circular {
            under_id: "u".into(),
            under_name: "永川区".into(),
            period: Period::parse("2026-11-01", "2026-11-30").unwrap(),
            generated_at: 0,
            rows,
            open_findings: 0,
            findings: Vec::new(),
            findings_truncated: false,
            account_details: true,
        }
    }

    #[test]
    fn rate_title_and_file_names() {
        let mut row = CircularRow {
            unit_id: "a".into(),
            name: "甲".into(),
            accounts: 3,
            findings: [0; 8],
            rectified: Ratio::default(),
            score: 90.0,
            rank: 1,
            veto: false,
        };
        assert_eq!((row.rate(), row.rate_text()), (None, "—".to_string()));
        row.rectified = Ratio { good: 1, total: 3 };
        assert_eq!(row.rate_text(), "33.3%");
        assert_eq!(row.veto_text(), "否");
        let c = circular(vec![row]);
        assert_eq!(c.title(), "永川区政务账号密码安全情况通报（2026年11月）");
        assert_eq!(
            c.file_name("csv"),
            (
                "永川区政务账号密码安全情况通报（2026年11月）.csv".to_string(),
                "circular_2026-11-01_2026-11-30.csv".to_string()
            )
        );
        assert_eq!(headers().len(), 14);
    }
}
