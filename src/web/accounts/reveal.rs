//! `POST /accounts/{id}/reveal`: the reason is required (the service checks it and
//! audits the reveal); the answer is the only page that carries the secret, in a block
//! the browser empties after [`HIDE_AFTER_SECONDS`], with show and copy buttons and the
//! managed TOTP code with its countdown. Never in a URL, a log line, or another page.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::{DomainError, ErrorKind};
use crate::ids::AccountId;
use crate::vault::{read_account, reveal_current};
use crate::web::error::{WebError, WebResult};
use crate::web::form::Posted;
use crate::web::frame::Frame;
use crate::web::page::render;

/// Seconds a revealed password stays on the screen.
pub const HIDE_AFTER_SECONDS: u32 = 30;

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    reason: String,
}

pub struct Pending {
    pub version: i64,
    pub password: Zeroizing<String>,
}

#[derive(Template)]
#[template(path = "accounts/revealed.html")]
struct RevealedPage {
    frame: Frame,
    id: String,
    name: String,
    login_name: String,
    version: i64,
    password: Zeroizing<String>,
    totp_code: Option<String>,
    totp_remaining: u64,
    pending: Option<Pending>,
    hide_after: u32,
}

/// `POST /accounts/{id}/reveal`.
pub async fn reveal(
    Path(id): Path<String>,
    Posted { caller: c, form }: Posted<RevealForm>,
) -> WebResult<Response> {
    let tr = c.tr;
    let id = AccountId::new(id);
    let mut r = reveal_current(&c.state, &c.ctx, &c.meta, &id, &form.reason)
        .await
        .map_err(|e| {
            if e.kind() == ErrorKind::Invalid && e.code() == "invalid_input" {
                WebError::page(tr, StatusCode::UNPROCESSABLE_ENTITY, "reveal.reason_needed")
            } else {
                WebError::domain(tr, &e)
            }
        })?;
    let account = read_account(&c.state, &c.ctx, &id)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let mut frame = Frame::new(&c, "/accounts", "reveal.title");
    frame.title = format!("{} · {}", tr.t("reveal.title"), account.name);
    Ok(render(&RevealedPage {
        frame,
        id: account.id.as_str().to_string(),
        name: account.name,
        login_name: std::mem::take(&mut r.login_name),
        version: r.version,
        password: Zeroizing::new(std::mem::take(&mut r.password)),
        totp_code: r.totp_code.take(),
        totp_remaining: r.totp_valid_for.unwrap_or(0),
        pending: r.pending.as_mut().map(|p| Pending {
            version: p.version,
            password: Zeroizing::new(std::mem::take(&mut p.password)),
        }),
        hide_after: HIDE_AFTER_SECONDS,
    }))
}
