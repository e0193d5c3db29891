//! What can go wrong with content freshness: the account (not found, not allowed, not
//! a content account), the input (a date in the future, a bad URL), an import file
//! whose rows do not all check out, and the database underneath.

use serde_json::{Value, json};

use crate::authz::AuthzError;
use crate::error::{DomainError, ErrorKind, InputError, InternalError};
use crate::tenancy::TenancyError;

#[derive(Debug, thiserror::Error)]
pub enum FreshnessError {
    #[error("account not found")]
    NotFound,
    /// The file cannot be read as a publication log (encoding, CSV syntax, columns).
    #[error("{0}")]
    File(String),
    /// Rows that do not check out (each with its row number); nothing was written.
    #[error("{} row(s) of the file have problems; nothing was imported", problems.len())]
    Rows { problems: Vec<String> },
    #[error(transparent)]
    Authz(#[from] AuthzError),
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<sqlx::Error> for FreshnessError {
    fn from(e: sqlx::Error) -> Self {
        FreshnessError::Internal(e.into())
    }
}

impl DomainError for FreshnessError {
    fn nested(&self) -> Option<&dyn DomainError> {
        match self {
            FreshnessError::Authz(e) => Some(e),
            FreshnessError::Tenancy(e) => Some(e),
            FreshnessError::Input(e) => Some(e),
            FreshnessError::Internal(e) => Some(e),
            _ => None,
        }
    }
    fn own_kind(&self) -> ErrorKind {
        match self {
            FreshnessError::NotFound => ErrorKind::NotFound,
            _ => ErrorKind::Invalid,
        }
    }
    fn own_code(&self) -> &'static str {
        match self {
            FreshnessError::NotFound => "not_found",
            FreshnessError::File(_) => "unreadable_file",
            FreshnessError::Rows { .. } => "invalid_rows",
            // Nested errors answer through `nested`.
            _ => "internal",
        }
    }
    fn own_details(&self) -> Option<Value> {
        match self {
            FreshnessError::Rows { problems } => Some(json!({ "problems": problems })),
            _ => None,
        }
    }
}

crate::domain_error!(FreshnessError);
