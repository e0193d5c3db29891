//! What can go wrong with logins, sessions, users, memberships and API tokens. The HTTP
//! edge answers with the kind's status and the code and message below; the CLI prints
//! the sentence.

use serde_json::{Value, json};

use super::hasher::HashError;
use super::lockout::IN_PROGRESS_RETRY_SECONDS;
use crate::authz::AuthzError;
use crate::error::{DomainError, ErrorKind, InputError, InternalError};
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum IdentityError {
        /// Unknown user or wrong password (the two are not told apart).
        #[error("wrong username or password")]
        InvalidCredentials,
        /// The current password given before changing it is wrong (counted toward lockout).
        #[error("current_password is wrong; repeated failures lock the account")]
        WrongCurrentPassword,
        #[error("enter the 6-digit code from your authenticator app (totp_code)")]
        MfaRequired,
        #[error("the two-factor code is wrong or expired")]
        InvalidTotp,
        #[error("this code was already used; wait for the next code")]
        TotpReplayed,
        #[error("this account is disabled or departed; ask your unit administrator")]
        AccountInactive,
        /// Locked after too many failures until this time (unix ms).
        #[error(
            "too many failed logins: this account is locked until {} (UTC)",
            crate::clock::to_rfc3339(*.0)
        )]
        Locked(i64),
        /// Not locked, but every remaining attempt is being checked right now.
        #[error(
            "too many attempts for this account are being checked right now; try again in a few seconds"
        )]
        AttemptsInProgress,
        /// Too many failed logins from the client's address; retry after this many seconds.
        #[error(
            "too many failed logins from your network address; try again in {} seconds",
            (*.0).max(1)
        )]
        Throttled(u64),
        /// The session behind the bearer token is over; the reason says why.
        #[error("{0}")]
        SessionExpired(&'static str),
        #[error("the bearer token is not a credgov token; log in again")]
        NotACredgovToken,
        #[error("unknown API token")]
        UnknownApiToken,
        #[error("this API token has been revoked")]
        ApiTokenRevoked,
        #[error("this API token has expired")]
        ApiTokenExpired,
        #[error(
            "the person who minted this API token no longer holds its role on this unit; \
             ask someone who does to mint a new token"
        )]
        MinterLostRole,
        /// The signed-in user's record was deleted meanwhile.
        #[error("your account no longer exists")]
        AccountGone,
        #[error("two-factor login is already set up; a sysadmin can reset it if the device is lost")]
        TotpAlreadyEnrolled,
        #[error("start with POST /api/v1/auth/totp/enroll")]
        NoEnrollment,
        /// The pending enrolment was replaced between the check and the confirmation.
        #[error("the enrolment changed meanwhile; start again")]
        EnrollmentChanged,
        #[error("the code does not match; check the device clock and enter the current code")]
        EnrollmentCodeMismatch,
        #[error(
            "set up two-factor login first (POST /api/v1/auth/totp/enroll); acknowledging needs a fresh code"
        )]
        TotpNotEnrolled,
        #[error("the password does not meet the password policy")]
        WeakPassword {
            score: u8,
            min_score: u8,
            feedback: Vec<String>,
        },
        #[error("your password was changed meanwhile; log in again with the new one")]
        PasswordChangedMeanwhile,
        #[error("username {0} is already taken")]
        UsernameTaken(String),
        #[error("user {username} is {status}; only active users can be given roles")]
        UserInactive {
            username: String,
            status: &'static str,
        },
        #[error("the user already holds this role on this unit")]
        AlreadyMember,
        #[error("this API token is already revoked")]
        TokenAlreadyRevoked,
        #[error(
            "this is the last active sysadmin of the root unit; grant the role to someone else first"
        )]
        LastSysadmin,
        #[error("this database is already initialised (a root unit exists); init runs once")]
        AlreadyInitialised,
        /// Another `init` created the root unit between our check and our write.
        #[error("this database is already initialised")]
        InitialisedMeanwhile,
        /// Absent, or outside the caller's units; names the resource (`user`, `membership`…).
        #[error("{0} not found")]
        NotFound(&'static str),
        #[error("user {0} not found")]
        UsernameNotFound(String),
    }
    #[error(transparent)]
    nested {
        Hash(HashError),
        Tenancy(TenancyError),
        Authz(AuthzError),
        Input(InputError),
        Internal(InternalError),
    }
}

