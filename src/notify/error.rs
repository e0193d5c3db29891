//! What can go wrong with notifications (inbox, outbox, and — from the settings
//! branch — channel settings).

use serde_json::{Value, json};

use super::outbox::{Channel, OutboxState};
use crate::authz::AuthzError;
use crate::error::{InputError, InternalError};
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum NotifyError {
        #[error("notification not found")]
        NotificationNotFound => (NotFound, "not_found"),
        #[error("outbox message not found")]
        OutboxNotFound => (NotFound, "not_found"),
        /// Only failed messages go back to the queue.
        #[error("this message is {state}; only a failed message can be retried")]
        NotFailed { state: OutboxState } => (Conflict, "outbox_not_failed"),
        /// A test of a channel that neither the unit nor a unit above configures.
        #[error("no {channel} channel is set up for this unit or a unit above it; save one with PUT /units/{{id}}/channels first")]
        NoChannel { channel: Channel } => (Conflict, "channel_not_configured"),
        #[error("{}", crate::crypto::RESTART_REQUIRED)]
        RestartRequired => (Busy, "restart_required"),
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Input(InputError),
        Internal(InternalError),
        Tenancy(TenancyError),
    }
    details = details;
}

fn details(e: &NotifyError) -> Option<Value> {
    match e {
        NotifyError::NotFailed { state } => Some(json!({ "state": state })),
        NotifyError::NoChannel { channel } => Some(json!({ "channel": channel })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

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
        // The keyring's condition, in the keyring's words.
        let e = NotifyError::from(crate::crypto::KeyringError::RestartRequired);
        assert!(matches!(e, NotifyError::RestartRequired));
        assert_eq!(
            (e.kind().status().as_u16(), e.code()),
            (503, "restart_required")
        );
        assert_eq!(e.to_string(), crate::crypto::RESTART_REQUIRED);
    }
}
