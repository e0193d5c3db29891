//! The audit trail for auditors (`/audit`): one unit's chain, newest first, filtered by
//! action, actor and time range, one page at a time, with the result of verifying that
//! chain (the verification `credgov audit verify` runs, for this unit).

mod trail;

use axum::Router;
use axum::routing::get;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(trail::trail))
}
