//! The supervisor dashboard (`/risk`): the ranking of a unit's children with score,
//! veto flag and a sparkline; the drill-down unit → sub-units → accounts → findings →
//! rectification item with its trend chart; the circular as a download. Everything
//! through the risk services the API uses (`risk_unit`, `rank_children`, `detail`,
//! snapshots, `circular::export`), so supervisors, unit admins (their units), auditors
//! (read-only) and sysadmins (aggregates only) see exactly what the API shows them.

mod circular;
mod drill;
mod ranking;
pub mod svg;

use axum::Router;
use axum::routing::get;

use super::i18n::Tr;
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/risk", get(ranking::ranking))
        .route("/risk/units/{id}", get(drill::unit))
        .route("/risk/circular", get(circular::download))
}

/// A rule's name in the reader's language (the rule's own name when unknown).
pub fn rule_label(tr: Tr, rule: &str) -> String {
    let key = format!("risk.rule.{rule}");
    if tr.has(&key) {
        tr.t(&key).to_string()
    } else {
        rule.to_string()
    }
}

/// A severity's name in the reader's language.
pub fn severity_label(tr: Tr, severity: &str) -> String {
    let key = format!("risk.severity.{severity}");
    if tr.has(&key) {
        tr.t(&key).to_string()
    } else {
        severity.to_string()
    }
}

/// A score with one decimal.
pub fn score(s: f64) -> String {
    format!("{s:.1}")
}

/// A change since the last snapshot: `+1.5`, `-2.0`, `—` without one.
pub fn change(c: Option<f64>) -> String {
    match c {
        Some(v) if v > 0.0 => format!("+{v:.1}"),
        Some(v) => format!("{v:.1}"),
        None => "—".to_string(),
    }
}
