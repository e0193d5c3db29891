//! What can go wrong reading risk: a unit outside the caller's reach, a bad filter,
//! the database underneath.

use crate::authz::AuthzError;
use crate::error::{InputError, InternalError};
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum RiskError {}
    #[error(transparent)]
    nested {
        /// Outside the caller's units (404) or not allowed (403).
        Authz(AuthzError),
        /// The unit named does not exist or is not the caller's.
        Tenancy(TenancyError),
        /// A filter or cursor that cannot be read.
        Input(InputError),
        /// The database; the cause goes to the log.
        Internal(InternalError),
    }
}
