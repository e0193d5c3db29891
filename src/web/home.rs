//! The home page: who you are, your roles, what waits for you.

use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::caller::WebCaller;
use super::error::{WebError, WebResult};
use super::frame::Frame;
use super::page::render;
use crate::notify::inbox;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    roles: Vec<String>,
    unread: i64,
    notice: Option<&'static str>,
    lists: super::home_lists::HomeLists,
}

#[derive(Deserialize)]
pub struct HomeQuery {
    enrolled: Option<String>,
    password_changed: Option<String>,
}

/// `GET /`.
pub async fn home(c: WebCaller, Query(q): Query<HomeQuery>) -> WebResult<Response> {
    let tr = c.tr;
    let mut roles: Vec<String> = c
        .ctx
        .grants
        .iter()
        .map(|g| tr.t(&format!("role.{}", g.role.as_str())).to_string())
        .collect();
    roles.sort();
    roles.dedup();
    let unread = match c.ctx.user_id() {
        Some(_) => inbox::unread_count(&c.state, &c.ctx)
            .await
            .map_err(|e| WebError::domain(tr, &e))?,
        None => 0,
    };
    let notice = if q.enrolled.is_some() {
        Some(tr.t("enroll.done"))
    } else if q.password_changed.is_some() {
        Some(tr.t("password.done"))
    } else {
        None
    };
    Ok(render(&HomePage {
        frame: Frame::new(&c, "/", "home.title"),
        roles,
        unread,
        notice,
        lists: super::home_lists::lists(&c).await?,
    })
    .into_response())
}
