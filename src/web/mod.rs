//! The web console: server-rendered pages (askama templates in `templates/`, zh-CN
//! first, English on request) over the same services as the JSON API, progressive
//! enhancement with a vendored htmx, one stylesheet, no inline script or style.
//!
//! Shapes: a page handler takes [`caller::WebCaller`] (GET) or
//! [`form::Posted<T>`] (POST, CSRF checked), calls one service function, and answers a
//! template whose struct has a [`frame::Frame`] (navigation, words, CSRF token) or a
//! [`error::WebError`]. Every string comes from [`i18n`].

mod accounts;
mod admin;
pub mod assets;
mod audit;
pub mod caller;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod form;
pub mod format;
pub mod frame;
mod handovers;
mod headers;
mod home;
mod home_lists;
pub mod i18n;
mod lang;
mod login;
mod notifications;
pub mod page;
mod pending_login;
mod rectification;
pub mod risk;
mod sealed;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use headers::CSP;

use crate::app::AppState;

/// The console's routes, with the security headers on every answer.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::login_page).post(login::login_submit))
        .route("/login/totp", post(login::totp_submit))
        .route("/logout", post(login::logout))
        .route(
            "/enroll",
            get(login::enroll_page).post(login::enroll_submit),
        )
        .route(
            "/password",
            get(login::password_page).post(login::password_submit),
        )
        .route("/lang", post(lang::switch))
        .route("/session/ping", get(ping))
        .merge(admin::router())
        .route("/assets/{name}", get(assets::serve))
        .merge(handovers::router())
        .merge(notifications::router())
        .route("/favicon.ico", get(assets::favicon))
        .merge(accounts::router())
        .merge(risk::router())
        .merge(rectification::router())
        .merge(audit::router())
        .layer(axum::middleware::from_fn(headers::secure_headers))
}

/// `GET /session/ping`: the idle clock starts again (the countdown's "stay signed in").
async fn ping(_c: caller::WebCaller) -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A page that does not exist, in the visitor's language (paths outside `/api`).
pub async fn not_found(caller::Visitor(tr): caller::Visitor) -> Response {
    let mut r = error::WebError::not_found(tr).into_response();
    for (k, v) in [
        (axum::http::header::CONTENT_SECURITY_POLICY, CSP),
        (axum::http::header::X_FRAME_OPTIONS, "DENY"),
        (axum::http::header::REFERRER_POLICY, "no-referrer"),
    ] {
        r.headers_mut()
            .insert(k, axum::http::HeaderValue::from_static(v));
    }
    r
}
