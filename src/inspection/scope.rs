//! What an evaluation looks at: the whole district (the daily scan) or the targets a
//! write touched (re-evaluation), and the SQL conditions that narrow each detector's
//! query and the resolve step to them.

use super::rules::{Rule, TargetKind};
use crate::audit::Entry;
use crate::ids::{AccountId, CaseId, UnitId, UserId};

/// The targets a write may have changed, named by the hook that re-evaluates them.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub accounts: Vec<AccountId>,
    pub users: Vec<UserId>,
    pub cases: Vec<CaseId>,
    /// Every account of each unit's subtree (a policy change).
    pub units: Vec<UnitId>,
    /// The district-wide conditions (a holiday calendar import).
    pub district: bool,
    /// What happened (the audit action, e.g. `rotation.confirm`); recorded as how a
    /// finding that clears was resolved.
    pub cause: &'static str,
}

impl Targets {
    /// One account.
    pub fn account(id: impl Into<AccountId>, cause: &'static str) -> Self {
        Targets {
            accounts: vec![id.into()],
            cause,
            ..Targets::default()
        }
    }

    /// One person and every account and case that concerns them (custody, exposure,
    /// binding, handover).
    pub fn user(id: impl Into<UserId>, cause: &'static str) -> Self {
        Targets {
            users: vec![id.into()],
            cause,
            ..Targets::default()
        }
    }

    /// Every account of a unit's subtree.
    pub fn unit(id: impl Into<UnitId>, cause: &'static str) -> Self {
        Targets {
            units: vec![id.into()],
            cause,
            ..Targets::default()
        }
    }

    /// The district-wide conditions (`calendar_missing`).
    pub fn district(cause: &'static str) -> Self {
        Targets {
            district: true,
            cause,
            ..Targets::default()
        }
    }

    /// What an audit entry's target reaches (an account, a person, a unit's subtree),
    /// with the entry's action as the cause; None for a target without findings.
    pub fn of(entry: &Entry<'_>) -> Option<Self> {
        let id = entry.target_id?;
        let targets = match entry.target_kind? {
            "account" => Targets::account(id, entry.action),
            "user" => Targets::user(id, entry.action),
            "unit" => Targets::unit(id, entry.action),
            _ => return None,
        };
        Some(targets)
    }
}

/// The targets of one evaluation, after expansion (see `scan::expand`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Narrow {
    pub accounts: Vec<String>,
    /// Materialised paths: every account under them.
    pub unit_paths: Vec<String>,
    pub users: Vec<String>,
    pub cases: Vec<String>,
    /// The district-wide conditions.
    pub district: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Scope {
    All,
    Narrow(Narrow),
}

/// An SQL condition (starting with ` AND `, or empty) and the values it binds, in
/// order, from the placeholder it was built for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub sql: String,
    pub binds: Vec<String>,
}

fn list(first: usize, n: usize) -> String {
    crate::http::placeholders(first, n)
}

impl Scope {
    /// The condition on an account query (`id_col` the account id, `unit_col` its
    /// unit), or None when no account is in scope (the detector is skipped).
    pub fn accounts(&self, id_col: &str, unit_col: &str, first: usize) -> Option<Filter> {
        let n = match self {
            Scope::All => return Some(Filter::default()),
            Scope::Narrow(n) => n,
        };
        if n.accounts.is_empty() && n.unit_paths.is_empty() {
            return None;
        }
        let (sql, binds) = account_condition(n, id_col, unit_col, first);
        Some(Filter {
            sql: format!(" AND {sql}"),
            binds,
        })
    }

    /// Whether the district-wide conditions are in scope.
    pub fn district(&self) -> bool {
        match self {
            Scope::All => true,
            Scope::Narrow(n) => n.district,
        }
    }

    /// The condition on a user query, or None when no user is in scope.
    pub fn users(&self, col: &str, first: usize) -> Option<Filter> {
        self.ids(col, first, |n| &n.users)
    }

    /// The condition on a case query, or None when no case is in scope.
    pub fn cases(&self, col: &str, first: usize) -> Option<Filter> {
        self.ids(col, first, |n| &n.cases)
    }

    fn ids(&self, col: &str, first: usize, pick: fn(&Narrow) -> &Vec<String>) -> Option<Filter> {
        match self {
            Scope::All => Some(Filter::default()),
            Scope::Narrow(n) => {
                let ids = pick(n);
                (!ids.is_empty()).then(|| Filter {
                    sql: format!(" AND {col} IN ({})", list(first, ids.len())),
                    binds: ids.clone(),
                })
            }
        }
    }

