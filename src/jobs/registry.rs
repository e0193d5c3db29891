//! Every job the scheduler knows. Adding a job is one line in [`REGISTERED`] (plus its
//! module): its name, default cron expression and body come from its [`Job`] impl, and
//! its `[jobs.<name>]` configuration appears with the defaults.

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use super::housekeeping::Housekeeping;
use crate::app::AppState;
use crate::clock::Millis;
use crate::inspection::DailyScan;

/// What a run reports: named counts (rows deleted, accounts scanned …), stored as JSON.
pub type Counts = BTreeMap<String, i64>;

/// Why a run failed, in words for the operator. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure(pub String);

impl JobFailure {
    pub fn new(reason: impl std::fmt::Display) -> Self {
        JobFailure(reason.to_string())
    }
}

impl From<sqlx::Error> for JobFailure {
    fn from(e: sqlx::Error) -> Self {
        JobFailure(format!("database: {e}"))
    }
}

/// The occurrence a body is running.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub run_id: String,
    pub job: &'static str,
    /// When the occurrence was due (UTC ms); a manual run is due when it was asked for.
    pub due_at: Millis,
    /// 1 on the first try; more when an earlier owner stopped mid-run.
    pub attempt: i64,
}

/// A scheduled job. Its body may run again after a crash (another server takes over an
/// occurrence whose owner stopped renewing its lease), so it must be safe to repeat.
pub trait Job: Send + Sync {
    /// The name in `[jobs.<name>]`, the CLI and the API.
    fn name(&self) -> &'static str;
    /// One sentence for `credgov jobs list` and `GET /api/v1/jobs`.
    fn description(&self) -> &'static str;
    /// Cron expression used unless `[jobs.<name>] cron` says otherwise.
    fn default_cron(&self) -> &'static str;
    /// The work. Returns named counts, or why it failed.
    fn run<'a>(
        &'a self,
        state: &'a AppState,
        run: &'a RunContext,
    ) -> BoxFuture<'a, Result<Counts, JobFailure>>;
}

/// The jobs that run. One line per job.
pub static REGISTERED: &[&dyn Job] = &[
    &Housekeeping,
    &DailyScan,
    &crate::freshness::FreshnessProbe,
    &crate::audit::AuditVerify,
];

/// Jobs whose configuration is parsed and documented but whose bodies arrive with later
/// work. They are not scheduled until registered above; then drop them from this list.
pub const PLANNED: &[(&str, &str)] = &[];

/// The registered job called `name`.
pub fn find(name: &str) -> Option<&'static dyn Job> {
    REGISTERED.iter().copied().find(|j| j.name() == name)
}

/// `(name, default cron)` of every registered and planned job.
pub fn default_schedules() -> impl Iterator<Item = (&'static str, &'static str)> {
    REGISTERED
        .iter()
        .map(|j| (j.name(), j.default_cron()))
        .chain(PLANNED.iter().copied())
}

/// Registered job names, for messages.
pub fn names() -> String {
    REGISTERED
        .iter()
        .map(|j| j.name())
        .collect::<Vec<_>>()
        .join(", ")
}
