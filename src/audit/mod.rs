//! Fail-closed, tamper-evident audit trail. Every event is written inside the
//! transaction of the change it records (if it cannot be written, the change does not
//! happen) and is linked into its unit's SHA-256 hash chain. `credgov audit verify`
//! walks every chain and names the first broken event.

mod chain;
pub(crate) mod routes;
mod store;
mod verify;

pub use chain::{GENESIS_HASH, event_hash};
pub use routes::router;
pub use store::{Actor, AuditEvent, Entry, Outcome, RequestMeta, append, list};
pub use verify::{VerifyReport, verify_all};
