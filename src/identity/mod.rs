//! Who is who: users, argon2id passwords, TOTP, login with lockout, sessions, API
//! tokens and memberships.

mod api_tokens;
mod auth_audit;
mod enrolment;
mod error;
mod hasher;
mod last_admin;
mod lockout;
mod lockout_notice;
mod login;
mod members;
mod password;
pub(crate) mod password_routes;
mod rehash;
pub(crate) mod routes;
mod sessions;
mod step_up;
mod target;
mod throttle;
mod totp;
pub mod usernames;
mod users;

pub use api_tokens::{ApiToken, NewApiToken};
pub use enrolment::{logout, totp_confirm, totp_enroll};
pub use error::{IdentityError, IdentityResult};
pub use hasher::{HashError, HashPlace, PasswordHasher};
pub use login::{LoginInput, LoginOutput, login};
pub use members::Membership;
pub(crate) use members::stored_roles;
pub use password::{change_own_password, reset_password_by_username};
pub use routes::{no_store, router};
pub use sessions::{SESSION_PREFIX, SessionKind, authenticate};
pub use step_up::verify_step_up;
pub use totp::{TotpEnrollment, check_sealed_totp, code_at};
pub use users::{NewUser, User, UserStatus, create_first_admin, generate_password};

/// What the console's administration pages call: the same service functions as the
/// API's `/users`, `/units/{id}/members` and `/tokens` handlers.
pub mod manage {
    pub use super::api_tokens::{
        create as create_token, list as list_tokens, revoke as revoke_token,
    };
    pub use super::members::{
        grant, list_for_unit as members_of_unit, of_user as memberships_of, revoke,
    };
    pub use super::password::{reset_password, unlock};
    pub use super::users::{UserPatch, create_user, list_users, read_user, update_user};
}
