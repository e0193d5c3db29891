//! Audit events about authentication (login, lockout, step-up, enrolment, logout).

use serde_json::json;

use super::lockout;
use crate::app::AppState;
use crate::audit::{Actor, Entry, Outcome, RequestMeta};
use crate::db::Tx;
use crate::error::AppResult;

/// Who an authentication event is about, and where it is recorded.
pub(super) struct LoginAudit<'a> {
    pub state: &'a AppState,
    pub meta: &'a RequestMeta,
    pub unit_id: &'a str,
    pub actor: Actor,
}

impl LoginAudit<'_> {
    pub async fn write(
        &self,
        tx: &mut Tx,
        action: &'static str,
        outcome: Outcome,
        details: serde_json::Value,
    ) -> AppResult<()> {
        tx.audit(
            self.state.now(),
            self.meta,
            Entry {
                unit_id: self.unit_id,
                actor: self.actor.clone(),
                action,
                target_kind: Some("user"),
                target_id: self.actor.id.as_deref(),
                outcome,
                details,
            },
        )
        .await
        .map_err(Into::into)
    }

    /// Records a counted failure (`lockout::fail`): its audit event (`action`,
    /// failure) and, when it locked the user, `auth.lockout`. Returns the lock.
    pub async fn failure(
        &self,
        tx: &mut Tx,
        f: lockout::Failure,
        action: &'static str,
        reason: &str,
    ) -> AppResult<Option<i64>> {
        self.write(
            tx,
            action,
            Outcome::Failure,
            json!({ "reason": reason, "consecutive_failures": f.failures }),
        )
        .await?;
        if f.newly_locked
            && let Some(until) = f.locked_until
        {
            self.write(
                tx,
                "auth.lockout",
                Outcome::Success,
                json!({ "locked_until": until, "failures": f.failures }),
            )
            .await?;
        }
        Ok(f.locked_until)
    }
}
