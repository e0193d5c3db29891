//! Why authorisation refused. The HTTP edge answers 404 for `NotFound` (the caller may
//! not learn the resource exists) and 403 for the rest.

use serde_json::{Value, json};

use super::Role;
use crate::error::{DomainError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthzError {
    /// Outside every subtree the caller holds a role in; `what` names the resource.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("your role does not allow this action")]
    Forbidden,
    #[error(
        "only this account's custodians and the unit's administrators may see or change its password"
    )]
    NotCustodian,
    #[error(
        "this user holds roles in units above or outside your scope; ask an administrator whose scope covers all of them"
    )]
    TargetOutOfScope,
    #[error(
        "the user holds {held}, which cannot be combined with {adding}: a system \
         administrator may not also be an auditor, unit admin or custodian \
         (three-role separation, GB/T 22239); revoke {held} first or choose another person"
    )]
    RoleConflict { held: Role, adding: Role },
    #[error("you cannot grant a role to yourself; another administrator must grant it")]
    SelfGrant,
    #[error(
        "API tokens are minted by people signed in with their own account, not by other tokens"
    )]
    TokenByToken,
    #[error(
        "API tokens cannot carry the sysadmin role; use a personal account with two-factor login"
    )]
    SysadminToken,
    #[error(
        "an API token can carry only a role you hold on this unit or above (a sysadmin may \
         also mint hr tokens); you cannot mint a {0} token here"
    )]
    TokenRoleNotHeld(Role),
    #[error(
        "passwords are shown only after a second factor: set up two-factor login \
         (POST /api/v1/auth/totp/enroll, then /auth/totp/confirm) and use it when you log in"
    )]
    SecondFactorRequired,
    #[error(
        "passwords are shown only to a person signed in with their own account and second \
         factor; API tokens and incomplete sessions cannot see secrets"
    )]
    PersonRequired,
    #[error(
        "only a supervisor of a unit above this one may accept or return its rectification; \
         supervisors of the unit itself cannot review their own unit's work"
    )]
    NotAbove,
}

impl DomainError for AuthzError {
    fn own_kind(&self) -> ErrorKind {
        match self {
            AuthzError::NotFound(_) => ErrorKind::NotFound,
            AuthzError::RoleConflict { .. } => ErrorKind::Conflict,
            AuthzError::SysadminToken => ErrorKind::Invalid,
            _ => ErrorKind::Forbidden,
        }
    }

    fn own_code(&self) -> &'static str {
        match self {
            AuthzError::NotFound(_) => "not_found",
            AuthzError::Forbidden
            | AuthzError::NotCustodian
            | AuthzError::TargetOutOfScope
            | AuthzError::NotAbove => "forbidden",
            AuthzError::RoleConflict { .. } => "role_conflict",
            AuthzError::SelfGrant => "self_grant",
            AuthzError::TokenByToken | AuthzError::PersonRequired => "person_required",
            AuthzError::SysadminToken => "invalid_input",
            AuthzError::TokenRoleNotHeld(_) => "token_role_not_held",
            AuthzError::SecondFactorRequired => "second_factor_required",
        }
    }

    fn own_details(&self) -> Option<Value> {
        match self {
            AuthzError::RoleConflict { held, adding } => {
                Some(json!({ "held": held.as_str(), "adding": adding.as_str() }))
            }
            _ => None,
        }
    }
}

crate::domain_error!(AuthzError);

pub type AuthzResult<T> = Result<T, AuthzError>;
