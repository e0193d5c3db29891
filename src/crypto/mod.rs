//! Keys and sealing. The master key (KEK) comes from a file; from it derive the
//! sub-keys this build uses. Plaintext lives in `Zeroizing` buffers only.

mod key_shares;
mod keyring;
mod master_key;
mod notices;
mod seal;
mod tokens;

pub use key_shares::{KeyShare, ShareError, join as join_key_shares, split as split_key};
pub use keyring::{
    AUDIT_ANCHOR_LABEL, AUDIT_CHAIN_LABEL, Keyring, KeyringError, RESTART_REQUIRED, RotationReport,
    rotate_master_key,
};
pub use master_key::{KeyError, MasterKey};
pub use seal::{SealError, Sealed, Suite, open, seal, seal_with, suite_of};
pub use tokens::{hash_token, random_bytes, random_token};
