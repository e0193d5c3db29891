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
use crate::notify::prefs::{self, input::PrefsInput};

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
}

/// `POST /lang`: back to the page it came from (`Referer` is not sent: home).
pub async fn switch(p: Posted<LangForm>) -> WebResult<Response> {
    let c = p.caller;
    let lang = Lang::parse(&p.form.lang).ok_or_else(|| WebError::not_found(c.tr))?;
    let current = prefs::get(&c.state, &c.ctx)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let input = PrefsInput {
        email: current.email,
        mobile: current.mobile,
        wecom_user_id: current.wecom_user_id,
        dingtalk_user_id: current.dingtalk_user_id,
        lang: Some(lang.as_str().to_string()),
        muted_kinds: current
            .muted_kinds
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
    };
    prefs::put(&c.state, &c.ctx, &c.meta, input)
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