    /// The condition on the findings table: the findings whose target is in scope.
    /// Each term names its target kind's rules, so the `(rule, target_id)` index finds
    /// a few targets' findings without reading the others.
    pub fn findings(&self, first: usize) -> Filter {
        let n = match self {
            Scope::All => return Filter::default(),
            Scope::Narrow(n) => n,
        };
        let mut terms = Vec::new();
        let mut binds = Vec::new();
        if !n.accounts.is_empty() || !n.unit_paths.is_empty() {
            let (sql, b) = account_condition(n, "target_id", "unit_id", first);
            terms.push(format!(
                "(target_kind = 'account' AND rule IN ({}) AND {sql})",
                rules_of(TargetKind::Account)
            ));
            binds.extend(b);
        }
        for (kind, ids) in [(TargetKind::User, &n.users), (TargetKind::Case, &n.cases)] {
            if !ids.is_empty() {
                terms.push(format!(
                    "(target_kind = '{}' AND rule IN ({}) AND target_id IN ({}))",
                    kind.as_str(),
                    rules_of(kind),
                    list(first + binds.len(), ids.len())
                ));
                binds.extend(ids.iter().cloned());
            }
        }
        if n.district {
            terms.push("target_kind = 'district'".into());
        }
        if terms.is_empty() {
            terms.push("1 = 0".into());
        }
        Filter {
            sql: format!(" AND ({})", terms.join(" OR ")),
            binds,
        }
    }
}

/// `'weak_password', 'reused_password', …`: the rules about targets of `kind`, as SQL
/// literals (fixed names from the enum, never input).
fn rules_of(kind: TargetKind) -> String {
    Rule::ALL
        .iter()
        .filter(|r| r.def().target == kind)
        .map(|r| format!("'{}'", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(id IN (…) OR unit IN (units under the paths))` with its binds.
fn account_condition(
    n: &Narrow,
    id_col: &str,
    unit_col: &str,
    first: usize,
) -> (String, Vec<String>) {
    let mut terms = Vec::new();
    let mut binds = Vec::new();
    if !n.accounts.is_empty() {
        terms.push(format!("{id_col} IN ({})", list(first, n.accounts.len())));
        binds.extend(n.accounts.iter().cloned());
    }
    if !n.unit_paths.is_empty() {
        let under = crate::http::under_any("path", first + binds.len(), n.unit_paths.len());
        terms.push(format!(
            "{unit_col} IN (SELECT id FROM units WHERE {under})"
        ));
        binds.extend(n.unit_paths.iter().map(|p| format!("{p}%")));
    }
    (format!("({})", terms.join(" OR ")), binds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_filters_number_their_placeholders() {
        let s = Scope::Narrow(Narrow {
            accounts: vec!["a1".into(), "a2".into()],
            unit_paths: vec!["/r/u/".into()],
            users: vec!["u1".into()],
            cases: vec![],
            district: false,
        });
        let f = s.accounts("a.id", "a.unit_id", 3).unwrap();
        assert_eq!(
            f.sql,
            " AND (a.id IN ($3, $4) OR a.unit_id IN (SELECT id FROM units WHERE (path LIKE $5)))"
        );
        assert_eq!(f.binds, vec!["a1", "a2", "/r/u/%"]);
        assert!(s.cases("h.id", 1).is_none());
        let f = s.findings(2);
        assert!(
            f.sql.contains(
                "target_kind = 'user' AND rule IN ('mfa_not_enrolled') AND target_id IN ($5)"
            ),
            "{}",
            f.sql
        );
        assert!(
            f.sql.contains("rule IN ('rotation_overdue', ")
                && f.sql.contains("'weak_password'")
                && !f.sql.contains("'handover_overdue'"),
            "{}",
            f.sql
        );
        assert_eq!(f.binds.len(), 4);
        assert!(Scope::All.findings(1).sql.is_empty());
        assert!(!s.district() && Scope::All.district());
        let d = Scope::Narrow(Narrow {
            district: true,
            ..Narrow::default()
        });
        assert_eq!(d.findings(1).sql, " AND (target_kind = 'district')");
        assert!(d.accounts("a.id", "a.unit_id", 1).is_none());
    }
}
