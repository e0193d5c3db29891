//! Fail-closed, tamper-evident audit trail. Every event is written inside the
//! transaction of the change it records (if it cannot be written, the change does not
//! happen) and is linked into its unit's chain with HMAC-SHA256 under a key derived from
//! the system key (events from before keying keep their SHA-256 links). `credgov audit
//! verify` walks every chain and names the first broken event; `credgov audit anchor`
//! signs a digest of every chain head to keep outside the database, and `verify
//! --anchor` also catches truncated, deleted or wholly rewritten chains.

mod anchor;
mod chain;
mod error;
mod job;
mod notices;
pub(crate) mod routes;
mod store;
mod verify;
#[cfg(test)]
mod write_path_guard;

pub use anchor::{ANCHOR_FORMAT, Anchor, AnchorError, AnchoredHead, take_anchor, verify_against};
pub use chain::{Canonical, GENESIS_HASH, V_HASHED, V_KEYED, event_hash, event_mac};
pub use error::{AuditError, AuditResult};
pub use job::AuditVerify;
pub use notices::report_broken;
pub use routes::router;
pub use store::{Actor, AuditEvent, Entry, Outcome, RequestMeta, TrailFilter, list, list_filtered};
pub use verify::{VerifyReport, verify_all, verify_unit};
