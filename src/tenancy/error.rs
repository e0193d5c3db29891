//! What can go wrong with units.

use crate::authz::AuthzError;
use crate::error::{DomainError, ErrorKind, InputError, InternalError};

#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    /// Absent, or outside the caller's units; names the resource (`unit`, `parent unit`).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("a unit with this name already exists under the same parent, or the code is taken")]
    UnitExists,
    #[error(transparent)]
    Authz(#[from] AuthzError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<sqlx::Error> for TenancyError {
    fn from(e: sqlx::Error) -> Self {
        TenancyError::Internal(e.into())
    }
}

impl DomainError for TenancyError {
    fn nested(&self) -> Option<&dyn DomainError> {
        match self {
            TenancyError::Authz(e) => Some(e),
            TenancyError::Input(e) => Some(e),
            TenancyError::Internal(e) => Some(e),
            _ => None,
        }
    }

    fn own_kind(&self) -> ErrorKind {
        match self {
            TenancyError::NotFound(_) => ErrorKind::NotFound,
            TenancyError::UnitExists => ErrorKind::Conflict,
            // Nested errors answer through `nested`.
            _ => ErrorKind::Internal,
        }
    }

    fn own_code(&self) -> &'static str {
        match self {
            TenancyError::NotFound(_) => "not_found",
            TenancyError::UnitExists => "unit_exists",
            // Nested errors answer through `nested`.
            _ => "internal",
        }
    }
}

crate::domain_error!(TenancyError);

pub type TenancyResult<T> = Result<T, TenancyError>;
