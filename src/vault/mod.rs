//! The credential vault: managed accounts (website back ends, WeChat, Weibo, Douyin,
//! registrars …), their custodians, sealed credential versions, staged rotation that
//! never loses a password, audited reveal, and the exposure ledger.

mod accounts;
mod bulk;
mod custodians;
mod error;
pub mod import;
mod load;
mod model;
mod policy_check;
mod reveal;
mod rotation;
pub(crate) mod routes;
mod secrets;
mod throttle;
mod update;
mod validate;

pub use accounts::{AccountItem, NewAccount, create_account, insert_account};
pub use bulk::insert_accounts_bulk;
pub use error::{VaultError, VaultResult};
pub use import::{
    ImportError, ImportOpts, ImportReport, ImportRow, ParsedFile, import_accounts, parse_bytes,
    parse_file,
};
pub use model::{
    Account, AccountStatus, Classification, Platform, RotationState, VersionMeta, VersionState,
};
pub use routes::router;
pub use secrets::fingerprint;
pub use update::AccountPatch;
pub use validate::{PasswordCheck, check_password};
