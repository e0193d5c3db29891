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
mod sealed_check;
mod search;
mod secrets;
mod throttle;
mod update;
mod validate;

pub use accounts::{AccountItem, NewAccount, create_account, insert_account};
pub use bulk::insert_accounts_bulk;
pub use custodians::{CustodianCandidate, add_custodian, custodian_candidates, remove_custodian};
pub use error::{VaultError, VaultResult};
pub use import::{
    ImportError, ImportOpts, ImportReport, ImportRow, ParsedFile, import_accounts, parse_bytes,
    parse_file,
};
pub use load::{account_to_edit, account_to_rotate, list_versions, read_account};
pub use model::{
    Account, AccountStatus, Classification, Platform, RotationState, VersionMeta, VersionState,
};
pub use policy_check::{CheckFor, policy_check};
pub use reveal::{PendingSecret, Revealed, reveal_current};
pub use rotation::{RotationStarted, cancel_rotation, confirm_rotation, start_rotation};
pub use routes::router;
pub use sealed_check::check_sealed;
pub use search::{AccountFilter, search_accounts};
pub use secrets::fingerprint;
pub use update::{AccountPatch, update_account};
pub use validate::{PasswordCheck, check_password};
