//! Administration (sysadmins): the unit tree, users and their roles, API tokens, the
//! scheduled jobs, notification channels (unit admins too) and the SMTP relay. Every
//! page calls the functions the API's handlers call; what the API refuses (a role
//! outside the caller's scope, the last sysadmin, a self-grant) the page refuses with
//! the same words.

mod channel_test;
mod channels;
mod jobs;
mod smtp;
mod tokens;
mod units;
mod users;

use axum::Router;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::app::AppState;
use crate::authz::{self, Permission};
use crate::http::Paging;

use super::caller::WebCaller;
use super::error::{WebError, WebResult};
use super::frame::{Frame, NavLink};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(units::index))
        .route("/admin/units", get(units::list).post(units::create))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{id}", get(users::show))
        .route("/admin/users/{id}/status", post(users::set_status))
        .route(
            "/admin/users/{id}/reset-password",
            post(users::reset_password),
        )
        .route("/admin/users/{id}/reset-totp", post(users::reset_totp))
        .route("/admin/users/{id}/unlock", post(users::unlock))
        .route("/admin/users/{id}/roles", post(users::grant))
        .route("/admin/users/{id}/roles/remove", post(users::revoke))
        .route("/admin/tokens", get(tokens::list).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/jobs", get(jobs::list))
        .route("/admin/channels", get(channels::show).post(channels::save))
        .route(
            "/admin/channels/test",
            get(channel_test::outcome).post(channel_test::send),
        )
        .route("/admin/smtp", get(smtp::show).post(smtp::save))
}

/// The administration tabs: path, label key, and the permission (held on any unit)
/// that shows the tab. The SMTP relay's tab follows `notify::smtp::may_manage`.
const TABS: &[(&str, &str, Permission)] = &[
    ("/admin/units", "admin.units.title", Permission::UnitsRead),
    ("/admin/users", "admin.users.title", Permission::UsersRead),
    (
        "/admin/tokens",
        "admin.tokens.title",
        Permission::TokensWrite,
    ),
    ("/admin/jobs", "admin.jobs.title", Permission::JobsRead),
    (
        "/admin/channels",
        "admin.channels.title",
        Permission::ChannelsRead,
    ),
];

/// The frame of the administration page `tab`, with the tabs the caller may use.
async fn frame(c: &WebCaller, tab: &str, title_key: &str) -> WebResult<Frame> {
    let mut frame = Frame::new(c, "/admin", title_key);
    let smtp = crate::notify::smtp::may_manage(&c.state, &c.ctx)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let smtp_tab = smtp.then_some(("/admin/smtp", "admin.smtp.title"));
    frame.tabs = TABS
        .iter()
        .filter(|(_, _, perm)| authz::holds_anywhere(&c.ctx, *perm))
        .map(|(href, key, _)| (*href, *key))
        .chain(smtp_tab)
        .map(|(href, key)| NavLink {
            href,
            label: c.tr.t(key),
            current: href == tab,
        })
        .collect();
    Ok(frame)
}

/// `?cursor=` of a paged admin list.
#[derive(Deserialize, Default)]
pub struct Cursor {
    cursor: Option<String>,
}

impl Cursor {
    fn paging(&self, c: &WebCaller) -> WebResult<Paging> {
        Paging::new(Some(100), self.cursor.as_deref()).map_err(|e| WebError::domain(c.tr, &e))
    }
}

/// The units the caller may choose in a form (their tree, up to 500).
async fn unit_choices(c: &WebCaller) -> WebResult<Vec<crate::tenancy::Unit>> {
    let paging = Paging::new(Some(500), None).map_err(|e| WebError::domain(c.tr, &e))?;
    Ok(crate::tenancy::list_units(&c.state, &c.ctx, &paging)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?
        .items)
}
