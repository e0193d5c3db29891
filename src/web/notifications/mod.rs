//! The inbox (`/notifications`): every person's own notifications, all or only the
//! unread or read ones, newest first; mark one read, mark all read. The same
//! `notify::inbox` functions as the API; someone else's notification is not found.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::app::AppState;
use crate::http::Paging;
use crate::notify::inbox;
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, urlencode};
use crate::web::form::Posted;
use crate::web::format::time;
use crate::web::frame::Frame;
use crate::web::page::render;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/{id}/read", post(read_one))
}

pub struct Item {
    pub id: String,
    pub title: String,
    pub body: String,
    pub at: String,
    pub unread: bool,
    /// The case it is about, when it is about one.
    pub case_link: Option<String>,
}

pub struct Tab {
    pub value: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct InboxPage {
    frame: Frame,
    show: &'static str,
    tabs: Vec<Tab>,
    items: Vec<Item>,
    unread: i64,
    next: Option<String>,
    notice: Option<String>,
    /// Whether to link the channels page (unit admins and sysadmins).
    channels_link: bool,
}

#[derive(Deserialize)]
pub struct InboxQuery {
    show: Option<String>,
    cursor: Option<String>,
    marked: Option<u64>,
}

/// `all`, `unread` or `read` (anything else: all).
fn show_of(s: Option<&str>) -> (&'static str, Option<bool>) {
    match s {
        Some("unread") => ("unread", Some(true)),
        Some("read") => ("read", Some(false)),
        _ => ("all", None),
    }
}

/// `GET /notifications`.
pub async fn list(c: WebCaller, Query(q): Query<InboxQuery>) -> WebResult<Response> {
    let tr = c.tr;
    let (show, unread_only) = show_of(q.show.as_deref());
    let paging =
        Paging::new(Some(20), q.cursor.as_deref()).map_err(|e| WebError::domain(tr, &e))?;
    let page = inbox::list(&c.state, &c.ctx, unread_only, &paging)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let unread = inbox::unread_count(&c.state, &c.ctx)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let items = page
        .items
        .into_iter()
        .map(|n| Item {
            case_link: n
                .data
                .get("handover_id")
                .and_then(|v| v.as_str())
                .filter(|id| {
                    id.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
                })
                .map(|id| format!("/handovers/{id}")),
            id: n.id,
            title: n.title,
            body: n.body,
            at: time(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    let tabs = [
        ("all", "inbox.show_all"),
        ("unread", "inbox.show_unread"),
        ("read", "inbox.show_read"),
    ]
    .into_iter()
    .map(|(value, key)| Tab {
        value,
        label: tr.t(key),
        current: value == show,
    })
    .collect();
    let next = page
        .next_cursor
        .map(|cur| format!("/notifications?show={show}&cursor={}", urlencode(&cur)));
    let notice = q
        .marked
        .map(|n| tr.f("inbox.marked", [("n", n.to_string().as_str())]));
    Ok(render(&InboxPage {
        frame: Frame::new(&c, "/notifications", "inbox.title"),
        show,
        tabs,
        items,
        unread,
        next,
        notice,
        channels_link: crate::authz::holds_anywhere(&c.ctx, crate::authz::Permission::ChannelsRead),
    }))
}

#[derive(Deserialize)]
pub struct ShowForm {
    show: Option<String>,
}

/// `POST /notifications/{id}/read`.
pub async fn read_one(
    Path(id): Path<String>,
    Posted { caller: c, form }: Posted<ShowForm>,
) -> WebResult<Response> {
    inbox::mark_read(&c.state, &c.ctx, &id)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let (show, _) = show_of(form.show.as_deref());
    Ok(Redirect::to(&format!("/notifications?show={show}&marked=1")).into_response())
}

/// `POST /notifications/read-all`.
pub async fn read_all(Posted { caller: c, form }: Posted<ShowForm>) -> WebResult<Response> {
    let n = inbox::mark_all_read(&c.state, &c.ctx)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let (show, _) = show_of(form.show.as_deref());
    Ok(Redirect::to(&format!("/notifications?show={show}&marked={n}")).into_response())
}
