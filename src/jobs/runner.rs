//! Running occurrences: schedule what is due, claim it, run the body while renewing the
//! lease, record the outcome. Every server runs the same loop; the database decides who
//! runs what (see `store`).

use std::time::{Duration, Instant};

use super::error::JobsError;
use super::registry::{self, Counts, Job, JobFailure, RunContext};
use super::store::{self, Claimed, Outcome, RunState, Trigger};
use crate::app::AppState;
use crate::db::new_id;
use crate::error::InternalError;

/// Longest error text stored for a failed run.
const MAX_ERROR_CHARS: usize = 2000;

/// What one run of an occurrence came to.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub job: &'static str,
    pub run_id: String,
    pub due_at: i64,
    pub attempt: i64,
    pub state: RunState,
    pub duration_ms: i64,
    pub counts: Counts,
    pub error: Option<String>,
}

/// One instance's runner. The instance id names the lease owner in `job_runs.owner`.
#[derive(Clone)]
pub struct Runner {
    state: AppState,
    instance: String,
}

impl Runner {
    pub fn new(state: AppState) -> Runner {
        let instance = format!("{}-{}", std::process::id(), new_id());
        Runner { state, instance }
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Registers every job's lock row (idempotent; at start).
    pub async fn prepare(&self) -> Result<(), JobsError> {
        let names: Vec<&str> = registry::REGISTERED.iter().map(|j| j.name()).collect();
        store::register_jobs(&self.state.db, &names, self.state.now()).await?;
        Ok(())
    }

    /// One sweep: for every enabled job, schedule its latest due occurrence and run
    /// whatever of it this instance can claim. Returns what ran here.
    pub async fn tick_all(&self) -> Vec<RunReport> {
        let mut out = Vec::new();
        for job in registry::REGISTERED {
            match self.tick(*job).await {
                Ok(Some(report)) => out.push(report),
                Ok(None) => {}
                Err(e) => tracing::error!(job = job.name(), error = %e, "job tick failed"),
            }
        }
        out
    }

    /// Schedules `job`'s latest due occurrence (if none at or after it exists) and runs
    /// it when this instance wins the claim. A disabled job never runs.
    pub async fn tick(&self, job: &'static dyn Job) -> Result<Option<RunReport>, JobsError> {
        let config = &self.state.config.jobs;
        if !config.enabled(job.name()) {
            return Ok(None);
        }
        let schedule = config.schedule(job.name()).map_err(InternalError::new)?;
        let now = self.state.now();
        let mut tx = self.state.db.begin_write().await?;
        if !store::lock_job(&mut tx, job.name()).await? {
            return Ok(None);
        }
        if let Some(due) = schedule.latest_due(now) {
            store::add_occurrence(&mut tx, job.name(), due, Trigger::Schedule, now).await?;
        }
        let claimed =
            store::claim_latest(&mut tx, job.name(), &self.instance, now, self.lease_ms()).await?;
        tx.commit().await?;
        match claimed {
            Some(c) => Ok(Some(self.execute(job, c).await?)),
            None => Ok(None),
        }
    }

    /// `credgov jobs run NAME`: a manual occurrence, run here and now.
    pub async fn run_now(&self, name: &str) -> Result<RunReport, JobsError> {
        let job = registry::find(name).ok_or_else(|| JobsError::UnknownJob {
            name: name.to_string(),
            known: registry::names(),
        })?;
        if !self.state.config.jobs.enabled(name) {
            return Err(JobsError::Disabled(name.to_string()));
        }
        let now = self.state.now();
        let mut tx = self.state.db.begin_write().await?;
        if !store::lock_job(&mut tx, job.name()).await? {
            return Err(JobsError::AlreadyRunning(name.to_string()));
        }
        let due = match store::latest_due(&mut tx, job.name()).await? {
            Some(latest) if latest >= now => latest + 1,
            _ => now,
        };
        store::add_occurrence(&mut tx, job.name(), due, Trigger::Manual, now).await?;
        let claimed =
            store::claim_latest(&mut tx, job.name(), &self.instance, now, self.lease_ms())
                .await?
                .ok_or_else(|| JobsError::AlreadyRunning(name.to_string()))?;
        tx.commit().await?;
        self.execute(job, claimed).await
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.state.config.jobs.lease_seconds)
            .unwrap_or(60)
            .saturating_mul(1000)
    }

    /// Runs the body, renewing the lease every third of it. When a renewal finds the
    /// run taken over (this instance stalled past its lease), the body is dropped and
    /// nothing is recorded: the new owner finishes the occurrence.
    async fn execute(
        &self,
        job: &'static dyn Job,
        claimed: Claimed,
    ) -> Result<RunReport, JobsError> {
        let ctx = RunContext {
            run_id: claimed.run_id.clone(),
            job: job.name(),
            due_at: claimed.due_at,
            attempt: claimed.attempt,
        };
        tracing::info!(job = job.name(), run_id = %ctx.run_id, due_at = ctx.due_at, attempt = ctx.attempt, "job run started");
        let started = Instant::now();
        let lease_ms = self.lease_ms();
        let renew_every = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(1000).max(1));
        let body = job.run(&self.state, &ctx);
        // Both futures are polled together: a renewal waiting for the database (on
        // SQLite: for the write permit the body's transaction holds) never stops the body.
        let renewals = async {
            loop {
                tokio::time::sleep(renew_every).await;
                let until = self.state.now() + lease_ms;
                match store::renew(&self.state.db, &ctx.run_id, &self.instance, until).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(job = job.name(), error = %e, "renewing a job lease failed; retrying");
                    }
                }
            }
        };
        let result = tokio::select! {
            result = body => result,
            () = renewals => {
                tracing::warn!(job = job.name(), run_id = %ctx.run_id, "job run lost its lease; stopping");
                return Err(JobsError::LeaseLost(job.name().to_string()));
            }
        };
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (state, counts, error) = match result {
            Ok(counts) => (RunState::Succeeded, counts, None),
            Err(JobFailure(reason)) => (
                RunState::Failed,
                Counts::new(),
                Some(reason.chars().take(MAX_ERROR_CHARS).collect::<String>()),
            ),
        };
        let outcome = Outcome {
            state,
            finished_at: self.state.now(),
            duration_ms,
            counts: &counts,
            error: error.as_deref(),
        };
        if !store::finish(&self.state.db, &ctx.run_id, &self.instance, &outcome).await? {
            return Err(JobsError::LeaseLost(job.name().to_string()));
        }
        tracing::info!(job = job.name(), run_id = %ctx.run_id, outcome = %state, duration_ms, "job run finished");
        crate::telemetry::job_ran(job.name(), state.as_str(), duration_ms);
        Ok(RunReport {
            job: job.name(),
            run_id: claimed.run_id,
            due_at: ctx.due_at,
            attempt: ctx.attempt,
            state,
            duration_ms,
            counts,
            error,
        })
    }
}
