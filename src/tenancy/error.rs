//! What can go wrong with units.

use serde_json::Value;

use crate::authz::AuthzError;
use crate::error::{AppError, DomainError, ErrorKind, InputError, InternalError};

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
    #[error(transparent)]
    Unconverted(#[from] Unconverted),
}

impl From<sqlx::Error> for TenancyError {
    fn from(e: sqlx::Error) -> Self {
        TenancyError::Internal(e.into())
    }
}

impl DomainError for TenancyError {
    fn kind(&self) -> ErrorKind {
        match self {
            TenancyError::NotFound(_) => ErrorKind::NotFound,
            TenancyError::UnitExists => ErrorKind::Conflict,
            TenancyError::Authz(e) => e.kind(),
            TenancyError::Input(e) => e.kind(),
            TenancyError::Internal(e) => e.kind(),
            TenancyError::Unconverted(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            TenancyError::NotFound(_) => "not_found",
            TenancyError::UnitExists => "unit_exists",
            TenancyError::Authz(e) => e.code(),
            TenancyError::Input(e) => e.code(),
            TenancyError::Internal(e) => e.code(),
            TenancyError::Unconverted(e) => e.code(),
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            TenancyError::Authz(e) => e.details(),
            TenancyError::Input(e) => e.details(),
            TenancyError::Unconverted(e) => e.details(),
            _ => None,
        }
    }
}

crate::domain_error!(TenancyError);

pub type TenancyResult<T> = Result<T, TenancyError>;

/// An error from a capability that still answers with `AppError` (the audit chain's
/// `Tx::audit`, paging's cursor check), carried through unchanged: same status, code,
/// message and details. Temporary seam until those capabilities have domain errors;
/// then the enums here and in `identity` take those with `#[from]` instead.
#[derive(Debug)]
pub struct Unconverted(pub AppError);

impl std::fmt::Display for Unconverted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            AppError::Client { message, .. } => f.write_str(message),
            AppError::Internal(cause) => f.write_str(cause),
        }
    }
}

impl std::error::Error for Unconverted {}

impl DomainError for Unconverted {
    fn kind(&self) -> ErrorKind {
        const KINDS: [ErrorKind; 11] = [
            ErrorKind::BadRequest,
            ErrorKind::Invalid,
            ErrorKind::Unauthenticated,
            ErrorKind::Forbidden,
            ErrorKind::NotFound,
            ErrorKind::Conflict,
            ErrorKind::TooLarge,
            ErrorKind::Locked,
            ErrorKind::Throttled,
            ErrorKind::Busy,
            ErrorKind::Internal,
        ];
        let status = self.0.status();
        KINDS
            .into_iter()
            .find(|k| k.status() == status)
            .unwrap_or(ErrorKind::Internal)
    }

    fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Carries `retry_after_seconds` too, which the HTTP edge turns into `Retry-After`.
    fn details(&self) -> Option<Value> {
        match &self.0 {
            AppError::Client { details, .. } => details.clone(),
            AppError::Internal(_) => None,
        }
    }
}

impl From<AppError> for TenancyError {
    fn from(e: AppError) -> Self {
        TenancyError::Unconverted(Unconverted(e))
    }
}
