//! Signing in and out: password, then the TOTP code on a second page when the person
//! has one; first-time TOTP enrolment with the QR code and the manual key; the forced
//! password change. Every step goes through the same `identity` services as the API.

use askama::Template;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::caller::{Visitor, WebAnySession};
use super::cookies;
use super::error::{WebError, WebResult, local_path, message};
use super::form::{PostedAny, SignInForm};
use super::i18n::Tr;
use super::pending_login::{self, LIFETIME_MS};
use crate::app::AppState;
use crate::crypto::random_token;
use crate::error::DomainError;
use crate::identity::{self, IdentityError, LoginInput, LoginOutput, SessionKind};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    tr: Tr,
    assets: &'static super::assets::AssetUrls,
    pre: &'a str,
    next: &'a str,
    username: &'a str,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "login_totp.html")]
struct TotpPage<'a> {
    tr: Tr,
    assets: &'static super::assets::AssetUrls,
    pre: &'a str,
    next: &'a str,
    username: &'a str,
    error: Option<String>,
}

/// The sign-in page, refilled with `username` and an error or notice.
fn login_form(
    tr: Tr,
    pre: &str,
    next: &str,
    username: &str,
    error: Option<String>,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Response {
    html(
        status,
        &LoginPage {
            tr,
            assets: &super::assets::URLS,
            pre,
            next,
            username,
            error,
            notice,
        },
    )
}

/// The code page of `username`'s sign-in.
fn totp_form(
    tr: Tr,
    pre: &str,
    next: &str,
    username: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    html(
        status,
        &TotpPage {
            tr,
            assets: &super::assets::URLS,
            pre,
            next,
            username,
            error,
        },
    )
}

/// What both sign-in steps start from: the request facts, whether cookies get
/// `Secure`, the sign-in CSRF token and where to go afterwards.
struct Step {
    meta: crate::audit::RequestMeta,
    secure: bool,
    pre: String,
    next: String,
}

impl Step {
    fn of(state: &AppState, parts: &axum::http::request::Parts, next: Option<&str>) -> Step {
        Step {
            meta: crate::http::request_meta(parts, state),
            secure: cookies::secure(parts, state),
            pre: cookies::get(&parts.headers, cookies::PRE)
                .unwrap_or_default()
                .to_string(),
            next: local_path(next),
        }
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    signed_out: Option<String>,
    lang: Option<String>,
}

/// The CSRF token of the sign-in forms: the `cg_pre` cookie's, or a new one.
fn pre_token(headers: &HeaderMap) -> (String, bool) {
    match cookies::get(headers, cookies::PRE) {
        Some(t) if t.len() >= 20 => (t.to_string(), false),
        _ => (random_token("pre_"), true),
    }
}

use super::page::render_status as html;

/// `GET /login`.
pub async fn login_page(
    Visitor(tr): Visitor,
    cookies::Secure(secure): cookies::Secure,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (pre, fresh) = pre_token(&headers);
    let notice = if q.expired.is_some() {
        Some(tr.t("session.expired"))
    } else if q.signed_out.is_some() {
        Some(tr.t("login.signed_out"))
    } else {
        None
    };
    let next = local_path(q.next.as_deref());
    let mut r = login_form(tr, &pre, &next, "", None, notice, StatusCode::OK);
    if fresh {
        r.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(cookies::PRE, &pre, "/", None, secure),
        );
    }
    if let Some(lang) = q.lang.as_deref().and_then(super::i18n::Lang::parse) {
        r.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(
                cookies::LANG,
                lang.as_str(),
                "/",
                Some(365 * 86_400),
                secure,
            ),
        );
    }
    r
}

#[derive(Deserialize)]
pub struct PasswordStep {
    username: String,
    password: Zeroizing<String>,
    next: Option<String>,
}

/// `POST /login`: the password step.
pub async fn login_submit(
    axum::extract::State(state): axum::extract::State<AppState>,
    f: SignInForm<PasswordStep>,
) -> Response {
    let SignInForm { tr, form, parts } = f;
    let Step {
        meta,
        secure,
        pre,
        next,
    } = Step::of(&state, &parts, form.next.as_deref());
    let username = form.username.trim().to_string();
    let input = LoginInput {
        username: username.clone(),
        password: form.password.clone(),
        totp_code: None,
    };
    match identity::login(&state, &meta, input).await {
        Ok(out) => signed_in(out, &next, secure),
        Err(IdentityError::MfaRequired) => {
            let sealed =
                pending_login::seal_pending(&state, &username, &form.password, state.now());
            let mut r = totp_form(tr, &pre, &next, &username, None, StatusCode::OK);
            r.headers_mut().append(
                header::SET_COOKIE,
                cookies::set(
                    cookies::PENDING_LOGIN,
                    &sealed,
                    "/login",
                    Some(LIFETIME_MS / 1000),
                    secure,
                ),
            );
            r
        }
        Err(e) => login_form(
            tr,
            &pre,
            &next,
            &username,
            Some(message(tr, &e)),
            None,
            e.kind().status(),
        ),
    }
}

#[derive(Deserialize)]
pub struct CodeStep {
    code: String,
    next: Option<String>,
}

