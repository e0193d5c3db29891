//! `credgov handover open`: an HR officer files a staff change from the console.

use serde_json::json;

use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::AuthContext;
use crate::error::CliError;
use crate::handover::{EventInput, record_event};

/// `credgov handover open` as typed.
pub struct OpenArgs {
    pub event_type: String,
    pub username: String,
    pub unit: String,
    pub successor: Option<String>,
    pub note: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Records the staff change as the console operator and prints the case opened.
pub async fn open(state: &AppState, a: OpenArgs) -> Result<(), CliError> {
    let body = json!({
        "type": a.event_type,
        "username": a.username,
        "unit_id": a.unit,
        "successor_username": a.successor,
        "note": a.note,
    });
    let input: EventInput =
        serde_json::from_value(body.clone()).map_err(|e| format!("bad arguments: {e}"))?;
    let key = a
        .idempotency_key
        .unwrap_or_else(|| format!("cli:{}", crate::handover::events_key(&body)));
    let (result, replayed) = record_event(
        state,
        &AuthContext::operator(),
        &RequestMeta::default(),
        &key,
        &body,
        input,
    )
    .await?;
    if replayed {
        println!(
            "already recorded: event {} → handover case {}",
            result.event_id, result.handover_id
        );
    } else {
        println!(
            "staff change recorded: event {} → handover case {}",
            result.event_id, result.handover_id
        );
    }
    Ok(())
}
