//! What can go wrong with units.

use crate::authz::AuthzError;
use crate::error::{DomainError, ErrorKind, InputError, InternalError};

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum TenancyError {
        /// Absent, or outside the caller's units; names the resource (`unit`, `parent unit`).
        #[error("{0} not found")]
        NotFound(&'static str),
        #[error("a unit with this name already exists under the same parent, or the code is taken")]
        UnitExists,
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Input(InputError),
        Internal(InternalError),
    }
}

impl DomainError for TenancyError {
    fn nested(&self) -> Option<&dyn DomainError> {
        self.nested_error()
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
