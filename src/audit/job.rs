//! `audit_verify` as a scheduled job (default 03:15 in the jobs' time zone): the same
//! walk as `credgov audit verify` (without an anchor, which lives outside the database);
//! a break is told to the sysadmins ([`report_broken`], once a day per break) and
//! counted, so nobody has to remember to run the command.

use super::notices::report_broken;
use super::verify::{VerifyReport, verify_all};
use crate::app::AppState;
use crate::jobs::{Counts, JobFailure, RunContext};

crate::scheduled_job! {
    /// The scheduler's handle on the audit trail verification.
    pub struct AuditVerify {
        name: "audit_verify",
        cron: "15 3 * * *",
        description: "verifies every audit chain; a break is told to the system administrators",
        run: run,
    }
}

async fn run(state: &AppState, _run: &RunContext) -> Result<Counts, JobFailure> {
    let report = verify_all(&state.db).await.map_err(JobFailure::new)?;
    report_broken(&state.db, state.now(), &report).await?;
    let mut out = Counts::new();
    match report {
        VerifyReport::Intact { chains, events } => {
            out.insert("chains".into(), i64::try_from(chains).unwrap_or(i64::MAX));
            out.insert("events".into(), i64::try_from(events).unwrap_or(i64::MAX));
            out.insert("broken".into(), 0);
        }
        VerifyReport::Broken { seq, .. } => {
            out.insert("broken".into(), 1);
            out.insert("broken_seq".into(), seq);
        }
    }
    Ok(out)
}
