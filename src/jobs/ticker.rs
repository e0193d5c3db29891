//! The in-process ticker (tokio-cron-scheduler): it only wakes the [`Runner`] up — at
//! each job's cron instants (in the configured time zone) and every `sweep_seconds` —
//! and once at start, so occurrences missed while the server was down run then (the
//! latest one, once). Its own job store is never trusted: every server fires, and the
//! database claim decides which one runs.

use std::sync::Arc;
use std::time::Duration;

use tokio_cron_scheduler::{Job as TickerJob, JobScheduler};

use super::error::JobsError;
use super::registry::{self, Job};
use super::runner::Runner;
use crate::app::AppState;

/// The running ticker; dropping it does not stop it, [`Ticker::shutdown`] does.
pub struct Ticker {
    scheduler: JobScheduler,
    runner: Arc<Runner>,
}

impl Ticker {
    /// Registers the jobs' rows, starts the ticker and runs one sweep at once.
    pub async fn start(state: AppState) -> Result<Ticker, JobsError> {
        let runner = Arc::new(Runner::new(state.clone()));
        runner.prepare().await?;
        let config = &state.config.jobs;
        let tz = config.tz().map_err(JobsError::Ticker)?;
        let scheduler = JobScheduler::new().await.map_err(ticker_error)?;
        for job in registry::REGISTERED {
            if !config.enabled(job.name()) {
                tracing::info!(job = job.name(), "job disabled by configuration");
                continue;
            }
            let schedule = config.schedule(job.name()).map_err(JobsError::Ticker)?;
            let r = Arc::clone(&runner);
            let job: &'static dyn Job = *job;
            let wake = TickerJob::new_async_tz(schedule.ticker_pattern(), tz, move |_, _| {
                let r = Arc::clone(&r);
                Box::pin(async move {
                    tokio::spawn(async move {
                        if let Err(e) = r.tick(job).await {
                            tracing::error!(job = job.name(), error = %e, "job tick failed");
                        }
                    });
                })
            });
            match wake {
                Ok(w) => {
                    scheduler.add(w).await.map_err(ticker_error)?;
                }
                // An expression croner reads but the ticker does not (e.g. `@daily`):
                // the sweep still runs the job, at most `sweep_seconds` late.
                Err(e) => {
                    tracing::warn!(job = job.name(), error = ?e, "no cron wake-up for this expression; the sweep runs it")
                }
            }
        }
        let r = Arc::clone(&runner);
        let sweep = TickerJob::new_repeated_async(
            Duration::from_secs(config.sweep_seconds),
            move |_, _| {
                let r = Arc::clone(&r);
                Box::pin(async move {
                    tokio::spawn(async move {
                        r.tick_all().await;
                    });
                })
            },
        )
        .map_err(ticker_error)?;
        scheduler.add(sweep).await.map_err(ticker_error)?;
        scheduler.start().await.map_err(ticker_error)?;
        let first = Arc::clone(&runner);
        tokio::spawn(async move {
            first.tick_all().await;
        });
        tracing::info!(instance = runner.instance(), "job scheduler started");
        Ok(Ticker { scheduler, runner })
    }

    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    /// Stops the ticker. A run in progress is not waited for: its lease runs out and
    /// another server (or this one after a restart) finishes it.
    pub async fn shutdown(mut self) {
        if let Err(e) = self.scheduler.shutdown().await {
            tracing::warn!(error = ?e, "stopping the job ticker failed");
        }
    }
}

fn ticker_error(e: tokio_cron_scheduler::JobSchedulerError) -> JobsError {
    JobsError::Ticker(format!("{e:?}"))
}
