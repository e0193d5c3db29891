//! What can go wrong in the vault, in its own words. The HTTP edge turns a
//! [`VaultError`] into status + code + message (`domain_error!`), the CLI into a
//! sentence and an exit code. Never holds a secret: a refused password is described by
//! its score and feedback only.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::model::AccountStatus;
use super::validate::PasswordCheck;
use crate::authz::AuthzError;
use crate::crypto::KeyringError;
use crate::error::{InputError, InternalError};
use crate::identity::IdentityError;
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum VaultError {
        /// Absent, or outside every unit the caller may see; names what (`account`,
        /// `rotation`, `version`, `custodian`).
        #[error("{0} not found")]
        NotFound(&'static str) => (NotFound, "not_found"),
        #[error("the unit already has an account named {name}")]
        AccountExists { name: String } => (Conflict, "account_exists"),
        /// A rename onto a name the unit already uses.
        #[error("the unit already has an account with this name")]
        AccountNameTaken => (Conflict, "account_exists"),
        /// Bulk import: a name that was free when the file was checked was taken before
        /// the rows were written.
        #[error("an account name in the file was taken meanwhile; check the file again")]
        ImportNameTaken => (Conflict, "account_exists"),
        #[error(
            "a custodian must be an active user with the custodian or unit_admin role on this unit; grant the role first"
        )]
        NotEligibleCustodian => (Invalid, "not_eligible"),
        #[error("the user is already a custodian of this account")]
        AlreadyCustodian => (Conflict, "already_custodian"),
        #[error("this account has no current password")]
        NoCurrentPassword => (Conflict, "no_current_password"),
        #[error("the account is {}; reactivate it before rotating", .0.as_str())]
        AccountInactive(AccountStatus) => (Conflict, "account_inactive"),
        #[error("this account already has a pending rotation: confirm or cancel it first")]
        RotationPending => (Conflict, "rotation_pending"),
        /// The rotation already ended (`confirmed`, `cancelled`, or `finished` when another
        /// request ended it first).
        #[error("this rotation is already {0}")]
        RotationNotPending(String) => (Conflict, "rotation_not_pending"),
        #[error("the password does not meet the unit's password policy")]
        WeakPassword(PasswordCheck) => (Invalid, "weak_password"),
        #[error("the password was used before; choose another or let credgov generate one")]
        ReusedPassword(PasswordCheck) => (Invalid, "reused_password"),
        #[error("too many checks: at most {limit} per minute; try again in {retry_after} seconds")]
        Throttled { limit: u32, retry_after: u64 } => (Throttled, "throttled"),
        /// A history check (`policy/check` with an account) by someone who may not reveal it.
        #[error(
            "checking against an account's password history is only for people who may reveal \
             that account (its custodians and the unit's administrators); check against the \
             unit's policy with unit_id instead"
        )]
        HistoryCheckForbidden => (Forbidden, "forbidden"),
        /// A password would be handled by no accountable person (the operator).
        #[error("only a person (or a token minted by one) may handle a password here")]
        NoAccountablePerson => (Forbidden, "person_required"),
        #[error("{}", crate::crypto::RESTART_REQUIRED)]
        RestartRequired => (Busy, "restart_required"),
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Input(InputError),
        Internal(InternalError),
        Tenancy(TenancyError),
        Identity(IdentityError),
    }
    details = details;
    retry_after = retry_after;
    message_zh = message_zh;
}

pub type VaultResult<T> = Result<T, VaultError>;

/// The Chinese sentence of the refusals whose code the console words for logins
/// (`throttled`, `account_inactive`), which mean something else here.
fn message_zh(e: &VaultError) -> Option<Cow<'_, str>> {
    Some(match e {
        VaultError::Throttled { limit, retry_after } => {
            format!("检查过于频繁：每分钟最多 {limit} 次，请 {retry_after} 秒后再试。").into()
        }
        VaultError::AccountInactive(status) => {
            let status = match status {
                AccountStatus::Active => "在用",
                AccountStatus::Suspended => "已停用",
                AccountStatus::Closed => "已注销",
            };
            format!("该账号{status}，请先恢复为在用后再修改密码。").into()
        }
        _ => return None,
    })
}

