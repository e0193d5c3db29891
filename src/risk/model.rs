//! The risk model: a unit's score is the weighted share of good outcomes over seven
//! visible components, each shown with its numerator and denominator; any open `veto`
//! finding fails the unit (不合格) whatever its score.
//!
//! score = 100 × Σ wᵢ·(numᵢ/denᵢ) / Σ wᵢ, over the components with denᵢ > 0 and wᵢ > 0;
//! a unit with nothing to measure scores 100.

use serde::Serialize;

use crate::inspection::{Rule, Severity};
use crate::policy::risk::{RiskWeights, WEIGHT_KEYS};
use crate::text_enum::text_enum;

text_enum!(
    /// One part of the score.
    Component {
        /// Accounts whose password meets the policy (no open `weak_password`).
        Strong => "strong",
        /// Accounts whose password no other account uses (no open `reused_password`).
        Unique => "unique",
        /// Accounts rotated within their maximum age (no open `rotation_overdue`).
        Rotated => "rotated",
        /// Accounts with an active custodian (no open `no_custodian`).
        Custodian => "custodian",
        /// Accounts with fresh content (no open `content_stale`, which a zombie account
        /// also has).
        Fresh => "fresh",
        /// Handover cases of the last year closed, or still running, within deadline.
        Handover => "handover",
        /// Rectification items of the last year closed, or still open, within deadline.
        Rectification => "rectification",
    }
);

impl Component {
    /// The account component a finding of `rule` counts against (None: not an account
    /// component, e.g. `handover_overdue`, whose cases are counted directly).
    pub fn of_rule(rule: Rule) -> Option<Component> {
        match rule {
            Rule::WeakPassword => Some(Component::Strong),
            Rule::ReusedPassword => Some(Component::Unique),
            Rule::RotationOverdue => Some(Component::Rotated),
            Rule::NoCustodian => Some(Component::Custodian),
            // A zombie account holds `content_stale` too: counted once, through it.
            Rule::ContentStale => Some(Component::Fresh),
            _ => None,
        }
    }

    fn index(self) -> usize {
        Component::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    /// 中文名 (the circular's column and the dashboard's label).
    pub fn label_zh(self) -> &'static str {
        match self {
            Component::Strong => "强口令",
            Component::Unique => "未重复使用",
            Component::Rotated => "按期修改",
            Component::Custodian => "有保管人",
            Component::Fresh => "内容按期更新",
            Component::Handover => "交接按期",
            Component::Rectification => "整改按期",
        }
    }
}

/// How many of how many: `good` of `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ratio {
    pub good: i64,
    pub total: i64,
}

impl Ratio {
    fn add(&mut self, other: Ratio) {
        self.good += other.good;
        self.total += other.total;
    }
}

/// Open findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeverityCounts {
    pub veto: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
}

impl SeverityCounts {
    pub fn add_one(&mut self, severity: Severity, n: i64) {
        match severity {
            Severity::Veto => self.veto += n,
            Severity::High => self.high += n,
            Severity::Medium => self.medium += n,
            Severity::Low => self.low += n,
        }
    }

    fn add(&mut self, o: SeverityCounts) {
        self.veto += o.veto;
        self.high += o.high;
        self.medium += o.medium;
        self.low += o.low;
    }
}

/// What a unit (or a whole subtree) measures: active accounts, the accounts each
/// account component finds wanting, the case and item counts, and open findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub accounts: i64,
    /// Accounts with an open finding against each account component (by component).
    pub bad: [i64; 5],
    pub handover: Ratio,
    pub rectification: Ratio,
    pub counts: SeverityCounts,
    /// Open findings per rule (for the circular's columns).
    pub by_rule: std::collections::BTreeMap<&'static str, i64>,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.accounts += o.accounts;
        for (a, b) in self.bad.iter_mut().zip(o.bad) {
            *a += b;
        }
        self.handover.add(o.handover);
        self.rectification.add(o.rectification);
        self.counts.add(o.counts);
        for (k, v) in &o.by_rule {
            *self.by_rule.entry(k).or_default() += v;
        }
    }

    /// Counts `n` open findings of `rule` at `severity`.
    pub fn add_findings(&mut self, rule: Rule, severity: Severity, n: i64) {
        self.counts.add_one(severity, n);
        *self.by_rule.entry(rule.as_str()).or_default() += n;
        if let Some(c) = Component::of_rule(rule) {
            self.bad[c.index()] += n;
        }
    }

    /// Each component's ratio, in [`Component::ALL`] order.
    pub fn ratios(&self) -> [Ratio; 7] {
        let account = |i: usize| Ratio {
            // Two findings of one component on one account (stale and zombie) count once
            // at most: never fewer good accounts than none.
            good: (self.accounts - self.bad[i]).max(0),
            total: self.accounts,
        };
        [
            account(0),
            account(1),
            account(2),
            account(3),
            account(4),
            self.handover,
            self.rectification,
        ]
    }

    /// The score 0–100 (one decimal) under `weights`.
    pub fn score(&self, weights: &RiskWeights) -> f64 {
        let (mut sum, mut weight) = (0.0_f64, 0.0_f64);
        for (r, w) in self.ratios().iter().zip(weights.as_array()) {
            if r.total > 0 && w > 0 {
                sum += f64::from(w) * (r.good as f64 / r.total as f64);
                weight += f64::from(w);
            }
        }
        if weight == 0.0 {
            return 100.0;
        }
        (1000.0 * sum / weight).round() / 10.0
    }

    /// Fails (不合格) on any open veto finding.
    pub fn veto(&self) -> bool {
        self.counts.veto > 0
    }

    /// The components as the API shows them.
    pub fn components(&self, weights: &RiskWeights) -> Vec<ComponentView> {
        Component::ALL
            .iter()
            .zip(self.ratios())
            .zip(weights.as_array())
            .map(|((c, r), w)| ComponentView {
                component: *c,
                label: c.label_zh(),
                weight: w,
                good: r.good,
                total: r.total,
            })
            .collect()
    }
}

