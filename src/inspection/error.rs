//! What can go wrong in inspection: reading findings (not found, not allowed, a bad
//! filter) and the database underneath a scan or a re-evaluation.

use crate::authz::AuthzError;
use crate::error::{InputError, InternalError};

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum InspectionError {}
    #[error(transparent)]
    nested {
        /// Outside the caller's units (404) or not allowed (403).
        Authz(AuthzError),
        /// A filter that names no rule, severity or state.
        Input(InputError),
        /// The database or a stored policy that does not merge; the cause goes to the log.
        Internal(InternalError),
    }
}
