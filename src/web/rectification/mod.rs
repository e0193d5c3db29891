//! Rectification (整改) pages: the list with filters, the item page, and the steps —
//! the unit's admin submits evidence, a supervisor of a unit above accepts or returns
//! it. Each through the `rectification` service the API calls.

mod item;
mod list;
mod steps;

use axum::Router;
use axum::routing::{get, post};

use super::i18n::Tr;
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rectifications", get(list::list))
        .route("/rectifications/{id}", get(item::item))
        .route("/rectifications/{id}/submit", post(steps::submit))
        .route("/rectifications/{id}/accept", post(steps::accept))
        .route("/rectifications/{id}/return", post(steps::return_item))
}

/// A state's name in the reader's language.
pub fn state_label(tr: Tr, state: &str) -> String {
    let key = format!("rect.state.{state}");
    if tr.has(&key) {
        tr.t(&key).to_string()
    } else {
        state.to_string()
    }
}