impl IdentityError {
    /// An unexpected state (a row vanished, an unknown role stored): internal.
    pub(super) fn internal(cause: impl std::fmt::Display) -> Self {
        IdentityError::Internal(InternalError::new(cause))
    }

    /// A value that breaks a rule (422 `invalid_input`).
    pub(super) fn invalid(message: &str) -> Self {
        IdentityError::Input(InputError::new(message))
    }
}

impl DomainError for IdentityError {
    fn nested(&self) -> Option<&dyn DomainError> {
        self.nested_error()
    }

    fn own_kind(&self) -> ErrorKind {
        use IdentityError::*;
        match self {
            InvalidCredentials | WrongCurrentPassword | MfaRequired | InvalidTotp
            | TotpReplayed => ErrorKind::Unauthenticated,
            SessionExpired(_) | NotACredgovToken | UnknownApiToken | ApiTokenRevoked
            | ApiTokenExpired | MinterLostRole | AccountGone => ErrorKind::Unauthenticated,
            AccountInactive => ErrorKind::Forbidden,
            Locked(_) | AttemptsInProgress => ErrorKind::Locked,
            Throttled(_) => ErrorKind::Throttled,
            TotpAlreadyEnrolled
            | NoEnrollment
            | EnrollmentChanged
            | TotpNotEnrolled
            | PasswordChangedMeanwhile
            | UsernameTaken(_)
            | UserInactive { .. }
            | AlreadyMember
            | TokenAlreadyRevoked
            | LastSysadmin
            | AlreadyInitialised
            | InitialisedMeanwhile => ErrorKind::Conflict,
            EnrollmentCodeMismatch | WeakPassword { .. } => ErrorKind::Invalid,
            NotFound(_) | UsernameNotFound(_) => ErrorKind::NotFound,
            // Nested errors answer through `nested`.
            _ => ErrorKind::Internal,
        }
    }

    fn own_code(&self) -> &'static str {
        use IdentityError::*;
        match self {
            InvalidCredentials | WrongCurrentPassword => "invalid_credentials",
            MfaRequired => "mfa_required",
            InvalidTotp | EnrollmentCodeMismatch => "invalid_totp",
            TotpReplayed => "totp_replayed",
            AccountInactive => "account_inactive",
            Locked(_) | AttemptsInProgress => "locked",
            Throttled(_) => "throttled",
            SessionExpired(_) => "session_expired",
            NotACredgovToken | UnknownApiToken | ApiTokenRevoked | ApiTokenExpired
            | MinterLostRole | AccountGone => "unauthenticated",
            TotpAlreadyEnrolled => "totp_already_enrolled",
            NoEnrollment | EnrollmentChanged => "no_enrollment",
            TotpNotEnrolled => "totp_not_enrolled",
            WeakPassword { .. } => "weak_password",
            PasswordChangedMeanwhile => "password_changed",
            UsernameTaken(_) => "username_taken",
            UserInactive { .. } => "user_inactive",
            AlreadyMember => "already_member",
            TokenAlreadyRevoked => "already_revoked",
            LastSysadmin => "last_sysadmin",
            AlreadyInitialised | InitialisedMeanwhile => "already_initialised",
            NotFound(_) | UsernameNotFound(_) => "not_found",
            // Nested errors answer through `nested`.
            _ => "internal",
        }
    }

    fn own_details(&self) -> Option<Value> {
        use IdentityError::*;
        match self {
            Locked(until) => Some(json!({ "locked_until": until })),
            AttemptsInProgress => Some(json!({ "locked_until": null })),
            WeakPassword {
                score,
                min_score,
                feedback,
            } => Some(json!({ "score": score, "min_score": min_score, "feedback": feedback })),
            _ => None,
        }
    }

    fn own_retry_after(&self) -> Option<u64> {
        match self {
            IdentityError::AttemptsInProgress => Some(IN_PROGRESS_RETRY_SECONDS),
            IdentityError::Throttled(seconds) => Some(*seconds),
            _ => None,
        }
    }
}

crate::domain_error!(IdentityError);

pub type IdentityResult<T> = Result<T, IdentityError>;
