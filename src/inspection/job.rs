//! `daily_scan` as a scheduled job (default 02:30 in the jobs' time zone): the same
//! [`daily_scan`] as `credgov scan`, its [`ScanCounts`] recorded as the run's counts.
//! Then it recounts the risk counters (repairing any drift) and records the day's risk
//! snapshot. Safe to repeat: a rerun refreshes the same findings.

use super::scan::{ScanCounts, daily_scan};
use crate::app::AppState;
use crate::jobs::{Counts, JobFailure, RunContext};

crate::scheduled_job! {
    /// The scheduler's handle on the daily inspection.
    pub struct DailyScan {
        name: "daily_scan",
        cron: "30 2 * * *",
        description: "daily inspection: evaluates every rule over the district, opens, refreshes and resolves findings",
        run: run,
    }
}

async fn run(state: &AppState, _run: &RunContext) -> Result<Counts, JobFailure> {
    let now = state.now();
    let counts = daily_scan(state, now).await.map_err(JobFailure::new)?;
    // The safety net under the risk counters the triggers keep: recount, repair any
    // drift (each logged), before the day's snapshot reads them.
    let drifted = crate::db::counters::repair(&state.db)
        .await
        .map_err(JobFailure::new)?;
    // The day's risk snapshot reads the findings the scan just wrote.
    let units = crate::risk::snapshots::record(state, now)
        .await
        .map_err(JobFailure::new)?;
    let mut out = job_counts(&counts);
    out.insert(
        "risk_snapshots".into(),
        i64::try_from(units).unwrap_or(i64::MAX),
    );
    out.insert(
        "risk_counters_repaired".into(),
        i64::try_from(drifted.len()).unwrap_or(i64::MAX),
    );
    Ok(out)
}

/// `open`, `opened`, `resolved` and `open.<rule>` for each rule that holds somewhere
/// (the run's own duration is recorded beside the counts).
fn job_counts(c: &ScanCounts) -> Counts {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut out = Counts::new();
    out.insert("open".into(), n(c.open));
    out.insert("opened".into(), n(c.opened));
    out.insert("resolved".into(), n(c.resolved));
    for (rule, count) in &c.by_rule {
        out.insert(format!("open.{rule}"), n(*count));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_carry_the_totals_and_each_rule() {
        let c = ScanCounts {
            open: 3,
            opened: 1,
            resolved: 2,
            by_rule: [
                ("no_custodian".to_string(), 2),
                ("weak_password".to_string(), 1),
            ]
            .into_iter()
            .collect(),
            duration_ms: 40,
        };
        let counts = job_counts(&c);
        assert_eq!(counts.get("open"), Some(&3));
        assert_eq!(counts.get("resolved"), Some(&2));
        assert_eq!(counts.get("open.weak_password"), Some(&1));
        assert_eq!(counts.len(), 5);
    }
}
