//! What can go wrong with units.

use crate::authz::AuthzError;
use crate::error::{InputError, InternalError};

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum TenancyError {
        /// Absent, or outside the caller's units; names the resource (`unit`, `parent unit`).
        #[error("{0} not found")]
        NotFound(&'static str) => (NotFound, "not_found"),
        #[error("a unit with this name already exists under the same parent, or the code is taken")]
        UnitExists => (Conflict, "unit_exists"),
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Input(InputError),
        Internal(InternalError),
    }
}

pub type TenancyResult<T> = Result<T, TenancyError>;
