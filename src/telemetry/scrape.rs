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
    let mut outbox = Vec::new();
    for r in sqlx::query(
        "SELECT state, COUNT(*) AS n FROM outbox WHERE state IN ($1, $2) GROUP BY state",
    )
    .bind(OutboxState::Pending.as_str())
    .bind(OutboxState::Failed.as_str())
    .fetch_all(pool)
    .await?
    {
        let s: String = r.try_get("state")?;
        if let Some(s) = OutboxState::parse(&s) {
            outbox.push((Some(("state", s.as_str())), count(&r)?));
        }
    }
    for s in [OutboxState::Pending, OutboxState::Failed] {
        if !outbox
            .iter()
            .any(|(l, _)| l.is_some_and(|(_, v)| v == s.as_str()))
        {
            outbox.push((Some(("state", s.as_str())), 0));
        }
    }
    gauge(
        &mut out,
        "credgov_outbox_messages",
        "Notification messages waiting to be sent (pending) or given up (failed)",
        &outbox,
    );
    let mut findings = Vec::new();
    for r in sqlx::query(
        "SELECT severity, COUNT(*) AS n FROM findings WHERE state = $1 GROUP BY severity",
    )
    .bind(FindingState::Open.as_str())
    .fetch_all(pool)
    .await?
    {
        let s: String = r.try_get("severity")?;
        if let Some(s) = Severity::parse(&s) {
            findings.push((Some(("severity", s.as_str())), count(&r)?));
        }
    }
    for s in Severity::ALL {
        if !findings
            .iter()
            .any(|(l, _)| l.is_some_and(|(_, v)| v == s.as_str()))
        {
            findings.push((Some(("severity", s.as_str())), 0));
        }
    }
    gauge(
        &mut out,
        "credgov_findings_open",
        "Open inspection findings by severity",
        &findings,
    );
    Ok(out)
}

fn count(r: &sqlx::any::AnyRow) -> Result<u64, sqlx::Error> {
    Ok(u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0))
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