/// One component of a unit's score: `good` of `total`, weighed `weight`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComponentView {
    pub component: Component,
    /// 中文名.
    pub label: &'static str,
    pub weight: u32,
    pub good: i64,
    pub total: i64,
}

/// The weight keys and components line up (the policy's table and this enum).
pub fn weight_keys_match() -> bool {
    Component::ALL
        .iter()
        .map(|c| c.as_str())
        .eq(WEIGHT_KEYS.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_follow_the_weight_keys() {
        assert!(weight_keys_match());
    }

    #[test]
    fn score_is_the_weighted_share_and_veto_fails_whatever_the_score() {
        let w = RiskWeights::default();
        let mut t = Tally {
            accounts: 10,
            ..Tally::default()
        };
        assert_eq!(t.score(&w), 100.0);
        // 2 of 10 weak: strong 8/10 → 25 × 0.8; the other four account parts full;
        // handover and rectification have nothing to count and weigh nothing.
        t.add_findings(Rule::WeakPassword, Severity::High, 2);
        let expected: f64 = (25.0 * 0.8 + 20.0 + 20.0 + 10.0 + 10.0) / 85.0 * 100.0;
        assert_eq!(t.score(&w), (expected * 10.0).round() / 10.0);
        assert!(!t.veto());
        t.add_findings(Rule::ContentStale, Severity::Veto, 1);
        assert!(t.veto());
        assert_eq!(t.counts.veto, 1);
        assert_eq!(t.by_rule["content_stale"], 1);
        // A late rectification item of two.
        t.rectification = Ratio { good: 1, total: 2 };
        let r = t.ratios();
        assert_eq!(r[6], Ratio { good: 1, total: 2 });
        assert_eq!(r[4], Ratio { good: 9, total: 10 });
    }

    /// The README's worked example.
    #[test]
    fn the_readme_example() {
        let w = RiskWeights::default();
        let mut a = Tally {
            accounts: 4,
            ..Tally::default()
        };
        a.add_findings(Rule::ReusedPassword, Severity::High, 2);
        a.add_findings(Rule::RotationOverdue, Severity::High, 1);
        a.add_findings(Rule::NoCustodian, Severity::Medium, 4);
        assert_eq!(a.score(&w), 70.6);
        let mut b = Tally {
            accounts: 1,
            ..Tally::default()
        };
        b.add_findings(Rule::NoCustodian, Severity::Medium, 1);
        b.add_findings(Rule::ContentStale, Severity::Veto, 1);
        assert_eq!((b.score(&w), b.veto()), (76.5, true));
    }

    #[test]
    fn nothing_to_measure_scores_a_hundred_and_subtrees_add_up() {
        let w = RiskWeights::default();
        assert_eq!(Tally::default().score(&w), 100.0);
        let mut a = Tally {
            accounts: 4,
            ..Tally::default()
        };
        a.add_findings(Rule::ReusedPassword, Severity::High, 4);
        let mut b = Tally {
            accounts: 4,
            ..Tally::default()
        };
        b.add(&a);
        assert_eq!(b.ratios()[1], Ratio { good: 4, total: 8 });
        // More bad than accounts never goes below zero.
        a.add_findings(Rule::ReusedPassword, Severity::High, 3);
        assert_eq!(a.ratios()[1].good, 0);
    }
}
