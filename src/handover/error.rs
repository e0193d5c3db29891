//! Why a staff change or a handover step was refused. The HTTP edge answers with the
//! kind's status and the code below; the CLI prints the sentence.

use std::borrow::Cow;

use super::case_state::CaseState;
use crate::authz::AuthzError;
use crate::error::{InputError, InternalError};
use crate::identity::IdentityError;
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum HandoverError {
        #[error("the Idempotency-Key header is required (1–200 characters)")]
        IdempotencyKeyInvalid => (BadRequest, "bad_request"),
        #[error("this Idempotency-Key was already used with a different request body")]
        IdempotencyConflict => (Conflict, "idempotency_conflict"),
        /// A signed HR request whose signature or timestamp does not verify.
        #[error("{0}")]
        BadSignature(&'static str) => (Unauthenticated, "bad_signature"),
        /// The person named is unknown or outside the caller's scope (answered alike).
        #[error("user not found")]
        UserNotFound => (NotFound, "not_found"),
        #[error("successor not found")]
        SuccessorNotFound => (NotFound, "not_found"),
        #[error("{username} has already departed")]
        AlreadyDeparted { username: String } => (Conflict, "already_departed"),
        #[error("{username} holds no role in this unit")]
        NotInUnit { username: String } => (Invalid, "not_in_unit"),
        #[error("the successor cannot be the person leaving")]
        SuccessorIsLeaver => (Invalid, "invalid_input"),
        #[error("{username} holds no role in this unit; give them one first")]
        SuccessorNotInUnit { username: String } => (Invalid, "successor_not_in_unit"),
        #[error("handover not found")]
        CaseNotFound => (NotFound, "not_found"),
        #[error("item not found")]
        ItemNotFound => (NotFound, "not_found"),
        /// Closed and cancelled cases never change.
        #[error("this case is {state} and can no longer change")]
        CaseClosed { state: CaseState } => (Conflict, "case_closed"),
        /// Another transition of the case won a race.
        #[error("the case changed meanwhile (another user acted on it); reload it and try again")]
        CaseChanged => (Conflict, "case_changed"),
        #[error("this item has no {action} action; it has: {available}")]
        NoSuchAction { action: String, available: String } => (Invalid, "invalid_input"),
        #[error("this action is already done")]
        ActionDone => (Conflict, "already_done"),
        #[error("already confirmed")]
        ChecklistDone => (Conflict, "already_done"),
        #[error("entry must be materials (资料交接) or training (业务培训)")]
        UnknownChecklistEntry => (Invalid, "invalid_input"),
        #[error(
            "rotate completes itself when a rotation of the account is confirmed: POST /api/v1/accounts/{{id}}/rotations, then confirm"
        )]
        RotateRequired => (Conflict, "rotate_required"),
        #[error(
            "the account's bound phone/e-mail is still held by the leaver: change binding_holder_id (PATCH /api/v1/accounts/{{id}}) first"
        )]
        BindingUnchanged => (Conflict, "binding_unchanged"),
        #[error("name a new custodian for the account first (POST /api/v1/accounts/{{id}}/custodians)")]
        NoCustodian => (Conflict, "no_custodian"),
        #[error("only the successor named on the case can acknowledge it")]
        NotSuccessor => (Forbidden, "forbidden"),
        #[error("every item and the checklist must be done before the successor acknowledges")]
        NotReadyToAcknowledge => (Conflict, "items_open"),
        #[error("some actions or checklist entries are still open")]
        ItemsOpen => (Conflict, "items_open"),
        #[error("the successor has not acknowledged the handover yet")]
        NotAcknowledged => (Conflict, "not_acknowledged"),
        #[error("the leaver or successor cannot sign off their own handover")]
        OwnCase => (Forbidden, "forbidden"),
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Input(InputError),
        Tenancy(TenancyError),
        Identity(IdentityError),
        Internal(InternalError),
    }
    message_zh = message_zh;
}

pub type HandoverResult<T> = Result<T, HandoverError>;

/// The Chinese sentence of the refusals that share their code with other invalid input
/// (`invalid_input`, `bad_request`), so the console cannot word them by code.
fn message_zh(e: &HandoverError) -> Option<Cow<'_, str>> {
    Some(match e {
        HandoverError::IdempotencyKeyInvalid => {
            "缺少 Idempotency-Key 请求头，或其长度不在 1 至 200 个字符之间。".into()
        }
        HandoverError::SuccessorIsLeaver => "接收人不能是移交人本人。".into(),
        HandoverError::NoSuchAction { action, available } => {
            format!("这一项没有“{action}”操作；可用的操作：{available}。").into()
        }
        HandoverError::UnknownChecklistEntry => {
            "交接事项只能是资料交接（materials）或业务培训（training）。".into()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use serde_json::json;

    use super::*;
    use crate::error::{AppError, DomainError, ErrorKind};

    fn http(e: HandoverError) -> (StatusCode, &'static str, String, Option<serde_json::Value>) {
        AppError::from(e).parts()
    }

    #[test]
    fn domain_conditions_keep_their_http_answers() {
        let closed = http(HandoverError::CaseClosed {
            state: CaseState::Cancelled,
        });
        assert_eq!(
            (closed.0, closed.1, closed.2.as_str()),
            (
                StatusCode::CONFLICT,
                "case_closed",
                "this case is cancelled and can no longer change"
            )
        );
        let sig = http(HandoverError::BadSignature(
            "the signature does not match the body",
        ));
        assert_eq!((sig.0, sig.1), (StatusCode::UNAUTHORIZED, "bad_signature"));
        let moved = http(HandoverError::SuccessorNotInUnit {
            username: "li.na".into(),
        });
        assert_eq!(
            (moved.0, moved.1, moved.2.as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "successor_not_in_unit",
                "li.na holds no role in this unit; give them one first"
            )
        );
        let rotate = http(HandoverError::RotateRequired);
        assert!(
            rotate.2.contains("/api/v1/accounts/{id}/rotations"),
            "{}",
            rotate.2
        );
        let field = http(InputError::field("state", "bad state").into());
        assert_eq!(field.3, Some(json!({ "field": "state" })));
    }

    #[test]
    fn a_nested_error_answers_for_itself() {
        let e = HandoverError::from(IdentityError::Throttled(30));
        assert_eq!(e.kind(), ErrorKind::Throttled);
        assert_eq!(e.retry_after(), Some(30));
        let (status, code, _, _) = http(e);
        assert_eq!((status, code), (StatusCode::TOO_MANY_REQUESTS, "throttled"));
        let cli = crate::error::CliError::from(HandoverError::from(TenancyError::NotFound("unit")));
        assert_eq!((cli.message.as_str(), cli.exit_code), ("unit not found", 3));
    }
}
