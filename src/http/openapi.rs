//! The OpenAPI 3.1 document, generated from the handlers' annotations, which each
//! capability's router carries (`routes!`); `http` merges them. A checked-in
//! copy lives at `docs/openapi.json`; a test fails when they differ
//! (regenerate with `credgov openapi > docs/openapi.json`).

use serde::Serialize;
use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response, ResponseBuilder};

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
    fn modify(&self, openapi: &mut OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// Every operation needs a bearer token unless its handler says `security(())`: the
/// handlers need not repeat `security(("bearer" = []))`, and a public endpoint is one
/// that says so. Public operations are left without `security` in the document.
struct BearerByDefault;

fn bearer_by_default(op: &mut Operation) {
    let public = vec![SecurityRequirement::default()];
    match &op.security {
        None => op.security = Some(vec![SecurityRequirement::new("bearer", [""; 0])]),
        Some(s) if *s == public => op.security = None,
        Some(_) => {}
    }
}

impl Modify for BearerByDefault {
    fn modify(&self, openapi: &mut OpenApi) {
        for_each_operation(openapi, bearer_by_default);
    }
}

/// Declares on every operation the error answers that the shared layers and extractors
/// give it, so the document lists every status the server really sends: 500 anywhere;
/// 401/403/404 where a bearer token is required; 400/413/415/422 where a JSON body is
/// read; 400/422 where query parameters are parsed. Operation-specific answers (409, 423,
/// 429, 503 …) are declared on the handlers themselves.
struct StandardErrors;

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))),
            )
            .build(),
    )
}

fn add_standard_errors(op: &mut Operation) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_query = op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let has_path = op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let mut wanted: Vec<(&str, &str)> = vec![(
        "500",
        "internal error (the body says nothing internal; x-request-id finds the log line)",
    )];
    if secured {
        wanted.push((
            "401",
            "unauthenticated: missing, invalid or expired bearer token",
        ));
        wanted.push(("403", "the caller's role does not allow this here"));
        wanted.push(("404", "not found, or outside the caller's units"));
    }
    if has_path {
        wanted.push(("404", "not found, or outside the caller's units"));
        wanted.push(("400", "a path parameter is malformed"));
    }
    if op.request_body.is_some() {
        wanted.push(("400", "malformed JSON"));
        wanted.push(("413", "request body too large"));
        wanted.push(("415", "the body is not application/json"));
        wanted.push((
            "422",
            "a field is missing, unknown or invalid (details name it)",
        ));
    }
    if has_query {
        wanted.push(("400", "a query parameter is malformed"));
        wanted.push(("422", "a query parameter is out of range (details name it)"));
    }
    for (code, description) in wanted {
        op.responses
            .responses
            .entry(code.to_string())
            .or_insert_with(|| error_response(description));
    }
}

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        for_each_operation(openapi, add_standard_errors);
    }
}

fn for_each_operation(openapi: &mut OpenApi, mut f: impl FnMut(&mut Operation)) {
    for item in openapi.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            f(op);
        }
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "credgov",
        description = "Custody, rotation, handover and risk ranking of a district's website and new-media account passwords."
    ),
    components(schemas(ErrorBody, ErrorDetail))
)]
pub(super) struct ApiDoc;

/// The document: `ApiDoc`'s info and shared schemas, the paths that the capability
/// routers carry (`super::routes`), then the document-wide modifiers (bearer scheme,
/// bearer by default, standard error answers), which must see every path, so they run
/// after merging.
fn document() -> OpenApi {
    finish(super::routes().into_openapi())
}

/// Applies the document-wide modifiers to the merged document.
pub(super) fn finish(mut doc: OpenApi) -> OpenApi {
    Bearer.modify(&mut doc);
    BearerByDefault.modify(&mut doc);
    StandardErrors.modify(&mut doc);
    doc
}

/// The document as pretty JSON with a trailing newline (the checked-in form).
pub fn openapi_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
