//! HTTP for the vault.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use super::accounts::{self, NewAccount};
use super::custodians;
use super::load;
use super::model::{Account, Classification, Platform, VersionMeta};
use super::policy_check::{self, CheckFor};
use super::reveal::{self, Revealed};
use super::rotation::{self, RotationStarted};
use super::update::{self, AccountPatch};
use super::validate::PasswordCheck;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::http::{
    ApiJson, ApiPath, ApiQuery, Caller, ErrorBody, NoQuery, Page, list_query, no_store,
};
use crate::ids::{AccountId, RotationId, UnitId, UserId};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(read_account, update_account))
        .routes(routes!(add_custodian))
        .routes(routes!(remove_custodian))
        .routes(routes!(list_versions))
        .routes(routes!(reveal_version))
        .routes(routes!(reveal_current))
        .routes(routes!(start_rotation))
        .routes(routes!(confirm_rotation))
        .routes(routes!(cancel_rotation))
        .routes(routes!(policy_check))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub name: String,
    pub platform: Platform,
    pub login_name: String,
    pub login_url: Option<String>,
    pub classification: Classification,
    pub bound_phone: Option<String>,
    pub bound_email: Option<String>,
    pub binding_holder_id: Option<UserId>,
    pub notes: Option<String>,
    /// The account's current password. Give this or `generate: true`.
    pub password: Option<String>,
    #[serde(default)]
    pub generate: bool,
    /// Base32 TOTP secret of the account (from the platform's 2FA setup), optional.
    pub totp_secret: Option<String>,
    /// Website and new-media accounts: an RSS/Atom/JSON feed or a page (http/https)
    /// that `freshness_probe` reads for new publications.
    pub feed_url: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedAccount {
    #[serde(flatten)]
    pub account: Account,
    /// Present when the password was generated. Shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[utoipa::path(post, path = "/units/{unit_id}/accounts", tag = "vault", params(("unit_id" = String, Path)), request_body = CreateAccount,
    responses((status = 201, body = CreatedAccount), (status = 409, body = ErrorBody),
              (status = 422, description = "weak_password, reused_password or invalid_input", body = ErrorBody), (status = 503, description = "busy (strength checks queue full) or restart_required (the master key was rotated while serving)", body = ErrorBody)))]
pub async fn create_account(
    c: Caller,
    ApiPath(unit_id): ApiPath<UnitId>,
    ApiJson(body): ApiJson<CreateAccount>,
) -> AppResult<Response> {
    let password = match (body.password, body.generate) {
        (Some(_), true) => {
            return Err(AppError::invalid(
                "give either password or generate: true, not both",
            ));
        }
        (None, false) => {
            return Err(AppError::invalid(
                "give the account's password, or generate: true to have one generated",
            ));
        }
        (p, _) => p.map(Zeroizing::new),
    };
    let input = NewAccount {
        name: body.name,
        platform: body.platform,
        login_name: body.login_name,
        login_url: body.login_url,
        classification: body.classification,
        bound_phone: body.bound_phone,
        bound_email: body.bound_email,
        binding_holder_id: body.binding_holder_id,
        notes: body.notes,
        password,
        totp_secret: body.totp_secret.map(Zeroizing::new),
        feed_url: body.feed_url,
    };
    let (account, generated) =
        accounts::create_account(&c.state, &c.ctx, &c.meta, &unit_id, input).await?;
    let out = CreatedAccount {
        account,
        password: generated.map(|p| p.to_string()),
    };
    Ok(no_store((StatusCode::CREATED, Json(out)).into_response()))
}

list_query!(
    pub struct AccountListQuery {
        /// Only accounts of this platform.
        pub platform: Option<Platform>,
    }
);

#[utoipa::path(get, path = "/units/{unit_id}/accounts", tag = "vault", params(("unit_id" = String, Path), AccountListQuery),
    responses((status = 200, body = Page<Account>)))]
pub async fn list_accounts(
    c: Caller,
    ApiPath(unit_id): ApiPath<UnitId>,
    ApiQuery(q): ApiQuery<AccountListQuery>,
) -> AppResult<Json<Page<Account>>> {
    let paging = q.paging()?;
    Ok(Json(
        load::list_accounts(&c.state, &c.ctx, &unit_id, q.platform, &paging).await?,
    ))
}

#[utoipa::path(get, path = "/accounts/{id}", tag = "vault", params(("id" = String, Path)),
    responses((status = 200, body = Account)))]
pub async fn read_account(c: Caller, ApiPath(id): ApiPath<AccountId>) -> AppResult<Json<Account>> {
    Ok(Json(load::read_account(&c.state, &c.ctx, &id).await?))
}

#[utoipa::path(patch, path = "/accounts/{id}", tag = "vault", params(("id" = String, Path)), request_body = AccountPatch,
    responses((status = 200, body = Account)))]
