//! What can go wrong in inspection: reading findings (not found, not allowed, a bad
//! filter) and the database underneath a scan or a re-evaluation.

use serde_json::Value;

use crate::authz::AuthzError;
use crate::error::{DomainError, ErrorKind, InputError, InternalError};

#[derive(Debug, thiserror::Error)]
pub enum InspectionError {
    /// Outside the caller's units (404) or not allowed (403).
    #[error(transparent)]
    Authz(#[from] AuthzError),
    /// A filter that names no rule, severity or state.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The database or a stored policy that does not merge; the cause goes to the log.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<sqlx::Error> for InspectionError {
    fn from(e: sqlx::Error) -> Self {
        InspectionError::Internal(e.into())
    }
}

impl DomainError for InspectionError {
    fn kind(&self) -> ErrorKind {
        match self {
            InspectionError::Authz(e) => e.kind(),
            InspectionError::Input(e) => e.kind(),
            InspectionError::Internal(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            InspectionError::Authz(e) => e.code(),
            InspectionError::Input(e) => e.code(),
            InspectionError::Internal(e) => e.code(),
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            InspectionError::Authz(e) => e.details(),
            InspectionError::Input(e) => e.details(),
            InspectionError::Internal(e) => e.details(),
        }
    }
}

crate::domain_error!(InspectionError);
