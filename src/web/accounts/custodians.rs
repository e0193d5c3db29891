//! `POST /accounts/{id}/custodians` and `/accounts/{id}/custodians/remove`: name or
//! remove an account's custodian (保管人) from its page, by whoever may change the
//! account (the service authorises and audits `custodian.add` / `custodian.remove`).
//! A refusal (not eligible, already named) is a page in plain words with its status.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::ids::{AccountId, UserId};
use crate::vault::{add_custodian, remove_custodian};
use crate::web::error::{WebError, WebResult};
use crate::web::form::Posted;

#[derive(Deserialize)]
pub struct CustodianForm {
    #[serde(default)]
    user_id: String,
}

/// `POST /accounts/{id}/custodians`.
pub async fn add(
    Path(id): Path<String>,
    Posted { caller: c, form }: Posted<CustodianForm>,
) -> WebResult<Response> {
    let id = AccountId::new(id);
    let user = UserId::new(form.user_id);
    match add_custodian(&c.state, &c.ctx, &c.meta, &id, &user).await {
        Ok(_) => Ok(back(&id, "custodian_added")),
        Err(e) => Err(WebError::domain(c.tr, &e)),
    }
}

/// `POST /accounts/{id}/custodians/remove`.
pub async fn remove(
    Path(id): Path<String>,
    Posted { caller: c, form }: Posted<CustodianForm>,
) -> WebResult<Response> {
    let id = AccountId::new(id);
    let user = UserId::new(form.user_id);
    match remove_custodian(&c.state, &c.ctx, &c.meta, &id, &user).await {
        Ok(()) => Ok(back(&id, "custodian_removed")),
        Err(e) => Err(WebError::domain(c.tr, &e)),
    }
}

fn back(id: &AccountId, done: &str) -> Response {
    Redirect::to(&format!("/accounts/{id}?done={done}")).into_response()
}
