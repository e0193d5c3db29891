//! Why reading, verifying or anchoring the audit trail failed. Writing an event fails
//! only for internal reasons (no chain key, the database), so [`crate::db::Tx::audit`]
//! returns [`InternalError`] and every capability's enum takes it as it is.

use crate::error::InternalError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum AuditError {
        /// This database handle has no chain key: nothing can be linked or verified.
        #[error("the audit chain key is not loaded")]
        ChainKeyMissing => (Internal, "internal"),
        /// An anchor file that is not one, or whose signature does not verify.
        #[error(transparent)]
        Anchor(#[from] super::AnchorError) => (Invalid, "invalid_anchor"),
    }
    #[error(transparent)]
    nested {
        Internal(InternalError),
    }
}

pub type AuditResult<T> = Result<T, AuditError>;
