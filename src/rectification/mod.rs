//! Rectification (整改): "发现一起、整改一起". A finding at or above the policy's
//! `rectification.min_severity` opens one item for its unit, due in working days
//! (`sync`, called at the end of the daily scan and of every re-evaluation, in the same
//! transaction). The unit's admin submits evidence; a supervisor of a unit strictly
//! above accepts or returns it (`workflow`). An item closes by itself when its finding
//! clears (`auto_resolved`); accepting while the condition still holds is a risk
//! acceptance with an expiry, after which the item reopens. Past its deadline an open
//! or returned item is overdue (a flag, not a state) and escalated once to the unit
//! above (`escalated_at`, `escalated_to`).

mod error;
mod item;
mod list;
mod notices;
pub(crate) mod routes;
mod state;
mod sync;
mod workflow;

pub use error::RectificationError;
pub use item::{Rectification, read};
pub use list::{RectificationFilter, Turn, awaiting, list_rectifications};
pub use routes::router;
pub use state::RectificationState;
pub(crate) use sync::sync;
pub use sync::{SyncCounts, sync_all};
pub use workflow::{AcceptInput, accept, return_item, submit};
