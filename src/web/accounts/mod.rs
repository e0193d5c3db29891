//! Accounts (unit admins, custodians): the list with filters and search, an account's
//! page (metadata, custodians, versions, findings, publications), reveal with a reason
//! (the secret only in the POST answer, hidden again after [`reveal::HIDE_AFTER_SECONDS`]),
//! the rotation wizard (stage → copy → confirm, or cancel), and the spreadsheet import
//! (dry run, then import). Every handler calls the service function the JSON API (or,
//! for the import, the command line) calls.

mod custodians;
mod edit;
mod import;
mod import_file;
mod import_view;
mod labels;
mod list;
mod reveal;
mod rotate;
mod show;
mod strength_notes;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list::list))
        .route("/accounts/new", get(edit::new_page).post(edit::create))
        .route(
            "/accounts/import",
            get(import::page)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(import_file::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/accounts/import/confirm",
            post(import::confirm).layer(DefaultBodyLimit::max(import_file::CONFIRM_BODY_LIMIT)),
        )
        .route("/accounts/{id}", get(show::show))
        .route(
            "/accounts/{id}/edit",
            get(edit::edit_page).post(edit::update),
        )
        .route("/accounts/{id}/reveal", post(reveal::reveal))
        .route("/accounts/{id}/custodians", post(custodians::add))
        .route("/accounts/{id}/custodians/remove", post(custodians::remove))
        .route(
            "/accounts/{id}/rotate",
            get(rotate::wizard).post(rotate::stage),
        )
        .route("/accounts/{id}/rotate/strength", post(rotate::strength))
        .route("/rotations/{id}/confirm", post(rotate::confirm))
        .route("/rotations/{id}/cancel", post(rotate::cancel))
}
