//! Users: the list, a form to add one, and each user's page with their roles and the
//! actions an administrator takes (disable, enable, mark departed, reset the password —
//! shown once —, clear TOTP, unlock, grant or remove a role).

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::Cursor;
use crate::authz::Role;
use crate::identity::manage::{self, UserPatch};
use crate::identity::{Membership, NewUser, User, UserStatus};
use crate::ids::{UnitId, UserId};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, refusal};
use crate::web::form::Posted;
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::{render, render_status};

pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub status: &'static str,
    pub totp: &'static str,
    pub locked: bool,
}

fn row(c: &WebCaller, u: &User) -> UserRow {
    UserRow {
        id: u.id.to_string(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        status: c.tr.t(&format!("user_status.{}", u.status.as_str())),
        totp: c.tr.t(if u.totp_enrolled {
            "common.yes"
        } else {
            "common.no"
        }),
        locked: u.locked_until.is_some_and(|t| t > c.state.now()),
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    frame: Frame,
    users: Vec<UserRow>,
    units: Vec<(String, String)>,
    /// Whether the caller may add users (the form is not shown otherwise).
    may_write: bool,
    next: Option<String>,
    error: Option<String>,
}

async fn users_page(
    c: &WebCaller,
    cursor: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let paging = Cursor { cursor }.paging(c)?;
    let users = manage::list_users(&c.state, &c.ctx, &paging)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let units = super::unit_choices(c)
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    Ok(render_status(
        status,
        &UsersPage {
            frame: super::frame(c, "/admin/users", "admin.users.title").await?,
            users: users.items.iter().map(|u| row(c, u)).collect(),
            units,
            may_write: crate::authz::holds_anywhere(&c.ctx, crate::authz::Permission::UsersWrite),
            next: users.next_cursor,
            error,
        },
    ))
}

/// `GET /admin/users`.
pub async fn list(c: WebCaller, Query(q): Query<Cursor>) -> WebResult<Response> {
    users_page(&c, q.cursor, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NewUserForm {
    username: String,
    display_name: String,
    unit_id: String,
    phone: Option<String>,
    email: Option<String>,
}

/// What is shown once: a generated password or a new API token.
#[derive(Template)]
#[template(path = "admin/shown_once.html")]
pub struct ShownOnce {
    pub frame: Frame,
    pub heading: String,
    pub label: &'static str,
    pub value: Zeroizing<String>,
    pub back: String,
}

fn given(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `POST /admin/users`: a new user with a generated password, shown once.
pub async fn create(p: Posted<NewUserForm>) -> WebResult<Response> {
    let c = p.caller;
    let f = p.form;
    let input = NewUser {
        username: f.username,
        display_name: f.display_name,
        password: None,
        phone: given(f.phone),
        email: given(f.email),
        unit_id: Some(UnitId::new(f.unit_id)),
    };
    match manage::create_user(&c.state, &c.ctx, &c.meta, input).await {
        Ok((user, generated)) => Ok(render(&ShownOnce {
            heading: c
                .tr
                .f("admin.users.created", [("name", user.username.as_str())]),
            label: c.tr.t("admin.users.initial_password"),
            value: generated.unwrap_or_default(),
            back: format!("/admin/users/{}", user.id),
            frame: Frame::new(&c, "/admin", "admin.users.title"),
        })),
        Err(e) => {
            let (status, msg) = refusal(c.tr, &e)?;
            users_page(&c, None, Some(msg), status).await
        }
    }
}

pub struct RoleRow {
    pub unit_id: String,
    pub unit_name: String,
    pub role: &'static str,
    pub role_label: &'static str,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    frame: Frame,
    user: UserRow,
    unit_name: String,
    created: String,
    locked_until: Option<String>,
    roles: Vec<RoleRow>,
    units: Vec<(String, String)>,
    all_roles: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct UserQuery {
    done: Option<String>,
}

async fn user_page(
    c: &WebCaller,
    id: &UserId,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let user = manage::read_user(&c.state, &c.ctx, id)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let memberships: Vec<Membership> = manage::memberships_of(c.state.db.pool(), id)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let units: Vec<(String, String)> = super::unit_choices(c)
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let unit_name = units
        .iter()
        .find(|(uid, _)| *uid == user.unit_id.to_string())
        .map_or_else(|| user.unit_id.to_string(), |(_, n)| n.clone());
    Ok(render_status(
        status,
        &UserPage {
            frame: super::frame(c, "/admin/users", "admin.user.title").await?,
            unit_name,
            created: format::time(user.created_at),
            locked_until: user
                .locked_until
                .filter(|t| *t > c.state.now())
                .map(format::time),
            roles: memberships
                .iter()
                .map(|m| RoleRow {
                    unit_id: m.unit_id.to_string(),
                    unit_name: m.unit_name.clone(),
                    role: m.role.as_str(),
                    role_label: c.tr.t(&format!("role.{}", m.role.as_str())),
                })
                .collect(),
            units,
            all_roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), c.tr.t(&format!("role.{}", r.as_str()))))
                .collect(),
            user: row(c, &user),
            notice,
            error,
        },
    ))
}

/// `GET /admin/users/{id}`.
pub async fn show(
    c: WebCaller,
    Path(id): Path<String>,
    Query(q): Query<UserQuery>,
) -> WebResult<Response> {
    let notice = q.done.map(|_| c.tr.t("admin.user.saved").to_string());
    user_page(&c, &UserId::new(id), notice, None, StatusCode::OK).await
}

/// After an action: back to the user's page, or the page again with what went wrong.
async fn after<T, E: crate::error::DomainError>(
    c: &WebCaller,
    id: &UserId,
    result: Result<T, E>,
) -> WebResult<Response> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?done=1")).into_response()),
        Err(e) => {
            let (status, msg) = refusal(c.tr, &e)?;
            user_page(c, id, None, Some(msg), status).await
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

/// `POST /admin/users/{id}/status`: active, disabled or departed.
pub async fn set_status(Path(id): Path<String>, p: Posted<StatusForm>) -> WebResult<Response> {
    let c = p.caller;
    let id = UserId::new(id);
    let status = UserStatus::parse(&p.form.status).ok_or_else(|| WebError::not_found(c.tr))?;
    let patch = UserPatch {
        status: Some(status),
        ..UserPatch::default()
    };
    let r = manage::update_user(&c.state, &c.ctx, &c.meta, &id, patch).await;
    after(&c, &id, r).await
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /admin/users/{id}/reset-totp`: the user enrols again (lost phone).
pub async fn reset_totp(Path(id): Path<String>, p: Posted<Empty>) -> WebResult<Response> {
    let c = p.caller;
    let id = UserId::new(id);
    let patch = UserPatch {
        reset_totp: true,
        ..UserPatch::default()
    };
    let r = manage::update_user(&c.state, &c.ctx, &c.meta, &id, patch).await;
    after(&c, &id, r).await
}

/// `POST /admin/users/{id}/unlock`.
pub async fn unlock(Path(id): Path<String>, p: Posted<Empty>) -> WebResult<Response> {
    let c = p.caller;
    let id = UserId::new(id);
    let r = manage::unlock(&c.state, &c.ctx, &c.meta, &id).await;
    after(&c, &id, r).await
}

/// `POST /admin/users/{id}/reset-password`: a one-time password, shown once; the user
/// must change it at the next sign-in.
pub async fn reset_password(Path(id): Path<String>, p: Posted<Empty>) -> WebResult<Response> {
    let c = p.caller;
    let id = UserId::new(id);
    match manage::reset_password(&c.state, &c.ctx, &c.meta, &id).await {
        Ok((user, one_time)) => Ok(render(&ShownOnce {
            heading: c
                .tr
                .f("admin.user.reset_done", [("name", user.username.as_str())]),
            label: c.tr.t("admin.user.one_time_password"),
            value: one_time,
            back: format!("/admin/users/{id}"),
            frame: Frame::new(&c, "/admin", "admin.user.title"),
        })),
        Err(e) => after::<(), _>(&c, &id, Err(e)).await,
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    unit_id: String,
    role: String,
}

/// `POST /admin/users/{id}/roles`: grants a role on a unit.
pub async fn grant(Path(id): Path<String>, p: Posted<RoleForm>) -> WebResult<Response> {
    let c = p.caller;
    let id = UserId::new(id);
    let role = Role::parse(&p.form.role).ok_or_else(|| WebError::not_found(c.tr))?;
    let unit = UnitId::new(p.form.unit_id);
    let r = manage::grant(&c.state, &c.ctx, &c.meta, &unit, &id, role).await;
    after(&c, &id, r).await
}

/// `POST /admin/users/{id}/roles/remove`: removes a role on a unit.
pub async fn revoke(Path(id): Path<String>, p: Posted<RoleForm>) -> WebResult<Response> {
    let c = p.caller;
    let id = UserId::new(id);
    let role = Role::parse(&p.form.role).ok_or_else(|| WebError::not_found(c.tr))?;
    let unit = UnitId::new(p.form.unit_id);
    let r = manage::revoke(&c.state, &c.ctx, &c.meta, &unit, &id, role).await;
    after(&c, &id, r).await
}
