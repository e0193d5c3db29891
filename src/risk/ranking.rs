//! Ranking a supervisor's subtree: the direct children of a unit, each with its whole
//! subtree's score, veto flag, components and counts, ranked by score (rank 1 is the
//! best; ties share a rank). Computed by [`super::tally::load_children`] (the database
//! sums each child's subtree from the per-unit counters), then paged in memory (a
//! unit's children are hundreds, not millions).

use serde::{Deserialize, Serialize};

use super::RiskError;
use super::model::{ComponentView, SeverityCounts, Tally};
use super::tally;
use crate::app::AppState;
use crate::authz::{AuthContext, Permission};
use crate::http::{Page, Paging};
use crate::ids::UnitId;
use crate::policy::risk::RiskWeights;
use crate::tenancy::{Unit, authorized_unit};

/// How a ranking is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RankSort {
    /// Highest score first (rank order).
    #[default]
    Score,
    /// Failing (veto) units first, then the lowest score first: where to look first.
    Veto,
    /// By name.
    Name,
}

/// One unit of a ranking, with its whole subtree's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskRow {
    pub unit_id: String,
    pub name: String,
    /// 0–100, one decimal.
    pub score: f64,
    /// An open veto finding fails the unit (不合格) whatever its score.
    pub veto: bool,
    /// 1 = best score among the ranked units; ties share a rank.
    pub rank: i64,
    pub accounts: i64,
    pub components: Vec<ComponentView>,
    /// Open findings by severity.
    pub counts: SeverityCounts,
    /// Score now minus the score of the latest daily snapshot before today (null
    /// without one).
    pub change: Option<f64>,
}

impl RiskRow {
    pub fn new(unit_id: &str, name: &str, t: &Tally, weights: &RiskWeights) -> RiskRow {
        RiskRow {
            unit_id: unit_id.to_string(),
            name: name.to_string(),
            score: t.score(weights),
            veto: t.veto(),
            rank: 0,
            accounts: t.accounts,
            components: t.components(weights),
            counts: t.counts,
            change: None,
        }
    }
}

/// The unit `id` when the caller may read risk there (404 outside their units, 403
/// without the permission).
pub async fn risk_unit(
    state: &AppState,
    ctx: &AuthContext,
    id: &UnitId,
) -> Result<Unit, RiskError> {
    Ok(authorized_unit(state, ctx, id, Permission::RiskRead).await?)
}

/// The unit a ranking is under: `under`, or the caller's topmost unit they may read
/// risk on.
pub async fn ranking_root(
    state: &AppState,
    ctx: &AuthContext,
    under: Option<&str>,
) -> Result<Unit, RiskError> {
    let id = match under {
        Some(u) => UnitId::new(u.to_string()),
        None => {
            let grant = ctx
                .grants
                .iter()
                .filter(|g| g.role.permits(Permission::RiskRead))
                .min_by_key(|g| g.unit_path.len())
                .ok_or(crate::authz::AuthzError::Forbidden)?;
            UnitId::new(grant.unit_id.to_string())
        }
    };
    risk_unit(state, ctx, &id).await
}

/// The ranked children of `root` (whole-subtree figures), sorted by `sort`, one page.
pub async fn rank_children(
    state: &AppState,
    root: &Unit,
    sort: RankSort,
    paging: &Paging,
) -> Result<Page<RiskRow>, RiskError> {
    let now = state.now();
    let tallies = tally::load_children(&state.db, root, now).await?;
    let weights = &state.policy.risk.weights;
    let mut rows: Vec<RiskRow> = tallies
        .children
        .iter()
        .map(|u| RiskRow::new(&u.id, &u.name, &tallies.child(&u.id), weights))
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.unit_id.as_str()).collect();
    let previous = super::snapshots::previous_scores(state, &ids, now).await?;
    for r in &mut rows {
        r.change = previous
            .get(&r.unit_id)
            .map(|p| ((r.score - p) * 10.0).round() / 10.0);
    }
    assign_ranks(&mut rows);
    sort_rows(&mut rows, sort);
    Ok(page(rows, paging)?)
}

