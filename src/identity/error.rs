//! What can go wrong with logins, sessions, users, memberships and API tokens. The HTTP
//! edge answers with the kind's status and the code and message below; the CLI prints
//! the sentence.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::hasher::HashError;
use super::lockout::IN_PROGRESS_RETRY_SECONDS;
use crate::authz::AuthzError;
use crate::error::{InputError, InternalError};
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum IdentityError {
        /// Unknown user or wrong password (the two are not told apart).
        #[error("wrong username or password")]
        InvalidCredentials => (Unauthenticated, "invalid_credentials"),
        /// The current password given before changing it is wrong (counted toward lockout).
        #[error("current_password is wrong; repeated failures lock the account")]
        WrongCurrentPassword => (Unauthenticated, "invalid_credentials"),
        #[error("enter the 6-digit code from your authenticator app (totp_code)")]
        MfaRequired => (Unauthenticated, "mfa_required"),
        #[error("the two-factor code is wrong or expired")]
        InvalidTotp => (Unauthenticated, "invalid_totp"),
        #[error("this code was already used; wait for the next code")]
        TotpReplayed => (Unauthenticated, "totp_replayed"),
        #[error("this account is disabled or departed; ask your unit administrator")]
        AccountInactive => (Forbidden, "account_inactive"),
        /// Locked after too many failures until this time (unix ms).
        #[error(
            "too many failed logins: this account is locked until {} (UTC)",
            crate::clock::to_rfc3339(*.0)
        )]
        Locked(i64) => (Locked, "locked"),
        /// Not locked, but every remaining attempt is being checked right now.
        #[error(
            "too many attempts for this account are being checked right now; try again in a few seconds"
        )]
        AttemptsInProgress => (Locked, "locked"),
        /// Too many failed logins from the client's address; retry after this many seconds.
        #[error(
            "too many failed logins from your network address; try again in {} seconds",
            (*.0).max(1)
        )]
        Throttled(u64) => (Throttled, "throttled"),
        /// The session behind the bearer token is over; the reason says why.
        #[error("{0}")]
        SessionExpired(&'static str) => (Unauthenticated, "session_expired"),
        #[error("the bearer token is not a credgov token; log in again")]
        NotACredgovToken => (Unauthenticated, "unauthenticated"),
        #[error("unknown API token")]
        UnknownApiToken => (Unauthenticated, "unauthenticated"),
        #[error("this API token has been revoked")]
        ApiTokenRevoked => (Unauthenticated, "unauthenticated"),
        #[error("this API token has expired")]
        ApiTokenExpired => (Unauthenticated, "unauthenticated"),
        #[error(
            "the person who minted this API token no longer holds its role on this unit; \
             ask someone who does to mint a new token"
        )]
        MinterLostRole => (Unauthenticated, "unauthenticated"),
        /// The signed-in user's record was deleted meanwhile.
        #[error("your account no longer exists")]
        AccountGone => (Unauthenticated, "unauthenticated"),
        #[error("two-factor login is already set up; a sysadmin can reset it if the device is lost")]
        TotpAlreadyEnrolled => (Conflict, "totp_already_enrolled"),
        #[error("start with POST /api/v1/auth/totp/enroll")]
        NoEnrollment => (Conflict, "no_enrollment"),
        /// The pending enrolment was replaced between the check and the confirmation.
        #[error("the enrolment changed meanwhile; start again")]
        EnrollmentChanged => (Conflict, "no_enrollment"),
        #[error("the code does not match; check the device clock and enter the current code")]
        EnrollmentCodeMismatch => (Invalid, "invalid_totp"),
        #[error(
            "set up two-factor login first (POST /api/v1/auth/totp/enroll); acknowledging needs a fresh code"
        )]
        TotpNotEnrolled => (Conflict, "totp_not_enrolled"),
        #[error("the password does not meet the password policy")]
        WeakPassword {
            score: u8,
            min_score: u8,
            feedback: Vec<String>,
        } => (Invalid, "weak_password"),
        #[error("your password was changed meanwhile; log in again with the new one")]
        PasswordChangedMeanwhile => (Conflict, "password_changed"),
        #[error("username {0} is already taken")]
        UsernameTaken(String) => (Conflict, "username_taken"),
        #[error("user {username} is {status}; only active users can be given roles")]
        UserInactive {
            username: String,
            status: &'static str,
        } => (Conflict, "user_inactive"),
        #[error("the user already holds this role on this unit")]
        AlreadyMember => (Conflict, "already_member"),
        #[error("this API token is already revoked")]
        TokenAlreadyRevoked => (Conflict, "already_revoked"),
        #[error(
            "this is the last active sysadmin of the root unit; grant the role to someone else first"
        )]
        LastSysadmin => (Conflict, "last_sysadmin"),
        #[error("this database is already initialised (a root unit exists); init runs once")]
        AlreadyInitialised => (Conflict, "already_initialised"),
        /// Another `init` created the root unit between our check and our write.
        #[error("this database is already initialised")]
        InitialisedMeanwhile => (Conflict, "already_initialised"),
        /// Absent, or outside the caller's units; names the resource (`user`, `membership`…).
        #[error("{0} not found")]
        NotFound(&'static str) => (NotFound, "not_found"),
        #[error("user {0} not found")]
        UsernameNotFound(String) => (NotFound, "not_found"),
    }
    #[error(transparent)]
    nested {
        Hash(HashError),
        Tenancy(TenancyError),
        Authz(AuthzError),
        Input(InputError),
        Internal(InternalError),
    }
    details = details;
    retry_after = retry_after;
    message_zh = message_zh;
}

/// The Chinese sentence of a refusal whose code the console words for signing in
/// (`invalid_credentials`), which means something narrower here.
fn message_zh(e: &IdentityError) -> Option<Cow<'_, str>> {
    match e {
        IdentityError::WrongCurrentPassword => Some("当前密码不正确；多次输错会锁定账号。".into()),
        _ => None,
    }
}

impl IdentityError {
    /// An unexpected state (a row vanished, an unknown role stored): internal.
    pub(super) fn internal(cause: impl std::fmt::Display) -> Self {
        IdentityError::Internal(InternalError::new(cause))
    }

    /// A value that breaks a rule (422 `invalid_input`), in English and in Chinese.
    pub(super) fn invalid(message: &str, zh: &str) -> Self {
        IdentityError::Input(InputError::new(message).zh(zh))
    }
}

fn details(e: &IdentityError) -> Option<Value> {
    match e {
        IdentityError::Locked(until) => Some(json!({ "locked_until": until })),
        IdentityError::AttemptsInProgress => Some(json!({ "locked_until": null })),
        IdentityError::WeakPassword {
            score,
            min_score,
            feedback,
        } => Some(json!({ "score": score, "min_score": min_score, "feedback": feedback })),
        _ => None,
    }
}

fn retry_after(e: &IdentityError) -> Option<u64> {
    match e {
        IdentityError::AttemptsInProgress => Some(IN_PROGRESS_RETRY_SECONDS),
        IdentityError::Throttled(seconds) => Some(*seconds),
        _ => None,
    }
}

pub type IdentityResult<T> = Result<T, IdentityError>;