pub async fn update_account(
    c: Caller,
    ApiPath(id): ApiPath<AccountId>,
    ApiJson(patch): ApiJson<AccountPatch>,
) -> AppResult<Json<Account>> {
    Ok(Json(
        update::update_account(&c.state, &c.ctx, &c.meta, &id, patch).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCustodian {
    pub user_id: UserId,
}

#[utoipa::path(post, path = "/accounts/{id}/custodians", tag = "vault", params(("id" = String, Path)), request_body = AddCustodian,
    responses((status = 201, body = Account), (status = 409, body = ErrorBody)))]
pub async fn add_custodian(
    c: Caller,
    ApiPath(id): ApiPath<AccountId>,
    ApiJson(body): ApiJson<AddCustodian>,
) -> AppResult<(StatusCode, Json<Account>)> {
    Ok((
        StatusCode::CREATED,
        Json(custodians::add_custodian(&c.state, &c.ctx, &c.meta, &id, &body.user_id).await?),
    ))
}

#[utoipa::path(delete, path = "/accounts/{id}/custodians/{user_id}", tag = "vault", params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204)))]
pub async fn remove_custodian(
    c: Caller,
    ApiPath((id, user_id)): ApiPath<(AccountId, UserId)>,
) -> AppResult<StatusCode> {
    custodians::remove_custodian(&c.state, &c.ctx, &c.meta, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/accounts/{id}/versions", tag = "vault", params(("id" = String, Path)),
    responses((status = 200, body = [VersionMeta])))]
pub async fn list_versions(
    c: Caller,
    ApiPath(id): ApiPath<AccountId>,
    _: ApiQuery<NoQuery>,
) -> AppResult<Json<Vec<VersionMeta>>> {
    Ok(Json(load::list_versions(&c.state, &c.ctx, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// Why the password is needed (4–500 characters); recorded in the audit trail.
    pub reason: String,
}

#[utoipa::path(post, path = "/accounts/{id}/reveal", tag = "vault", params(("id" = String, Path)), request_body = RevealRequest,
    responses((status = 200, body = Revealed), (status = 503, description = "restart_required: the master key was rotated while serving", body = ErrorBody)))]
pub async fn reveal_current(
    c: Caller,
    ApiPath(id): ApiPath<AccountId>,
    ApiJson(body): ApiJson<RevealRequest>,
) -> AppResult<Response> {
    let r = reveal::reveal_current(&c.state, &c.ctx, &c.meta, &id, &body.reason).await?;
    Ok(no_store(Json(r).into_response()))
}

#[utoipa::path(post, path = "/accounts/{id}/versions/{version}/reveal", tag = "vault", params(("id" = String, Path), ("version" = i64, Path)), request_body = RevealRequest,
    responses((status = 200, body = Revealed), (status = 503, description = "restart_required: the master key was rotated while serving", body = ErrorBody)))]
pub async fn reveal_version(
    c: Caller,
    ApiPath((id, version)): ApiPath<(AccountId, i64)>,
    ApiJson(body): ApiJson<RevealRequest>,
) -> AppResult<Response> {
    let version = crate::http::in_range("version", version, 1, i64::MAX)?;
    let r = reveal::reveal_version(&c.state, &c.ctx, &c.meta, &id, version, &body.reason).await?;
    Ok(no_store(Json(r).into_response()))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StartRotation {
    /// A password you chose; omit to have one generated by the unit's policy.
    pub password: Option<String>,
}

#[utoipa::path(post, path = "/accounts/{id}/rotations", tag = "vault", params(("id" = String, Path)), request_body = StartRotation,
    responses((status = 201, body = RotationStarted), (status = 409, description = "rotation_pending", body = ErrorBody),
              (status = 422, description = "weak_password or reused_password", body = ErrorBody), (status = 503, description = "busy (strength checks queue full) or restart_required (the master key was rotated while serving)", body = ErrorBody)))]
pub async fn start_rotation(
    c: Caller,
    ApiPath(id): ApiPath<AccountId>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let body: StartRotation = crate::http::optional_json(&body)?;
    let r = rotation::start_rotation(
        &c.state,
        &c.ctx,
        &c.meta,
        &id,
        body.password.map(Zeroizing::new),
    )
    .await?;
    Ok(no_store((StatusCode::CREATED, Json(r)).into_response()))
}

#[utoipa::path(post, path = "/rotations/{id}/confirm", tag = "vault", params(("id" = String, Path)),
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn confirm_rotation(
    c: Caller,
    ApiPath(id): ApiPath<RotationId>,
) -> AppResult<StatusCode> {
    rotation::confirm_rotation(&c.state, &c.ctx, &c.meta, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/rotations/{id}/cancel", tag = "vault", params(("id" = String, Path)),
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn cancel_rotation(c: Caller, ApiPath(id): ApiPath<RotationId>) -> AppResult<StatusCode> {
    rotation::cancel_rotation(&c.state, &c.ctx, &c.meta, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyCheckRequest {
    pub password: String,
    /// Check against this account's unit policy and history (only for people who may
    /// reveal the account: its custodians and the unit's administrators; audited)…
    pub account_id: Option<AccountId>,
    /// …or against a unit's policy (reuse across the unit's accounts is reported only
    /// to people who may reveal every account of the unit).
    pub unit_id: Option<UnitId>,
}

#[utoipa::path(post, path = "/policy/check", tag = "vault", request_body = PolicyCheckRequest,
    responses((status = 200, body = PasswordCheck),
              (status = 403, description = "account_id given by someone who may not reveal that account (forbidden, person_required)", body = ErrorBody),
              (status = 429, description = "throttled: too many checks this minute; see Retry-After", body = ErrorBody), (status = 503, description = "busy: the strength-check queue is full (Retry-After)", body = ErrorBody)))]
pub async fn policy_check(
    c: Caller,
    ApiJson(body): ApiJson<PolicyCheckRequest>,
) -> AppResult<Response> {
    let password = Zeroizing::new(body.password);
    let target = match (body.account_id, body.unit_id) {
        (Some(a), None) => CheckFor::Account(a),
        (None, Some(u)) => CheckFor::Unit(u),
        _ => {
            return Err(AppError::invalid(
                "give exactly one of account_id or unit_id",
            ));
        }
    };
    let check = policy_check::policy_check(&c.state, &c.ctx, &c.meta, target, password).await?;
    Ok(no_store(Json(check).into_response()))
}
