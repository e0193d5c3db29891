//! Why a jobs command or request failed.

use crate::error::InternalError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum JobsError {
        #[error("there is no job named {name}; the jobs are: {known}")]
        UnknownJob { name: String, known: String } => (NotFound, "not_found"),
        #[error(
            "job {0} is disabled ([jobs.{0}] enabled = false); enable it in the configuration to run it"
        )]
        Disabled(String) => (Conflict, "job_disabled"),
        #[error("job {0} is running right now (on this or another server); wait until it finishes")]
        AlreadyRunning(String) => (Conflict, "job_running"),
        #[error("job {job} failed: {reason}")]
        RunFailed { job: String, reason: String } => (Internal, "job_failed"),
        #[error(
            "job {0} lost its lease (the database did not answer in time); another server will finish the run"
        )]
        LeaseLost(String) => (Internal, "job_lease_lost"),
        #[error("the job scheduler could not start: {0}")]
        Ticker(String) => (Internal, "internal"),
    }
    #[error(transparent)]
    nested {
        Internal(InternalError),
    }
}
