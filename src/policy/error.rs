//! Why setting or clearing a unit's own policy was refused.

use serde_json::{Value, json};

use super::merge::FloorError;
use super::overrides::InvalidPolicy;
use crate::authz::AuthzError;
use crate::error::{DomainError, ErrorKind, InternalError};
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum UnitPolicyError {
        /// Unknown section, key or preset, a bad value, or a login section.
        #[error("{}", .0.message)]
        Invalid(InvalidPolicy),
        /// A value looser than the floor a unit above set.
        #[error(
            "{} {} is looser than {}, the floor set by {}; a unit may only tighten what it inherits",
            .0.key, .0.value, .0.inherited, .0.source
        )]
        Floor(Box<FloorError>),
        /// `DELETE` on a unit that only inherits.
        #[error("policy settings of this unit not found")]
        NoOwnSettings,
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Tenancy(TenancyError),
        Internal(InternalError),
    }
}

impl DomainError for UnitPolicyError {
    fn nested(&self) -> Option<&dyn DomainError> {
        self.nested_error()
    }

    fn own_kind(&self) -> ErrorKind {
        match self {
            UnitPolicyError::Invalid(_) | UnitPolicyError::Floor(_) => ErrorKind::Invalid,
            UnitPolicyError::NoOwnSettings => ErrorKind::NotFound,
            // Nested errors answer through `nested`.
            _ => ErrorKind::Internal,
        }
    }

    fn own_code(&self) -> &'static str {
        match self {
            UnitPolicyError::Invalid(_) => "invalid_policy",
            UnitPolicyError::Floor(_) => "policy_floor",
            UnitPolicyError::NoOwnSettings => "not_found",
            // Nested errors answer through `nested`.
            _ => "internal",
        }
    }

    fn own_details(&self) -> Option<Value> {
        match self {
            UnitPolicyError::Invalid(e) => Some(json!({ "key": e.key })),
            UnitPolicyError::Floor(e) => Some(json!({
                "key": e.key,
                "value": e.value,
                "inherited": e.inherited,
                "source": e.source.to_string(),
                "unit_id": e.source.unit_id(),
            })),
            _ => None,
        }
    }
}

crate::domain_error!(UnitPolicyError);

pub type UnitPolicyResult<T> = Result<T, UnitPolicyError>;
