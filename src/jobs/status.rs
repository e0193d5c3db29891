//! What `credgov jobs list` and `GET /api/v1/jobs` show: per job its schedule, the last
//! finished run (outcome, duration, counts), a run in progress and the next due time.

use serde::Serialize;

use super::registry::{self, Counts};
use super::store::{self, RunState, Trigger};
use crate::app::AppState;
use crate::error::InternalError;

/// One job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobStatus {
    pub name: String,
    pub description: String,
    /// Cron expression, evaluated in `timezone`.
    pub cron: String,
    pub timezone: String,
    pub enabled: bool,
    /// Next scheduled occurrence (UTC ms); null when disabled.
    pub next_run_at: Option<i64>,
    pub last_run: Option<LastRun>,
    /// A run holding a live lease right now.
    pub running: Option<CurrentRun>,
}

/// The latest finished run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastRun {
    pub run_id: String,
    pub due_at: i64,
    pub trigger: Trigger,
    /// `succeeded` or `failed`.
    pub outcome: RunState,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub duration_ms: Option<i64>,
    /// 1, or more when a server stopped mid-run and another finished it.
    pub attempts: i64,
    pub counts: Counts,
    pub error: Option<String>,
}

/// A run in progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurrentRun {
    pub run_id: String,
    pub due_at: i64,
    /// The instance (process id and a random id) holding the lease.
    pub owner: String,
    pub started_at: Option<i64>,
    pub lease_expires_at: i64,
    pub attempts: i64,
}

/// Every registered job's status, in registry order.
pub async fn list(state: &AppState) -> Result<Vec<JobStatus>, InternalError> {
    let now = state.now();
    let finished = store::latest_finished(state.db.pool()).await?;
    let running = store::running(state.db.pool(), now).await?;
    let config = &state.config.jobs;
    let mut out = Vec::new();
    for job in registry::REGISTERED {
        let name = job.name();
        let enabled = config.enabled(name);
        let schedule = config.schedule(name).map_err(InternalError::new)?;
        out.push(JobStatus {
            name: name.to_string(),
            description: job.description().to_string(),
            cron: schedule.pattern().to_string(),
            timezone: config.timezone.clone(),
            enabled,
            next_run_at: enabled.then(|| schedule.next_after(now)).flatten(),
            last_run: finished
                .iter()
                .find(|(job, _)| job == name)
                .map(|(_, run)| run.clone()),
            running: running
                .iter()
                .find(|(job, _)| job == name)
                .map(|(_, run)| run.clone()),
        });
    }
    Ok(out)
}
