//! Daily risk snapshots: after the daily scan, one row per unit per China date with the
//! unit's whole-subtree score, veto flag, components and counts (a rerun the same day
//! replaces that day's row); rows older than `risk.snapshot_keep_days` are deleted.
//! Trends and "change since the last snapshot" read these rows only.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::model::{Ratio, SeverityCounts, Tally};
use super::tally;
use crate::app::AppState;
use crate::calendar::{DAY_MS, Date};
use crate::http::placeholders;

/// Rows per multi-row INSERT.
const CHUNK: usize = 200;

/// Writes today's snapshot of every unit; returns how many rows were written.
pub async fn record(state: &AppState, now: i64) -> Result<usize, sqlx::Error> {
    let Some(root) =
        sqlx::query("SELECT path FROM units WHERE parent_id IS NULL ORDER BY created_at LIMIT 1")
            .fetch_optional(state.db.pool())
            .await?
    else {
        return Ok(0);
    };
    let path: String = root.try_get(0)?;
    let tallies = tally::load(state.db.pool(), &path, now).await?;
    let rolled = tallies.rolled_up();
    let weights = &state.policy.risk.weights;
    let day = Date::in_china(now).to_string();
    let rows: Vec<(&String, &Tally)> = rolled.iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * 9 + 1, 9)))
            .collect();
        let sql = format!(
            "INSERT INTO risk_snapshots (unit_id, day, score_tenths, veto, accounts, components, \
             counts, by_rule, taken_at) VALUES {} ON CONFLICT (unit_id, day) DO UPDATE SET \
             score_tenths = excluded.score_tenths, veto = excluded.veto, \
             accounts = excluded.accounts, components = excluded.components, \
             counts = excluded.counts, by_rule = excluded.by_rule, taken_at = excluded.taken_at",
            values.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (unit_id, t) in chunk {
            let components: Vec<[i64; 2]> = t.ratios().iter().map(|r| [r.good, r.total]).collect();
            q = q
                .bind(unit_id.as_str())
                .bind(day.as_str())
                .bind(tenths(t.score(weights)))
                .bind(i64::from(t.veto()))
                .bind(t.accounts)
                .bind(json!(components).to_string())
                .bind(json!(t.counts).to_string())
                .bind(json!(t.by_rule).to_string())
                .bind(now);
        }
        let mut tx = state.db.begin_write().await?;
        q.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    let keep = i64::from(state.policy.risk.snapshot_keep_days);
    let cutoff = Date::in_china(now - keep * DAY_MS).to_string();
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM risk_snapshots WHERE day < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows.len())
}

fn tenths(score: f64) -> i64 {
    // Scores are 0–100 with one decimal: ×10 is an exact small integer.
    (score * 10.0).round() as i64
}

/// Each unit's score in its latest snapshot before today (units without one are absent).
pub async fn previous_scores(
    state: &AppState,
    unit_ids: &[&str],
    now: i64,
) -> Result<HashMap<String, f64>, sqlx::Error> {
    if unit_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let today = Date::in_china(now).to_string();
    let sql = format!(
        "SELECT s.unit_id, s.score_tenths FROM risk_snapshots s \
         WHERE s.unit_id IN ({}) AND s.day = (SELECT MAX(t.day) FROM risk_snapshots t \
           WHERE t.unit_id = s.unit_id AND t.day < $1)",
        placeholders(2, unit_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(today);
    for id in unit_ids {
        q = q.bind(*id);
    }
    let mut out = HashMap::new();
    for r in q.fetch_all(state.db.pool()).await? {
        out.insert(
            r.try_get::<String, _>(0)?,
            r.try_get::<i64, _>(1)? as f64 / 10.0,
        );
    }
    Ok(out)
}

/// One day of a unit's trend.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// China date, `YYYY-MM-DD`.
    pub day: String,
    pub score: f64,
    pub veto: bool,
    pub accounts: i64,
    /// `[good, total]` per component, in the order of the ranking's components.
    pub components: Vec<Ratio>,
    pub counts: SeverityCounts,
}

/// The unit's snapshots of the last `days` days, oldest first.
pub async fn trend(
    state: &AppState,
    unit_id: &str,
    days: i64,
    now: i64,
) -> Result<Vec<TrendPoint>, sqlx::Error> {
    let since = Date::in_china(now - (days - 1).max(0) * DAY_MS).to_string();
    let rows = sqlx::query(
        "SELECT day, score_tenths, veto, accounts, components, counts FROM risk_snapshots \
         WHERE unit_id = $1 AND day >= $2 ORDER BY day",
    )
    .bind(unit_id)
    .bind(since)
    .fetch_all(state.db.pool())
    .await?;
    rows.iter().map(point).collect()
}

/// One snapshot row as a trend point.
fn point(r: &sqlx::any::AnyRow) -> Result<TrendPoint, sqlx::Error> {
    let components: Vec<[i64; 2]> =
        serde_json::from_str(&r.try_get::<String, _>("components")?).unwrap_or_default();
    let counts: serde_json::Value =
        serde_json::from_str(&r.try_get::<String, _>("counts")?).unwrap_or_default();
    let n = |k: &str| {
        counts
            .get(k)
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0)
    };
    Ok(TrendPoint {
        day: r.try_get("day")?,
        score: r.try_get::<i64, _>("score_tenths")? as f64 / 10.0,
        veto: crate::db::flag(r.try_get("veto")?),
        accounts: r.try_get("accounts")?,
        components: components
            .into_iter()
            .map(|[good, total]| Ratio { good, total })
            .collect(),
        counts: SeverityCounts {
            veto: n("veto"),
            high: n("high"),
            medium: n("medium"),
            low: n("low"),
        },
    })
}

/// The trends of several units over the last `days` days (one query), oldest first each;
/// units without snapshots are absent. The dashboard's sparklines.
pub async fn trends(
    state: &AppState,
    unit_ids: &[&str],
    days: i64,
    now: i64,
) -> Result<HashMap<String, Vec<TrendPoint>>, sqlx::Error> {
    let mut out: HashMap<String, Vec<TrendPoint>> = HashMap::new();
    if unit_ids.is_empty() {
        return Ok(out);
    }
    let since = Date::in_china(now - (days - 1).max(0) * DAY_MS).to_string();
    let sql = format!(
        "SELECT unit_id, day, score_tenths, veto, accounts, components, counts FROM risk_snapshots \
         WHERE day >= $1 AND unit_id IN ({}) ORDER BY unit_id, day",
        placeholders(2, unit_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(since);
    for id in unit_ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(state.db.pool()).await? {
        let unit: String = r.try_get("unit_id")?;
        out.entry(unit).or_default().push(point(&r)?);
    }
    Ok(out)
}