impl VaultError {
    /// An internal failure with its cause (for the log only).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        VaultError::Internal(InternalError::new(cause))
    }
}

impl From<crate::identity::HashError> for VaultError {
    fn from(e: crate::identity::HashError) -> Self {
        VaultError::Identity(e.into())
    }
}

impl From<KeyringError> for VaultError {
    fn from(e: KeyringError) -> Self {
        match e {
            KeyringError::RestartRequired => VaultError::RestartRequired,
            other => VaultError::internal(other),
        }
    }
}

/// `res`, with a unique-key violation turned into `conflict()` (the guard that makes
/// "check then insert" hold with two writers).
pub(super) fn unique_or<T>(
    res: Result<T, sqlx::Error>,
    conflict: impl FnOnce() -> VaultError,
) -> VaultResult<T> {
    res.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            conflict()
        } else {
            e.into()
        }
    })
}

fn details(e: &VaultError) -> Option<Value> {
    match e {
        VaultError::WeakPassword(c) | VaultError::ReusedPassword(c) => {
            Some(json!({ "score": c.score, "min_score": c.min_score, "feedback": c.feedback }))
        }
        VaultError::Throttled { limit, .. } => Some(json!({ "limit": limit })),
        _ => None,
    }
}

fn retry_after(e: &VaultError) -> Option<u64> {
    match e {
        VaultError::Throttled { retry_after, .. } => Some(*retry_after),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use axum::http::StatusCode;

    fn http(e: VaultError) -> (StatusCode, &'static str, String, Option<Value>) {
        AppError::from(e).parts()
    }

    #[test]
    fn conditions_keep_their_status_code_and_message() {
        let (s, c, m, _) = http(VaultError::RotationPending);
        assert_eq!((s, c), (StatusCode::CONFLICT, "rotation_pending"));
        assert!(m.starts_with("this account already has a pending rotation"));
        let (s, c, m, _) = http(VaultError::NotFound("rotation"));
        assert_eq!(
            (s, c, m.as_str()),
            (StatusCode::NOT_FOUND, "not_found", "rotation not found")
        );
        let (s, c, m, _) = http(VaultError::from(KeyringError::RestartRequired));
        assert_eq!(
            (s, c, m.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "restart_required",
                crate::crypto::RESTART_REQUIRED
            )
        );
        let (s, c, m, _) = http(VaultError::AccountInactive(AccountStatus::Suspended));
        assert_eq!((s, c), (StatusCode::CONFLICT, "account_inactive"));
        assert_eq!(m, "the account is suspended; reactivate it before rotating");
    }

    #[test]
    fn throttled_carries_limit_and_retry_after() {
        let (s, c, _, d) = http(VaultError::Throttled {
            limit: 30,
            retry_after: 12,
        });
        assert_eq!((s, c), (StatusCode::TOO_MANY_REQUESTS, "throttled"));
        assert_eq!(d, Some(json!({ "limit": 30, "retry_after_seconds": 12 })));
    }

    #[test]
    fn a_weak_password_is_described_without_the_password() {
        let check = PasswordCheck {
            acceptable: false,
            score: 1,
            min_score: 3,
            feedback: vec!["add another word".into()],
            reused: None,
            notes: vec![crate::policy::StrengthNote::Suggestion(
                crate::policy::strength_note::Suggestion::AddAnotherWordOrTwo,
            )],
        };
        let (s, c, _, d) = http(VaultError::WeakPassword(check));
        assert_eq!((s, c), (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"));
        assert_eq!(
            d,
            Some(json!({ "score": 1, "min_score": 3, "feedback": ["add another word"] }))
        );
    }
}
