//! Why a rectification step was refused.

use serde_json::{Value, json};

use super::state::RectificationState;
use crate::authz::AuthzError;
use crate::error::{InputError, InternalError};

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum RectificationError {
        #[error("rectification not found")]
        NotFound => (NotFound, "not_found"),
        /// The step does not apply to the item's state (e.g. accepting an open item).
        #[error("this item is {state}; {action} needs an item that is {needs}")]
        WrongState {
            state: RectificationState,
            action: &'static str,
            needs: &'static str,
        } => (Conflict, "rectification_state"),
        /// Another step on the item won a race.
        #[error("the item changed meanwhile (someone else acted on it); reload it and try again")]
        Changed => (Conflict, "rectification_changed"),
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Input(InputError),
        Internal(InternalError),
    }
    details = details;
}

fn details(e: &RectificationError) -> Option<Value> {
    match e {
        RectificationError::WrongState { state, .. } => Some(json!({ "state": state })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    #[test]
    fn codes_and_kinds() {
        let e = RectificationError::WrongState {
            state: RectificationState::Open,
            action: "accepting",
            needs: "submitted",
        };
        assert_eq!(
            (e.kind().status().as_u16(), e.code()),
            (409, "rectification_state")
        );
        assert_eq!(e.details(), Some(json!({ "state": "open" })));
        assert!(
            e.to_string()
                .contains("accepting needs an item that is submitted")
        );
        assert_eq!(RectificationError::Changed.code(), "rectification_changed");
        assert_eq!(RectificationError::NotFound.kind().status(), 404);
        let e = RectificationError::from(AuthzError::NotAbove);
        assert_eq!((e.kind().status().as_u16(), e.code()), (403, "forbidden"));
    }
}
