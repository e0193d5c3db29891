//! What is read when `/metrics` is scraped: the database pool, the hashing queue,
//! the outbox backlog and the open findings by severity. Labels come from the code's
//! enums (a value the enum does not know is left out), never from stored text as is.

use std::fmt::Write as _;

use sqlx::Row;

use crate::app::AppState;
use crate::inspection::{FindingState, Severity};
use crate::notify::outbox::OutboxState;

/// The gauges as Prometheus text.
pub async fn gauges(state: &AppState) -> Result<String, sqlx::Error> {
    let mut out = String::new();
    let pool = state.db.pool();
    gauge(
        &mut out,
        "credgov_db_pool_connections",
        "Open database connections (in use or idle)",
        &[(None, u64::from(pool.size()))],
    );
    gauge(
        &mut out,
        "credgov_db_pool_idle_connections",
        "Idle database connections",
        &[(None, pool.num_idle() as u64)],
    );
    gauge(
        &mut out,
        "credgov_password_hashing_in_flight",
        "Password hashes running or queued for a hashing thread",
        &[(None, state.hasher.in_flight() as u64)],
    );
    let outbox = sqlx::query(
        "SELECT state AS label, COUNT(*) AS n FROM outbox WHERE state IN ($1, $2) GROUP BY state",
    )
    .bind(OutboxState::Pending.as_str())
    .bind(OutboxState::Failed.as_str())
    .fetch_all(pool)
    .await?;
    gauge(
        &mut out,
        "credgov_outbox_messages",
        "Notification messages waiting to be sent (pending) or given up (failed)",
        &by_label(
            "state",
            &[OutboxState::Pending.as_str(), OutboxState::Failed.as_str()],
            &outbox,
        )?,
    );
    let findings = sqlx::query(
        "SELECT severity AS label, COUNT(*) AS n FROM findings WHERE state = $1 GROUP BY severity",
    )
    .bind(FindingState::Open.as_str())
    .fetch_all(pool)
    .await?;
    let severities: Vec<&'static str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    gauge(
        &mut out,
        "credgov_findings_open",
        "Open inspection findings by severity",
        &by_label("severity", &severities, &findings)?,
    );
    Ok(out)
}

/// One sample per wanted label value (0 when no row has it) from `label, n` rows;
/// values outside `wanted` are left out.
fn by_label(
    key: &'static str,
    wanted: &[&'static str],
    rows: &[sqlx::any::AnyRow],
) -> Result<Vec<Sample<'static>>, sqlx::Error> {
    let mut found: Vec<(String, i64)> = Vec::with_capacity(rows.len());
    for r in rows {
        found.push((r.try_get("label")?, r.try_get("n")?));
    }
    Ok(wanted
        .iter()
        .map(|w| {
            let n = found.iter().find(|(l, _)| l == w).map_or(0, |(_, n)| *n);
            (Some((key, *w)), u64::try_from(n).unwrap_or(0))
        })
        .collect())
}

type Sample<'a> = (Option<(&'static str, &'a str)>, u64);

fn gauge(out: &mut String, name: &str, help: &str, samples: &[Sample<'_>]) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (label, value) in samples {
        let _ = match label {
            Some((k, v)) => writeln!(out, "{name}{{{k}=\"{v}\"}} {value}"),
            None => writeln!(out, "{name} {value}"),
        };
    }
}
