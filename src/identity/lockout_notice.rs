//! A privileged user locked out (`privileged_lockout`): someone may be guessing an
//! administrator's password, so the system administrators hear of it, in the
//! transaction that set the lock. Only names, the count and the time go out.

use serde_json::json;
use sqlx::Row;

use crate::authz::Role;
use crate::db::Tx;
use crate::ids::UnitId;
use crate::notify::{Audience, Notice, NotificationKind, enqueue};

/// Queues the notice when `user_id` holds a privileged role anywhere; returns whether
/// it did.
pub(super) async fn notify_if_privileged(
    tx: &mut Tx,
    user_id: &str,
    locked_until: i64,
    failures: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let roles = sqlx::query("SELECT role FROM memberships WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut **tx)
        .await?;
    let privileged = roles.iter().any(|r| {
        r.try_get::<String, _>(0)
            .ok()
            .and_then(|s| Role::parse(&s))
            .is_some_and(Role::is_privileged)
    });
    if !privileged {
        return Ok(false);
    }
    let Some(who) = sqlx::query(
        "SELECT u.username, u.display_name, u.unit_id, n.name FROM users u \
         JOIN units n ON n.id = u.unit_id WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(false);
    };
    let username: String = who.try_get(0)?;
    let display_name: String = who.try_get(1)?;
    let notice = Notice::new(
        NotificationKind::PrivilegedLockout,
        UnitId::new(who.try_get::<String, _>(2)?),
        now,
    )
    .to(Audience::Sysadmins)
    .data(json!({
        "user_id": user_id,
        "user": format!("{display_name} ({username})"),
        "unit": who.try_get::<String, _>(3)?,
        "failures": failures,
        "locked_until": locked_until,
    }));
    enqueue(tx, &notice).await?;
    Ok(true)
}
