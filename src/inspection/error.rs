//! What can go wrong in inspection: reading findings (not found, not allowed, a bad
//! filter) and the database underneath a scan or a re-evaluation.

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
    fn nested(&self) -> Option<&dyn DomainError> {
        match self {
            InspectionError::Authz(e) => Some(e),
            InspectionError::Input(e) => Some(e),
            InspectionError::Internal(e) => Some(e),
        }
    }
    // Every variant is nested.
    fn own_kind(&self) -> ErrorKind {
        ErrorKind::Internal
    }
    fn own_code(&self) -> &'static str {
        "internal"
    }
}

crate::domain_error!(InspectionError);
