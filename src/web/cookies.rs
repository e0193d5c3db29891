//! The console's cookies: reading one from the request, writing `Set-Cookie` with the
//! flags every one of ours carries (`HttpOnly`, `SameSite=Strict`, `Secure` when served
//! over HTTPS or configured).

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};

use crate::app::AppState;

/// The session token (`cgs_…`), the same kind the API's bearer tokens are.
pub const SESSION: &str = "cg_session";
/// The language chosen before signing in.
pub const LANG: &str = "cg_lang";
/// The CSRF token of the sign-in forms (double submit: cookie and form field).
pub const PRE: &str = "cg_pre";
/// A sign-in whose password was right, waiting for the TOTP code (sealed, minutes).
pub const PENDING_LOGIN: &str = "cg_login";

/// The value of cookie `name`, if the request carries it.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// Whether cookies set in answer to this request get `Secure`.
pub fn secure(parts: &Parts, state: &AppState) -> bool {
    state.config.secure_cookies || crate::http::forwarded_https(parts, state)
}

/// [`secure`] as an extractor.
pub struct Secure(pub bool);

impl axum::extract::FromRequestParts<AppState> for Secure {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Secure(secure(parts, state)))
    }
}

/// `Set-Cookie` for `name=value` on `path`; `max_age` in seconds (`None`: until the
/// browser closes). Values are ours (tokens, base64url, language tags): never user text.
pub fn set(name: &str, value: &str, path: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("cg_invalid=1"))
}

/// `Set-Cookie` that removes `name` on `path`.
pub fn clear(name: &str, path: &str, secure: bool) -> HeaderValue {
    set(name, "", path, Some(0), secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many_and_writes_strict_flags() {
        let mut h = HeaderMap::new();
        h.insert(
            "cookie",
            HeaderValue::from_static("a=1; cg_session=cgs_x; cg_lang=en"),
        );
        assert_eq!(get(&h, SESSION), Some("cgs_x"));
        assert_eq!(get(&h, LANG), Some("en"));
        assert_eq!(get(&h, "missing"), None);
        let c = set(SESSION, "cgs_x", "/", None, true);
        assert_eq!(
            c,
            "cg_session=cgs_x; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(
            clear(PRE, "/login", false)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}
