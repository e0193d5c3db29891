//! Why a jobs command or request failed.

use crate::error::{DomainError, ErrorKind, InternalError};

#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    #[error("there is no job named {name}; the jobs are: {known}")]
    UnknownJob { name: String, known: String },
    #[error(
        "job {0} is disabled ([jobs.{0}] enabled = false); enable it in the configuration to run it"
    )]
    Disabled(String),
    #[error("job {0} is running right now (on this or another server); wait until it finishes")]
    AlreadyRunning(String),
    #[error("job {job} failed: {reason}")]
    RunFailed { job: String, reason: String },
    #[error(
        "job {0} lost its lease (the database did not answer in time); another server will finish the run"
    )]
    LeaseLost(String),
    #[error("the job scheduler could not start: {0}")]
    Ticker(String),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<sqlx::Error> for JobsError {
    fn from(e: sqlx::Error) -> Self {
        JobsError::Internal(e.into())
    }
}

impl DomainError for JobsError {
    fn own_kind(&self) -> ErrorKind {
        match self {
            JobsError::UnknownJob { .. } => ErrorKind::NotFound,
            JobsError::Disabled(_) | JobsError::AlreadyRunning(_) => ErrorKind::Conflict,
            JobsError::RunFailed { .. }
            | JobsError::LeaseLost(_)
            | JobsError::Ticker(_)
            | JobsError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn own_code(&self) -> &'static str {
        match self {
            JobsError::UnknownJob { .. } => "not_found",
            JobsError::Disabled(_) => "job_disabled",
            JobsError::AlreadyRunning(_) => "job_running",
            JobsError::RunFailed { .. } => "job_failed",
            JobsError::LeaseLost(_) => "job_lease_lost",
            JobsError::Ticker(_) | JobsError::Internal(_) => "internal",
        }
    }
}

crate::domain_error!(JobsError);
