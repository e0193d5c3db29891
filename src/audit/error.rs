//! Why reading, verifying or anchoring the audit trail failed. Writing an event fails
//! only for internal reasons (no chain key, the database), so [`crate::db::Tx::audit`]
//! returns [`InternalError`] and every capability's enum takes it as it is.

use crate::error::{DomainError, ErrorKind, InternalError};

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum AuditError {
        /// This database handle has no chain key: nothing can be linked or verified.
        #[error("the audit chain key is not loaded")]
        ChainKeyMissing,
        /// An anchor file that is not one, or whose signature does not verify.
        #[error(transparent)]
        Anchor(#[from] super::AnchorError),
    }
    #[error(transparent)]
    nested {
        Internal(InternalError),
    }
}

impl DomainError for AuditError {
    fn nested(&self) -> Option<&dyn DomainError> {
        self.nested_error()
    }

    fn own_kind(&self) -> ErrorKind {
        match self {
            AuditError::Anchor(_) => ErrorKind::Invalid,
            // Nested errors answer through `nested`.
            AuditError::ChainKeyMissing | AuditError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn own_code(&self) -> &'static str {
        match self {
            AuditError::Anchor(_) => "invalid_anchor",
            AuditError::ChainKeyMissing | AuditError::Internal(_) => "internal",
        }
    }
}

crate::domain_error!(AuditError);

pub type AuditResult<T> = Result<T, AuditError>;
