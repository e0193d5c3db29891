//! What became of a channel test (`GET /units/{id}/channels/tests/{outbox_id}`): the
//! test row's state and last error, for those who may test the unit's channels (unit
//! admins, who do not read the whole outbox, included).

use serde::Serialize;
use sqlx::Row;

use crate::app::AppState;
use crate::authz::{AuthContext, Permission};
use crate::ids::UnitId;
use crate::notify::error::NotifyError;
use crate::notify::kinds::NotificationKind;
use crate::notify::outbox::{Channel, OutboxState};

/// One channel test as it stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestOutcome {
    pub outbox_id: String,
    pub channel: Channel,
    /// `pending` (not sent yet, or waiting to be retried), `delivered` or `failed`.
    pub state: OutboxState,
    /// Sending attempts made so far.
    pub attempts: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    /// When a pending test is (next) tried.
    pub next_attempt_at: i64,
    /// What went wrong last (names a host at most, never a URL or secret).
    pub last_error: Option<String>,
}

/// The test `outbox_id` queued for `unit_id` (`notify.channels.test`); not found for
/// any other row, a unit outside the caller's, or a caller without the unit's channels.
pub async fn test_outcome(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: &UnitId,
    outbox_id: &str,
) -> Result<TestOutcome, NotifyError> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::ChannelsRead).await?;
    let row = sqlx::query(
        "SELECT id, channel, state, attempts, created_at, delivered_at, next_attempt_at, \
         last_error FROM outbox WHERE id = $1 AND unit_id = $2 AND kind = $3",
    )
    .bind(outbox_id)
    .bind(unit.id.as_str())
    .bind(NotificationKind::ChannelTest.as_str())
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(NotifyError::OutboxNotFound)?;
    let channel: String = row.try_get("channel")?;
    let row_state: String = row.try_get("state")?;
    let bad = |what: &str, v: &str| {
        NotifyError::from(sqlx::Error::Decode(
            format!("unknown outbox {what} {v:?}").into(),
        ))
    };
    Ok(TestOutcome {
        outbox_id: row.try_get("id")?,
        channel: Channel::parse(&channel).ok_or_else(|| bad("channel", &channel))?,
        state: OutboxState::parse(&row_state).ok_or_else(|| bad("state", &row_state))?,
        attempts: row.try_get("attempts")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
    })
}
