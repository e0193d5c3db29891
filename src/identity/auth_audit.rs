//! Audit events of login and of the checks that count toward lockout (step-up, current
//! password): about a user who is not (yet) the authenticated caller.

use serde_json::json;

use super::error::IdentityResult;
use super::{lockout, lockout_notice};
use crate::app::AppState;
use crate::audit::{Actor, Entry, Outcome, RequestMeta};
use crate::db::Tx;
use crate::ids::UserId;

/// Who an authentication event is about, and where it is recorded.
pub(super) struct LoginAudit<'a> {
    pub state: &'a AppState,
    pub meta: &'a RequestMeta,
    pub unit_id: &'a str,
    pub actor: Actor,
}

impl<'a> LoginAudit<'a> {
    /// Events about the known user `user_id` (`username`), recorded in their home unit.
    pub fn of_user(
        state: &'a AppState,
        meta: &'a RequestMeta,
        unit_id: &'a str,
        user_id: &UserId,
        username: &str,
    ) -> Self {
        LoginAudit {
            state,
            meta,
            unit_id,
            actor: Actor::user(user_id.as_str(), username),
        }
    }

    /// The event `action`: by the user it is about (or, for an unknown name, by an
    /// anonymous caller), targeting that user.
    pub async fn write(
        &self,
        tx: &mut Tx,
        action: &'static str,
        outcome: Outcome,
        details: serde_json::Value,
    ) -> IdentityResult<()> {
        let mut entry = Entry::new(self.unit_id, self.actor.clone(), action)
            .outcome(outcome)
            .details(details);
        // Anonymous callers have no id: the event still names its target kind.
        entry.target_kind = Some("user");
        entry.target_id = self.actor.id.as_deref();
        tx.audit(self.state.now(), self.meta, entry).await?;
        Ok(())
    }

    /// Records a counted failure (`lockout::fail`): its audit event (`action`,
    /// failure) and, when it locked the user, `auth.lockout`. Returns the lock.
    pub async fn failure(
        &self,
        tx: &mut Tx,
        f: lockout::Failure,
        action: &'static str,
        reason: &str,
    ) -> IdentityResult<Option<i64>> {
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
            if let Some(user_id) = self.actor.id.as_deref() {
                let now = self.state.now();
                lockout_notice::notify_if_privileged(tx, user_id, until, f.failures, now).await?;
            }
        }
        Ok(f.locked_until)
    }
}
