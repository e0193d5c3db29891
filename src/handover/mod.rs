//! Staff change → handover case (交接). An HR event revokes what the leaver held in
//! the unit at once and opens a case listing every account whose password the leaver
//! could know (rotate), whose recovery phone/e-mail the leaver holds (rebind), or that
//! would be left without a custodian (reassign), plus the materials and training
//! checklist. The successor acknowledges with a fresh TOTP code; a unit admin or
//! supervisor signs off once everything is done.

mod case;
mod case_opening;
mod case_state;
mod deadline;
mod error;
mod event_idempotency;
mod event_people;
mod events;
mod exposure;
mod list;
pub(crate) mod notices;
mod revocation;
pub(crate) mod routes;
mod sheet;
mod signature;
mod workflow;

pub use case::{
    ChecklistEntry, Handover, HandoverAction, HandoverItem, PersonRef, read as read_case,
};
pub use case_state::CaseState;
pub use case_state::ShownState;
pub use error::{HandoverError, HandoverResult};
pub use event_idempotency::request_hash as events_key;
pub use events::{EventInput, EventResult, EventType, record_event};
pub use list::{cases_awaiting, list as list_cases, successor_cases};
pub use routes::router;
pub use signature::{sign, verify_signature};
pub use workflow::{acknowledge, cancel, complete_action, confirm_checklist, sign_off};
