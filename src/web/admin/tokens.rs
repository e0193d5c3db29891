//! API tokens for integrations (an HR system reporting staff changes): the list, a form
//! to mint one — shown once, only its hash is kept — and revoking.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::Cursor;
use super::users::ShownOnce;
use crate::authz::{self, Permission, Role};
use crate::identity::NewApiToken;
use crate::identity::manage;
use crate::ids::{TokenId, UnitId};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, refusal};
use crate::web::form::Posted;
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::{render, render_status};

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub unit: String,
    pub created: String,
    pub expires: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    frame: Frame,
    tokens: Vec<TokenRow>,
    units: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    next: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    c: &WebCaller,
    cursor: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    authz::require_anywhere(&c.ctx, Permission::TokensWrite)
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let paging = Cursor { cursor }.paging(c)?;
    let tokens = manage::list_tokens(&c.state, &c.ctx, &paging)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let units: Vec<(String, String)> = super::unit_choices(c)
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let unit_name = |id: &UnitId| {
        units
            .iter()
            .find(|(u, _)| u.as_str() == id.as_str())
            .map_or_else(|| id.to_string(), |(_, n)| n.clone())
    };
    let rows = tokens
        .items
        .iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name.clone(),
            role: c.tr.t(&format!("role.{}", t.role.as_str())),
            unit: unit_name(&t.unit_id),
            created: format::time(t.created_at),
            expires: t
                .expires_at
                .map_or_else(|| c.tr.t("admin.tokens.never").to_string(), format::time),
            revoked: t.revoked_at.map(format::time),
        })
        .collect();
    Ok(render_status(
        status,
        &TokensPage {
            frame: super::frame(c, "/admin/tokens", "admin.tokens.title").await?,
            tokens: rows,
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), c.tr.t(&format!("role.{}", r.as_str()))))
                .collect(),
            units,
            next: tokens.next_cursor,
            error,
        },
    ))
}

/// `GET /admin/tokens`.
pub async fn list(c: WebCaller, Query(q): Query<Cursor>) -> WebResult<Response> {
    tokens_page(&c, q.cursor, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    name: String,
    role: String,
    unit_id: String,
    /// Days it lives; empty: until revoked.
    days: Option<String>,
}

/// `POST /admin/tokens`: mints a token and shows it once.
pub async fn create(p: Posted<NewTokenForm>) -> WebResult<Response> {
    let c = p.caller;
    let f = p.form;
    let Some(role) = Role::parse(&f.role) else {
        let msg = c.tr.t("admin.tokens.bad_role").to_string();
        return tokens_page(&c, None, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let days = match f.days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match d.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => Some(n),
            _ => {
                let msg = c.tr.t("admin.tokens.bad_days").to_string();
                return tokens_page(&c, None, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
    };
    let input = NewApiToken {
        name: f.name,
        role,
        unit_id: UnitId::new(f.unit_id),
        expires_at: days.map(|d| c.state.now() + d * 86_400_000),
    };
    match manage::create_token(&c.state, &c.ctx, &c.meta, input).await {
        Ok((record, token)) => Ok(render(&ShownOnce {
            heading: c
                .tr
                .f("admin.tokens.created", [("name", record.name.as_str())]),
            label: c.tr.t("admin.tokens.token"),
            value: Zeroizing::new(token),
            back: "/admin/tokens".into(),
            frame: Frame::new(&c, "/admin", "admin.tokens.title"),
        })),
        Err(e) => {
            let (status, msg) = refusal(c.tr, &e)?;
            tokens_page(&c, None, Some(msg), status).await
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke(Path(id): Path<String>, p: Posted<Empty>) -> WebResult<Response> {
    let c = p.caller;
    match manage::revoke_token(&c.state, &c.ctx, &c.meta, &TokenId::new(id)).await {
        Ok(()) => Ok(Redirect::to("/admin/tokens").into_response()),
        Err(e) => {
            let (status, msg) = refusal(c.tr, &e)?;
            tokens_page(&c, None, Some(msg), status).await
        }
    }
}
