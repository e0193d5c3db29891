//! Handover pages (交接): report a staff change (HR), the case list, a case with its
//! items and checklist, the successor's TOTP acknowledgement, sign-off, cancel, and the
//! printable 交接单. Every step calls the same `handover` service the API calls.

mod actions;
mod case;
mod list;
mod report;
mod view;

pub(super) use view::event_label;

use axum::Router;
use axum::routing::{get, post};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/handovers", get(list::list))
        .route("/handovers/new", get(report::form).post(report::submit))
        .route("/handovers/{id}", get(case::page))
        .route("/handovers/{id}/print", get(case::print))
        .route(
            "/handovers/{id}/items/{item_id}/complete",
            post(actions::complete),
        )
        .route("/handovers/{id}/checklist", post(actions::checklist))
        .route("/handovers/{id}/acknowledge", post(actions::acknowledge))
        .route("/handovers/{id}/sign-off", post(actions::sign_off))
        .route("/handovers/{id}/cancel", post(actions::cancel))
}
