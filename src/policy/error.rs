//! Why setting or clearing a unit's own policy was refused.

use serde_json::{Value, json};

use super::merge::FloorError;
use super::overrides::InvalidPolicy;
use crate::authz::AuthzError;
use crate::error::InternalError;
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum UnitPolicyError {
        /// Unknown section, key or preset, a bad value, or a login section.
        #[error("{}", .0.message)]
        Invalid(InvalidPolicy) => (Invalid, "invalid_policy"),
        /// A value looser than the floor a unit above set.
        #[error(
            "{} {} is looser than {}, the floor set by {}; a unit may only tighten what it inherits",
            .0.key, .0.value, .0.inherited, .0.source
        )]
        Floor(Box<FloorError>) => (Invalid, "policy_floor"),
        /// `DELETE` on a unit that only inherits.
        #[error("policy settings of this unit not found")]
        NoOwnSettings => (NotFound, "not_found"),
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Tenancy(TenancyError),
        Internal(InternalError),
    }
    details = details;
}

fn details(e: &UnitPolicyError) -> Option<Value> {
    match e {
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

pub type UnitPolicyResult<T> = Result<T, UnitPolicyError>;