/// `POST /login/totp`: the code step.
pub async fn totp_submit(
    axum::extract::State(state): axum::extract::State<AppState>,
    f: SignInForm<CodeStep>,
) -> Response {
    let SignInForm { tr, form, parts } = f;
    let Step {
        meta,
        secure,
        pre,
        next,
    } = Step::of(&state, &parts, form.next.as_deref());
    let pending = cookies::get(&parts.headers, cookies::PENDING_LOGIN)
        .and_then(|c| pending_login::open_pending(&state, c, state.now()));
    let Some(pending) = pending else {
        return login_form(
            tr,
            &pre,
            &next,
            "",
            Some(tr.t("login.challenge_expired").to_string()),
            None,
            StatusCode::UNAUTHORIZED,
        );
    };
    let input = LoginInput {
        username: pending.username.clone(),
        password: pending.password,
        totp_code: Some(form.code.replace(' ', "")),
    };
    match identity::login(&state, &meta, input).await {
        Ok(out) => {
            let mut r = signed_in(out, &next, secure);
            r.headers_mut().append(
                header::SET_COOKIE,
                cookies::clear(cookies::PENDING_LOGIN, "/login", secure),
            );
            r
        }
        Err(e @ (IdentityError::InvalidTotp | IdentityError::TotpReplayed)) => totp_form(
            tr,
            &pre,
            &next,
            &pending.username,
            Some(message(tr, &e)),
            e.kind().status(),
        ),
        Err(e) => {
            let mut r = login_form(
                tr,
                &pre,
                &next,
                &pending.username,
                Some(message(tr, &e)),
                None,
                e.kind().status(),
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                cookies::clear(cookies::PENDING_LOGIN, "/login", secure),
            );
            r
        }
    }
}

/// The session cookie, and where to go: the password page or enrolment first when the
/// session is limited to those.
fn signed_in(out: LoginOutput, next: &str, secure: bool) -> Response {
    let to = if out.password_change_required {
        "/password".to_string()
    } else if out.mfa_enrollment_required {
        "/enroll".to_string()
    } else {
        next.to_string()
    };
    let mut r = Redirect::to(&to).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(cookies::SESSION, &out.token, "/", None, secure),
    );
    r
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /logout`: ends the session (server side) and drops the cookie.
pub async fn logout(p: PostedAny<Empty>) -> Response {
    let c = p.caller;
    if let Err(e) = identity::logout(&c.state, &c.ctx, &c.meta).await {
        return WebError::domain(c.tr, &e).into_response();
    }
    let mut r = Redirect::to("/login?signed_out=1").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        cookies::clear(cookies::SESSION, "/", c.secure),
    );
    r
}

#[derive(Template)]
#[template(path = "enroll.html")]
struct EnrollPage<'a> {
    tr: Tr,
    assets: &'static super::assets::AssetUrls,
    csrf: &'a str,
    secret: &'a str,
    qr_png_base64: &'a str,
    error: Option<String>,
}

/// `GET /enroll`: a new pending TOTP secret (replacing an unconfirmed one) with its QR
/// code and manual key. Someone already enrolled goes home.
pub async fn enroll_page(WebAnySession(c): WebAnySession) -> WebResult<Response> {
    enroll_render(&c, None, StatusCode::OK).await
}

async fn enroll_render(
    c: &super::caller::WebCaller,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    match identity::totp_enroll(&c.state, &c.ctx, &c.meta).await {
        Ok(e) => Ok(html(
            status,
            &EnrollPage {
                tr: c.tr,
                assets: &super::assets::URLS,
                csrf: &c.csrf,
                secret: &e.secret,
                qr_png_base64: &e.qr_png_base64,
                error,
            },
        )),
        Err(IdentityError::TotpAlreadyEnrolled) => Err(WebError::Redirect("/".into())),
        Err(e) => Err(WebError::domain(c.tr, &e)),
    }
}

#[derive(Deserialize)]
pub struct EnrollForm {
    code: String,
}

/// `POST /enroll`: confirms the code; the session then counts as two-factor.
pub async fn enroll_submit(p: PostedAny<EnrollForm>) -> WebResult<Response> {
    let c = p.caller;
    match identity::totp_confirm(&c.state, &c.ctx, &c.meta, &p.form.code.replace(' ', "")).await {
        Ok(()) => Ok(Redirect::to("/?enrolled=1").into_response()),
        // A wrong code: a new secret would make the scanned one useless, so the same
        // page is shown again with the pending secret replaced only on a fresh visit.
        Err(e @ IdentityError::EnrollmentCodeMismatch) => {
            enroll_render(
                &c,
                Some(message(c.tr, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(WebError::domain(c.tr, &e)),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    tr: Tr,
    assets: &'static super::assets::AssetUrls,
    csrf: &'a str,
    required: bool,
    error: Option<String>,
}

/// `GET /password`.
pub async fn password_page(WebAnySession(c): WebAnySession) -> Response {
    password_render(&c, None, StatusCode::OK)
}

fn password_render(
    c: &super::caller::WebCaller,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    html(
        status,
        &PasswordPage {
            tr: c.tr,
            assets: &super::assets::URLS,
            csrf: &c.csrf,
            required: c.ctx.session == SessionKind::PasswordChangeOnly,
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: Zeroizing<String>,
    new: Zeroizing<String>,
    repeat: Zeroizing<String>,
}

/// `POST /password`: the person's own password (the policy's rules, lockout on a wrong
/// current one, other sessions ended).
pub async fn password_submit(p: PostedAny<PasswordForm>) -> Response {
    let c = p.caller;
    let f = p.form;
    if f.new != f.repeat {
        let msg = c.tr.t("password.mismatch").to_string();
        return password_render(&c, Some(msg), StatusCode::UNPROCESSABLE_ENTITY);
    }
    match identity::change_own_password(&c.state, &c.ctx, &c.meta, f.current, f.new).await {
        Ok(()) => Redirect::to("/?password_changed=1").into_response(),
        Err(e) if e.kind().status().is_client_error() => {
            let msg = message(c.tr, &e);
            password_render(&c, Some(msg), e.kind().status())
        }
        Err(e) => WebError::domain(c.tr, &e).into_response(),
    }
}
