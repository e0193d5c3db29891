//! The language switch of a signed-in person: saved as their notification language
//! (`notify_prefs.lang`, audited like any change of their preferences), so the inbox,
//! e-mail and console speak the same language.

use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::cookies;
use super::error::{WebError, WebResult};
use super::form::Posted;
use super::i18n::Lang;
use crate::notify::prefs;

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
}

/// `POST /lang`: back to the home page (no `Referer` is sent to learn where from).
pub async fn switch(p: Posted<LangForm>) -> WebResult<Response> {
    let c = p.caller;
    let lang = Lang::parse(&p.form.lang).ok_or_else(|| WebError::not_found(c.tr))?;
    prefs::set_lang(&c.state, &c.ctx, &c.meta, lang)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(
            cookies::LANG,
            lang.as_str(),
            "/",
            Some(365 * 86_400),
            c.secure,
        ),
    );
    Ok(r)
}
