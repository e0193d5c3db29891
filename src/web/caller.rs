//! Who is using a page: the session in the `cg_session` cookie, resolved through the
//! same `identity::authenticate` the API's bearer tokens go through (idle and absolute
//! limits, disabled users, lost roles all hold alike), plus the reader's language and
//! the session's CSRF token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::cookies;
use super::csrf;
use super::error::WebError;
use super::i18n::{self, Lang, Tr};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::AuthContext;
use crate::error::DomainError as _;
use crate::identity::{SessionKind, authenticate};

/// A signed-in person whose session may do what their roles allow (password not due,
/// TOTP enrolled where the role requires it). Pages take this.
pub struct WebCaller {
    pub state: AppState,
    pub ctx: AuthContext,
    pub meta: RequestMeta,
    pub tr: Tr,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// Whether cookies set now get `Secure`.
    pub secure: bool,
}

/// Any signed-in session, also one limited to changing the password or enrolling TOTP
/// (the password and enrolment pages, sign out).
pub struct WebAnySession(pub WebCaller);

impl FromRequestParts<AppState> for WebCaller {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let c = resolve(parts, state).await?;
        match c.ctx.session {
            SessionKind::Full => Ok(c),
            SessionKind::PasswordChangeOnly => Err(WebError::Redirect("/password".into())),
            SessionKind::EnrollOnly => Err(WebError::Redirect("/enroll".into())),
        }
    }
}

impl FromRequestParts<AppState> for WebAnySession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        Ok(WebAnySession(resolve(parts, state).await?))
    }
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<WebCaller, WebError> {
    let next = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    // Only a sign-in session is a console session: an API token put in the cookie is
    // refused like no cookie at all (tokens belong to integrations, not browsers).
    let session = cookies::get(&parts.headers, cookies::SESSION)
        .filter(|t| t.starts_with(crate::identity::SESSION_PREFIX));
    let Some(token) = session else {
        return Err(WebError::SignIn {
            next,
            expired: false,
        });
    };
    let ctx = match authenticate(state, token).await {
        Ok(ctx) => ctx,
        Err(e) if e.kind() == crate::error::ErrorKind::Internal => {
            return Err(WebError::domain(visitor_lang(parts), &e));
        }
        Err(_) => {
            return Err(WebError::SignIn {
                next,
                expired: true,
            });
        }
    };
    let lang = match ctx.user_id() {
        Some(id) => saved_lang(state, id)
            .await
            .unwrap_or_else(|| visitor_lang(parts).0),
        None => visitor_lang(parts).0,
    };
    Ok(WebCaller {
        state: state.clone(),
        csrf: csrf::token(state, &ctx.token_hash),
        meta: crate::http::request_meta(parts, state),
        secure: cookies::secure(parts, state),
        tr: Tr(lang),
        ctx,
    })
}

/// The person's saved language (their notification language), if they chose one; a
/// database error is logged and the visitor's language used instead.
async fn saved_lang(state: &AppState, user_id: &str) -> Option<Lang> {
    crate::notify::prefs::store::lang_of(state.db.pool(), user_id)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read the saved language");
            None
        })
}

/// The language of someone not signed in: `?lang=`, else the `cg_lang` cookie, else
/// `Accept-Language`.
pub fn visitor_lang(parts: &Parts) -> Tr {
    let from_query = parts.uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    });
    let from_cookie = || cookies::get(&parts.headers, cookies::LANG).and_then(Lang::parse);
    let from_header = || {
        parts
            .headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(i18n::from_accept_language)
    };
    Tr(from_query
        .or_else(from_cookie)
        .or_else(from_header)
        .unwrap_or_default())
}

/// The visitor's language, as an extractor (sign-in pages, error pages).
pub struct Visitor(pub Tr);

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor(visitor_lang(parts)))
    }
}
