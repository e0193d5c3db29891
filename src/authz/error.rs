//! Why authorisation refused. The HTTP edge answers 404 for `NotFound` (the caller may
//! not learn the resource exists) and 403 for the rest.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::Role;

crate::error_enum! {
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    pub enum AuthzError {
        /// Outside every subtree the caller holds a role in; `what` names the resource.
        #[error("{0} not found")]
        NotFound(&'static str) => (NotFound, "not_found"),
        #[error("your role does not allow this action")]
        Forbidden => (Forbidden, "forbidden"),
        #[error(
            "only this account's custodians and the unit's administrators may see or change its password"
        )]
        NotCustodian => (Forbidden, "forbidden"),
        #[error(
            "this user holds roles in units above or outside your scope; ask an administrator whose scope covers all of them"
        )]
        TargetOutOfScope => (Forbidden, "forbidden"),
        #[error(
            "the user holds {held}, which cannot be combined with {adding}: a system \
             administrator may not also be an auditor, unit admin or custodian \
             (three-role separation, GB/T 22239); revoke {held} first or choose another person"
        )]
        RoleConflict { held: Role, adding: Role } => (Conflict, "role_conflict"),
        #[error("you cannot grant a role to yourself; another administrator must grant it")]
        SelfGrant => (Forbidden, "self_grant"),
        #[error(
            "API tokens are minted by people signed in with their own account, not by other tokens"
        )]
        TokenByToken => (Forbidden, "person_required"),
        #[error(
            "API tokens cannot carry the sysadmin role; use a personal account with two-factor login"
        )]
        SysadminToken => (Invalid, "invalid_input"),
        #[error(
            "an API token can carry only a role you hold on this unit or above (a sysadmin may \
             also mint hr tokens); you cannot mint a {0} token here"
        )]
        TokenRoleNotHeld(Role) => (Forbidden, "token_role_not_held"),
        #[error(
            "passwords are shown only after a second factor: set up two-factor login \
             (POST /api/v1/auth/totp/enroll, then /auth/totp/confirm) and use it when you log in"
        )]
        SecondFactorRequired => (Forbidden, "second_factor_required"),
        #[error(
            "passwords are shown only to a person signed in with their own account and second \
             factor; API tokens and incomplete sessions cannot see secrets"
        )]
        PersonRequired => (Forbidden, "person_required"),
        #[error(
            "only a supervisor of a unit above this one may accept or return its rectification; \
             supervisors of the unit itself cannot review their own unit's work"
        )]
        NotAbove => (Forbidden, "forbidden"),
    }
    details = details;
    message_zh = message_zh;
}

/// The Chinese sentence of the refusal that shares its code with other invalid input.
fn message_zh(e: &AuthzError) -> Option<Cow<'_, str>> {
    match e {
        AuthzError::SysadminToken => {
            Some("接口令牌不能具有系统管理员角色；请使用开启了两步验证的个人账号。".into())
        }
        _ => None,
    }
}

fn details(e: &AuthzError) -> Option<Value> {
    match e {
        AuthzError::RoleConflict { held, adding } => {
            Some(json!({ "held": held.as_str(), "adding": adding.as_str() }))
        }
        _ => None,
    }
}

pub type AuthzResult<T> = Result<T, AuthzError>;
