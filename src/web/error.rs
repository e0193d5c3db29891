//! What a page answers when something goes wrong: a redirect to sign in, or an error
//! page in the reader's language that says what to do. Domain errors keep their kind
//! (404 stays 404 and shows nothing of what was asked for); a 5xx says nothing internal
//! and logs the cause.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::cookies;
use super::i18n::Tr;
use crate::error::{DomainError, ErrorKind};

#[derive(Debug)]
pub enum WebError {
    /// No (valid) session: sign in, then come back to `next`.
    SignIn { next: String, expired: bool },
    /// Go elsewhere first (to set a password or enrol TOTP).
    Redirect(String),
    /// An error page.
    Page {
        status: StatusCode,
        tr: Tr,
        message: String,
    },
}

pub type WebResult<T> = Result<T, WebError>;

impl WebError {
    pub fn page(tr: Tr, status: StatusCode, key: &str) -> WebError {
        WebError::Page {
            status,
            tr,
            message: tr.t(key).to_string(),
        }
    }

    pub fn not_found(tr: Tr) -> WebError {
        WebError::page(tr, StatusCode::NOT_FOUND, "error.not_found")
    }

    pub fn forbidden(tr: Tr) -> WebError {
        WebError::page(tr, StatusCode::FORBIDDEN, "error.forbidden")
    }

    pub fn csrf(tr: Tr) -> WebError {
        WebError::page(tr, StatusCode::FORBIDDEN, "error.csrf")
    }

    /// A domain error as a page: its kind's status, and the message in the reader's
    /// language (see [`message`]).
    pub fn domain<E: DomainError + ?Sized>(tr: Tr, e: &E) -> WebError {
        let kind = e.kind();
        if kind == ErrorKind::Internal {
            tracing::error!(error = %e, "console request failed");
        }
        WebError::Page {
            status: kind.status(),
            tr,
            message: message(tr, e),
        }
    }
}

/// What to tell a person about `e`: the console's own sentence for its code when there
/// is one; for other invalid input and conflicts the service's sentence (which names
/// the field and the fix); never anything internal.
pub fn message<E: DomainError + ?Sized>(tr: Tr, e: &E) -> String {
    let key = format!("error.{}", e.code());
    if tr.has(&key) {
        return tr.t(&key).to_string();
    }
    match e.kind() {
        ErrorKind::NotFound => tr.t("error.not_found").to_string(),
        ErrorKind::Forbidden => tr.t("error.forbidden").to_string(),
        ErrorKind::Internal | ErrorKind::Upstream => tr.t("error.internal").to_string(),
        ErrorKind::Busy => tr.t("error.busy").to_string(),
        _ => e.to_string(),
    }
}

/// A refusal worth showing on the form it came from (invalid input, a conflict, a
/// lock, a rule of separation): its status and message. Not found and internal
/// errors are the error page instead, so nothing of what was asked for is shown.
pub fn refusal<E: DomainError + ?Sized>(tr: Tr, e: &E) -> Result<(StatusCode, String), WebError> {
    let status = e.kind().status();
    if status.is_client_error() && status != StatusCode::NOT_FOUND {
        Ok((status, message(tr, e)))
    } else {
        Err(WebError::domain(tr, e))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    tr: Tr,
    assets: &'static super::assets::AssetUrls,
    status: u16,
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next, expired } => {
                let mut to = format!("/login?next={}", urlencode(&next));
                if expired {
                    to.push_str("&expired=1");
                }
                let mut r = Redirect::to(&to).into_response();
                if expired {
                    r.headers_mut().append(
                        header::SET_COOKIE,
                        cookies::clear(cookies::SESSION, "/", false),
                    );
                }
                r
            }
            WebError::Redirect(to) => Redirect::to(&to).into_response(),
            WebError::Page {
                status,
                tr,
                message,
            } => {
                let page = ErrorPage {
                    tr,
                    assets: &super::assets::URLS,
                    status: status.as_u16(),
                    message: &message,
                };
                let body = page.render().unwrap_or_else(|_| message.clone());
                let mut r = (status, axum::response::Html(body)).into_response();
                r.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
        }
    }
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Only a local path (`/…`, not `//host`) may be a place to come back to.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/accounts?x=1")), "/accounts?x=1");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
