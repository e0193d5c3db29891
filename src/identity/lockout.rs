//! Per-user lockout that holds under concurrency and with several servers on one
//! database. Every check of a password or TOTP code first reserves an attempt slot in
//! one conditional UPDATE that refuses while the user is locked or while
//! `failed_logins + attempts in flight` already reaches `lockout.max_failures`; so at
//! most that many wrong guesses are ever evaluated per lock window, whatever the
//! concurrency. A failure turns its slot into a counted failure (and locks at the
//! threshold), a success gives its slot back and clears the counter only if no lock was
//! set meanwhile. Slots are a lease: one left behind by a crashed server stops counting
//! after `LEASE_MS`.
//!
//! Lock order (PostgreSQL row locks): a transaction touches `users`, then
//! `login_throttle`, then the audit chain head, never the other way round.

use serde_json::json;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row};

use super::error::{IdentityError, IdentityResult};
use crate::clock::MINUTE_MS;
use crate::db::Tx;
use crate::ids::UserId;
use crate::policy::LockoutPolicy;

/// How long a reserved slot counts when its server never gives it back (here and in
/// the per-address throttle).
pub(super) const LEASE_MS: i64 = 60_000;
/// What to wait when every slot is taken by attempts still being checked.
pub(super) const IN_PROGRESS_RETRY_SECONDS: u64 = 2;

/// Slots held by live reservations (an expired lease counts as none).
const LIVE_PENDING: &str = "(CASE WHEN login_pending_until > $2 THEN login_pending ELSE 0 END)";
const GIVE_BACK: &str =
    "login_pending = CASE WHEN login_pending > 0 THEN login_pending - 1 ELSE 0 END";

pub(super) enum Reservation {
    Granted,
    /// Locked until this time (unix ms).
    Locked(i64),
    /// Not locked, but the remaining attempts are all being checked right now.
    InProgress,
}

impl Reservation {
    pub(super) fn refusal(&self) -> Option<IdentityError> {
        match self {
            Reservation::Granted => None,
            Reservation::Locked(until) => Some(IdentityError::Locked(*until)),
            Reservation::InProgress => Some(IdentityError::AttemptsInProgress),
        }
    }

    /// For the audit event of a refusal.
    pub(super) fn details(&self) -> serde_json::Value {
        match self {
            Reservation::Granted => json!({}),
            Reservation::Locked(until) => json!({ "reason": "locked", "locked_until": until }),
            Reservation::InProgress => json!({ "reason": "attempts_in_progress" }),
        }
    }
}

/// Reserves one attempt slot for `user_id`, atomically with the lock and threshold check.
pub(super) async fn reserve(
    tx: &mut Tx,
    policy: &LockoutPolicy,
    user_id: &UserId,
    now: i64,
) -> IdentityResult<Reservation> {
    let sql = format!(
        "UPDATE users SET login_pending = {LIVE_PENDING} + 1, login_pending_until = $2 + $4 \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
         AND failed_logins + {LIVE_PENDING} < $3"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(now)
        .bind(i64::from(policy.max_failures))
        .bind(LEASE_MS);
    if took_slot(tx, query).await? {
        return Ok(Reservation::Granted);
    }
    Ok(match locked_until(tx, user_id, now).await? {
        Some(until) => Reservation::Locked(until),
        None => Reservation::InProgress,
    })
}

/// Runs a reserving statement and tells whether it took a slot (changed its one row).
/// Shared with the per-address throttle.
pub(super) async fn took_slot(
    tx: &mut Tx,
    query: Query<'_, Any, AnyArguments>,
) -> IdentityResult<bool> {
    Ok(query.execute(&mut **tx).await?.rows_affected() == 1)
}

/// The end of the user's lock, if they are locked at `now`.
async fn locked_until(tx: &mut Tx, user_id: &UserId, now: i64) -> IdentityResult<Option<i64>> {
    let until: Option<i64> = sqlx::query("SELECT locked_until FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get::<Option<i64>, _>(0))
        .transpose()?
        .flatten();
    Ok(until.filter(|u| *u > now))
}

/// Gives a slot back without counting anything (the attempt was not a wrong guess).
pub(super) async fn release(tx: &mut Tx, user_id: &UserId) -> IdentityResult<()> {
    give_back_slot(tx, "users", "id", GIVE_BACK, user_id.as_str()).await
}

/// Gives one slot back in the row of `table` whose `key_column` is `key`; `give_back`
/// is that table's `SET` clause for it. Shared with the per-address throttle. The
/// names are constants of the callers, never input.
pub(super) async fn give_back_slot(
    tx: &mut Tx,
    table: &str,
    key_column: &str,
    give_back: &str,
    key: &str,
) -> IdentityResult<()> {
    let sql = format!("UPDATE {table} SET {give_back} WHERE {key_column} = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A wrong guess, counted.
pub(super) struct Failure {
    /// Consecutive failures including this one.
    pub failures: i64,
    /// Set when this failure locked the user (or they were locked meanwhile).
    pub locked_until: Option<i64>,
    /// True when this failure set the lock (for the `auth.lockout` event).
    pub newly_locked: bool,
}

/// Turns the slot into a counted failure; locks at the threshold.
pub(super) async fn fail(
    tx: &mut Tx,
    policy: &LockoutPolicy,
    user_id: &UserId,
    now: i64,
) -> IdentityResult<Failure> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE users SET failed_logins = failed_logins + 1, {GIVE_BACK} WHERE id = $1 \
         RETURNING failed_logins, locked_until"
    )))
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?;
    let failures: i64 = row.try_get(0)?;
    let current_lock = row.try_get::<Option<i64>, _>(1)?.filter(|u| *u > now);
    if failures < i64::from(policy.max_failures) {
        return Ok(Failure {
            failures,
            locked_until: current_lock,
            newly_locked: false,
        });
    }
    let (until, newly_locked) = match current_lock {
        Some(until) => (until, false),
        None => (now + i64::from(policy.lock_minutes) * MINUTE_MS, true),
    };
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
        .bind(until)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(Failure {
        failures,
        locked_until: Some(until),
        newly_locked,
    })
}

/// A successful login: gives the slot back and clears the counter, unless a lock was
/// set meanwhile by concurrent failures. `Err(until)` then: the login must be refused.
pub(super) async fn succeed(
    tx: &mut Tx,
    user_id: &UserId,
    now: i64,
) -> IdentityResult<Result<(), i64>> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, {GIVE_BACK} \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)"
    )))
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if done {
        return Ok(Ok(()));
    }
    release(tx, user_id).await?;
    Ok(Err(locked_until(tx, user_id, now).await?.unwrap_or(now)))
}