/// Rank 1 for the best score; equal scores share the rank (1, 2, 2, 4).
pub fn assign_ranks(rows: &mut [RiskRow]) {
    let mut scores: Vec<f64> = rows.iter().map(|r| r.score).collect();
    scores.sort_by(|a, b| b.total_cmp(a));
    for r in rows.iter_mut() {
        let better = scores.iter().take_while(|s| **s > r.score).count();
        r.rank = i64::try_from(better).unwrap_or(i64::MAX) + 1;
    }
}

fn sort_rows(rows: &mut [RiskRow], sort: RankSort) {
    match sort {
        RankSort::Score => rows.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.name.cmp(&b.name))
        }),
        RankSort::Veto => rows.sort_by(|a, b| {
            b.veto
                .cmp(&a.veto)
                .then_with(|| a.score.total_cmp(&b.score))
                .then_with(|| a.name.cmp(&b.name))
        }),
        RankSort::Name => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.unit_id.cmp(&b.unit_id))),
    }
}

/// One page of rows computed in memory: the cursor carries the position of the last row
/// shown.
fn page(rows: Vec<RiskRow>, paging: &Paging) -> Result<Page<RiskRow>, crate::error::InputError> {
    let start = paging
        .after_int()?
        .map_or(0, |last| usize::try_from(last).unwrap_or(0) + 1);
    let fetch = usize::try_from(paging.fetch()).unwrap_or(usize::MAX);
    let slice: Vec<(usize, RiskRow)> = rows
        .into_iter()
        .enumerate()
        .skip(start)
        .take(fetch)
        .collect();
    let page = paging.page(slice, |(i, r)| (i.to_string(), r.unit_id.clone()));
    Ok(Page {
        items: page.items.into_iter().map(|(_, r)| r).collect(),
        next_cursor: page.next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, score: f64, veto: bool) -> RiskRow {
        RiskRow {
            unit_id: name.into(),
            name: name.into(),
            score,
            veto,
            rank: 0,
            accounts: 1,
            components: Vec::new(),
            counts: SeverityCounts::default(),
            change: None,
        }
    }

    #[test]
    fn ranks_share_ties_and_sorts_put_what_matters_first() {
        let mut rows = vec![
            row("乙", 80.0, false),
            row("甲", 95.5, true),
            row("丙", 80.0, false),
            row("丁", 60.0, false),
        ];
        assign_ranks(&mut rows);
        let ranks: Vec<(&str, i64)> = rows.iter().map(|r| (r.name.as_str(), r.rank)).collect();
        assert_eq!(ranks, [("乙", 2), ("甲", 1), ("丙", 2), ("丁", 4)]);
        sort_rows(&mut rows, RankSort::Veto);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["甲", "丁", "丙", "乙"]);
        sort_rows(&mut rows, RankSort::Score);
        assert_eq!(rows[0].name, "甲");
    }

    #[test]
    fn pages_continue_where_the_cursor_left_off() {
        let rows: Vec<RiskRow> = (0..5).map(|i| row(&format!("u{i}"), 50.0, false)).collect();
        let first = page(rows.clone(), &Paging::new(Some(2), None).unwrap()).unwrap();
        assert_eq!(first.items.len(), 2);
        let cursor = first.next_cursor.unwrap();
        let second = page(rows.clone(), &Paging::new(Some(2), Some(&cursor)).unwrap()).unwrap();
        assert_eq!(second.items[0].unit_id, "u2");
        let cursor = second.next_cursor.unwrap();
        let third = page(rows, &Paging::new(Some(2), Some(&cursor)).unwrap()).unwrap();
        assert_eq!(third.items.len(), 1);
        assert!(third.next_cursor.is_none());
    }
}
