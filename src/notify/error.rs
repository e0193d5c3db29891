//! What can go wrong with notifications (inbox, outbox, and — from the settings
//! branch — channel settings).

use serde_json::{Value, json};

use super::outbox::OutboxState;
use crate::authz::AuthzError;
use crate::error::{DomainError, ErrorKind, InputError, InternalError};

crate::error_enum! {
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("notification not found")]
    NotificationNotFound,
    #[error("outbox message not found")]
    OutboxNotFound,
    /// Only failed messages go back to the queue.
    #[error("this message is {state}; only a failed message can be retried")]
    NotFailed { state: OutboxState },
}
#[error(transparent)]
nested {
    Authz(AuthzError),
    Input(InputError),
    Internal(InternalError),
}
}

impl DomainError for NotifyError {
    fn nested(&self) -> Option<&dyn DomainError> {
        self.nested_error()
    }
    fn own_kind(&self) -> ErrorKind {
        match self {
            NotifyError::NotificationNotFound | NotifyError::OutboxNotFound => {
                ErrorKind::NotFound
            }
            _ => ErrorKind::Conflict,
        }
    }
    fn own_code(&self) -> &'static str {
        match self {
            NotifyError::NotificationNotFound | NotifyError::OutboxNotFound => "not_found",
            _ => "outbox_not_failed",
        }
    }
    fn own_details(&self) -> Option<Value> {
        match self {
            NotifyError::NotFailed { state } => Some(json!({ "state": state })),
            _ => None,
        }
    }
}

crate::domain_error!(NotifyError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_kinds() {
        let e = NotifyError::NotFailed {
            state: OutboxState::Pending,
        };
        assert_eq!(
            (e.kind().status().as_u16(), e.code()),
            (409, "outbox_not_failed")
        );
        assert_eq!(e.details(), Some(json!({ "state": "pending" })));
        assert_eq!(NotifyError::NotificationNotFound.kind().status(), 404);
        let e = NotifyError::from(AuthzError::Forbidden);
        assert_eq!((e.kind().status().as_u16(), e.code()), (403, "forbidden"));
    }
}
