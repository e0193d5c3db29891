//! The installation's SMTP relay (`/admin/smtp`), for system administrators of the root
//! unit: `notify::smtp::get` and `put`, as `GET/PUT /api/v1/notify/smtp`. The password
//! is write-only: the page says whether one is stored and shows its fingerprint; an
//! empty password field keeps it (the service's rule), and what was typed is never put
//! back on the page.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::notify::channels::email::SmtpTls;
use crate::notify::smtp::{self, SmtpView, input::SmtpInput};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, refusal};
use crate::web::form::Posted;
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::render_status;

/// The form's fields as shown: the stored relay, or what was sent on a refused form
/// (never the password).
#[derive(Default)]
pub struct Fields {
    pub host: String,
    pub port: String,
    pub tls: String,
    pub username: String,
    pub from: String,
    pub reply_to: String,
}

impl Fields {
    fn of(v: &SmtpView) -> Fields {
        Fields {
            host: v.host.clone().unwrap_or_default(),
            port: v.port.map_or_else(|| "587".to_string(), |p| p.to_string()),
            tls: v.tls.unwrap_or(SmtpTls::Starttls).as_str().to_string(),
            username: v.username.clone().unwrap_or_default(),
            from: v.from.clone().unwrap_or_default(),
            reply_to: v.reply_to.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/smtp.html")]
struct SmtpPage {
    frame: Frame,
    fields: Fields,
    /// TLS modes: value, label, chosen.
    modes: Vec<(&'static str, &'static str, bool)>,
    configured: bool,
    password_fingerprint: Option<String>,
    updated: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

/// The relay's page; `sent`: the fields of a refused form, shown instead of the stored
/// ones.
async fn page(
    c: &WebCaller,
    sent: Option<Fields>,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let view = smtp::get(&c.state, &c.ctx)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let fields = sent.unwrap_or_else(|| Fields::of(&view));
    let modes = SmtpTls::ALL
        .iter()
        .map(|m| {
            let value = m.as_str();
            let label = c.tr.t(&format!("admin.smtp.tls.{value}"));
            (value, label, value == fields.tls)
        })
        .collect();
    Ok(render_status(
        status,
        &SmtpPage {
            frame: super::frame(c, "/admin/smtp", "admin.smtp.title").await?,
            fields,
            modes,
            configured: view.configured,
            password_fingerprint: view.password_fingerprint,
            updated: view.updated_at.map(format::time),
            notice,
            error,
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct SmtpQuery {
    saved: Option<String>,
}

/// `GET /admin/smtp`.
pub async fn show(c: WebCaller, Query(q): Query<SmtpQuery>) -> WebResult<Response> {
    let notice = q.saved.map(|_| c.tr.t("admin.smtp.saved").to_string());
    page(&c, None, notice, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct SmtpForm {
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    tls: String,
    #[serde(default)]
    username: String,
    /// Empty: keep the stored password.
    password: Option<Zeroizing<String>>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    reply_to: String,
}

fn filled(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

/// `POST /admin/smtp`: saves the relay; a refusal comes back on the form with the
/// service's words, the password field empty.
pub async fn save(p: Posted<SmtpForm>) -> WebResult<Response> {
    let c = p.caller;
    let f = p.form;
    let sent = Fields {
        host: f.host.clone(),
        port: f.port.clone(),
        tls: f.tls.clone(),
        username: f.username.clone(),
        from: f.from.clone(),
        reply_to: f.reply_to.clone(),
    };
    let input = SmtpInput {
        // A port that is not a number is the service's "give the relay's port".
        port: f.port.trim().parse().unwrap_or(0),
        host: f.host,
        tls: f.tls,
        username: filled(&f.username),
        password: f.password.filter(|p| !p.is_empty()),
        from: f.from,
        reply_to: filled(&f.reply_to),
    };
    match smtp::put(&c.state, &c.ctx, &c.meta, input).await {
        Ok(_) => Ok(Redirect::to("/admin/smtp?saved=1").into_response()),
        Err(e) => {
            let (status, message) = refusal(c.tr, &e)?;
            page(&c, Some(sent), None, Some(message), status).await
        }
    }
}
