//! What a page answers when something goes wrong: a redirect to sign in, or an error
//! page in the reader's language that says what to do. Domain errors keep their kind
//! (404 stays 404 and shows nothing of what was asked for); a 5xx says nothing internal
//! and logs the cause.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::cookies;
use super::i18n::{Lang, Tr};
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

/// What to tell a person about `e`, never anything internal:
/// - on a zh-CN page, the error's own Chinese sentence when it carries one (an
///   [`InputError`] naming the field and the bound, …);
/// - else the console's own sentence for its code (`error.<code>`) when there is one;
/// - else, by kind, the console's sentence for not found, forbidden, internal and busy,
///   and the service's (English) sentence for the rest, which names the field and the
///   fix.
///
/// [`InputError`]: crate::error::InputError
pub fn message<E: DomainError + ?Sized>(tr: Tr, e: &E) -> String {
    let kind = e.kind();
    // Only where the service's own sentence may be shown (the other kinds say nothing
    // of what was asked for, or of what failed inside).
    let own_sentence_shown = !matches!(
        kind,
        ErrorKind::NotFound
            | ErrorKind::Forbidden
            | ErrorKind::Internal
            | ErrorKind::Upstream
            | ErrorKind::Busy
    );
    if tr.lang() == Lang::ZhCn
        && own_sentence_shown
        && let Some(zh) = e.message_zh()
    {
        return zh.into_owned();
    }
    let key = format!("error.{}", e.code());
    if tr.has(&key) {
        return tr.t(&key).to_string();
    }
    match kind {
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
    use crate::error::{InputError, InternalError};
    use crate::vault::VaultError;

    const ZH: Tr = Tr(Lang::ZhCn);
    const EN: Tr = Tr(Lang::En);

    #[test]
    fn a_carried_chinese_sentence_is_shown_on_chinese_pages_only() {
        let e = VaultError::from(
            InputError::field("name", "name must be 1 to 100 printable characters")
                .zh("名称不能为空，最多 100 个字符。"),
        );
        assert_eq!(message(ZH, &e), "名称不能为空，最多 100 个字符。");
        assert_eq!(
            message(EN, &e),
            "name must be 1 to 100 printable characters"
        );
        // Through two capabilities, like kind and code.
        let e = crate::handover::HandoverError::from(crate::identity::IdentityError::from(
            InputError::new("nothing to change").zh("没有要修改的内容。"),
        ));
        assert_eq!(message(ZH, &e), "没有要修改的内容。");
        assert_eq!(message(EN, &e), "nothing to change");
        // Without one, both pages show the service's sentence, as before.
        let e = VaultError::from(InputError::field("name", "name is wrong"));
        assert_eq!(message(ZH, &e), "name is wrong");
    }

    #[test]
    fn the_console_words_a_code_it_knows() {
        let e = VaultError::AlreadyCustodian;
        assert_eq!(message(ZH, &e), ZH.t("error.already_custodian"));
        assert_eq!(message(EN, &e), EN.t("error.already_custodian"));
    }

    #[test]
    fn nothing_internal_or_hidden_is_shown_whatever_it_carries() {
        let e = VaultError::from(InternalError::new("disk full"));
        assert_eq!(message(ZH, &e), ZH.t("error.internal"));
        assert_eq!(message(EN, &e), EN.t("error.internal"));
        let e = VaultError::NotFound("rotation");
        assert_eq!(message(ZH, &e), ZH.t("error.not_found"));
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/accounts?x=1")), "/accounts?x=1");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
