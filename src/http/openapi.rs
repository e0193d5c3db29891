//! The OpenAPI 3.1 document, generated from the handlers' annotations. A checked-in
//! copy lives at `docs/openapi.json`; a test fails when they differ
//! (regenerate with `credgov openapi > docs/openapi.json`).

use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The error shape of every 4xx/5xx.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_credentials`, `not_found`.
    pub code: String,
    /// What happened and what to do, for a person.
    pub message: String,
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "credgov", description = "Custody, rotation, handover and risk ranking of a district's website and new-media account passwords."),
    paths(
        crate::identity::routes::login_route,
        crate::identity::routes::logout_route,
        crate::identity::routes::totp_enroll,
        crate::identity::routes::totp_confirm,
        crate::identity::routes::me,
        crate::identity::routes::create_user,
        crate::identity::routes::list_users,
        crate::identity::routes::read_user,
        crate::identity::routes::update_user,
        crate::identity::routes::add_member,
        crate::identity::routes::list_members,
        crate::identity::routes::remove_member,
        crate::identity::routes::create_token,
        crate::identity::routes::list_tokens,
        crate::identity::routes::revoke_token,
        crate::identity::password_routes::change_password,
        crate::identity::password_routes::revoke_all_sessions,
        crate::identity::password_routes::reset_password,
        crate::identity::password_routes::unlock_user,
        crate::tenancy::routes::list,
        crate::tenancy::routes::create,
        crate::tenancy::routes::read,
        crate::audit::routes::list,
        crate::policy::routes::read_policy,
        crate::policy::routes::update_policy,
        crate::policy::routes::clear_policy,
        crate::vault::routes::create_account,
        crate::vault::routes::list_accounts,
        crate::vault::routes::read_account,
        crate::vault::routes::update_account,
        crate::vault::routes::add_custodian,
        crate::vault::routes::remove_custodian,
        crate::vault::routes::list_versions,
        crate::vault::routes::reveal_current,
        crate::vault::routes::reveal_version,
        crate::vault::routes::start_rotation,
        crate::vault::routes::confirm_rotation,
        crate::vault::routes::cancel_rotation,
        crate::vault::routes::policy_check,
        crate::handover::routes::hr_event,
        crate::handover::routes::list,
        crate::handover::routes::read,
        crate::handover::routes::sheet_html,
        crate::handover::routes::complete,
        crate::handover::routes::checklist,
        crate::handover::routes::acknowledge,
        crate::handover::routes::sign_off,
        crate::handover::routes::cancel,
        crate::handover::routes::exposure,
        super::health::healthz,
        super::health::readyz,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the checked-in form).
pub fn openapi_json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
