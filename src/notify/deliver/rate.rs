//! The robots' rate limit, shared by every server through `robot_slots`: at most
//! [`PER_MINUTE`] messages reach one robot in any 60 seconds (DingTalk blocks a robot for
//! ten minutes beyond 20; WeCom refuses). A send takes a free slot with a conditional
//! UPDATE, so two deliverers can never take the same one; the slot stays taken until a
//! minute after the latest moment the message could arrive, then a minute after the
//! send actually ended.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::app::AppState;
use crate::clock::Millis;
use crate::db::Db;

/// Messages one robot takes per minute.
pub const PER_MINUTE: i64 = 20;
/// The window the limit counts in.
pub const WINDOW_MS: Millis = 60_000;

/// A taken slot; give it back with [`finish`] when the send has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    robot: String,
    slot: i64,
    /// When it was taken: the send starts no earlier.
    taken_at: Millis,
}

/// The robot's key in `robot_slots`: a keyed hash of its URL (the URL carries its key).
pub fn robot_key(state: &AppState, url: &str) -> String {
    let key = state.keyring.derive("notify.robot");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(url.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// Takes a free slot of `robot` for a send starting at `now` that may take up to
/// `max_send_ms`; `Err(at)` when all are taken: the earliest moment one frees up.
pub async fn take(
    db: &Db,
    robot: &str,
    now: Millis,
    max_send_ms: Millis,
) -> Result<Result<Slot, Millis>, sqlx::Error> {
    // The robot's slots exist from its first message on: created then, in one statement.
    let mut slots = slots_of(db, robot).await?;
    if slots.len() < PER_MINUTE as usize {
        let mut tx = db.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(insert_slots_sql()))
            .bind(robot)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        slots = slots_of(db, robot).await?;
    }
    // Try the free slots, oldest first; a slot another server took meanwhile fails the
    // conditional update and the next one is tried.
    let free = slots.into_iter().filter(|&(_, free_at)| free_at <= now);
    for (slot, _) in free {
        let taken = sqlx::query(
            "UPDATE robot_slots SET free_at = $1 WHERE robot = $2 AND slot = $3 AND free_at <= $4",
        )
        .bind(now + max_send_ms + WINDOW_MS)
        .bind(robot)
        .bind(slot)
        .bind(now)
        .execute(db.pool())
        .await?
        .rows_affected();
        if taken == 1 {
            return Ok(Ok(Slot {
                robot: robot.to_string(),
                slot,
                taken_at: now,
            }));
        }
    }
    let (next,): (Option<i64>,) =
        sqlx::query_as("SELECT MIN(free_at) FROM robot_slots WHERE robot = $1")
            .bind(robot)
            .fetch_one(db.pool())
            .await?;
    Ok(Err(next.unwrap_or(now + WINDOW_MS).max(now + 1)))
}

/// The robot's slots (slot, free at), the earliest free first.
async fn slots_of(db: &Db, robot: &str) -> Result<Vec<(i64, Millis)>, sqlx::Error> {
    sqlx::query_as("SELECT slot, free_at FROM robot_slots WHERE robot = $1 ORDER BY free_at, slot")
        .bind(robot)
        .fetch_all(db.pool())
        .await
}

/// `INSERT` of all [`PER_MINUTE`] slots of the robot `$1`, free, keeping those that
/// exist.
fn insert_slots_sql() -> String {
    let rows: Vec<String> = (0..PER_MINUTE)
        .map(|slot| format!("($1, {slot}, 0)"))
        .collect();
    format!(
        "INSERT INTO robot_slots (robot, slot, free_at) VALUES {} ON CONFLICT DO NOTHING",
        rows.join(", ")
    )
}

/// The send that held `slot` ended at `ended`: the slot frees a minute later, never
/// later than the reservation said, and never earlier than a minute after the slot was
/// taken (an `ended` read from a clock behind the one that took the slot cannot free it
/// early). The message arrived at the robot between the two, so no 60 s window ever
/// holds more than [`PER_MINUTE`] of its messages.
pub async fn finish(db: &Db, slot: &Slot, ended: Millis) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE robot_slots SET free_at = $1 WHERE robot = $2 AND slot = $3 AND free_at > $1",
    )
    .bind(freed_at(slot, ended))
    .bind(&slot.robot)
    .bind(slot.slot)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// When `slot`, whose send ended at `ended`, may be taken again.
fn freed_at(slot: &Slot, ended: Millis) -> Millis {
    ended.max(slot.taken_at) + WINDOW_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_never_frees_within_a_minute_of_being_taken() {
        let slot = Slot {
            robot: "r".into(),
            slot: 0,
            taken_at: 1_000_000,
        };
        assert_eq!(freed_at(&slot, 1_000_500), 1_000_500 + WINDOW_MS);
        // An end read from a clock behind the one that took the slot.
        assert_eq!(freed_at(&slot, 970_000), 1_000_000 + WINDOW_MS);
    }

    #[test]
    fn one_statement_inserts_every_slot() {
        let sql = insert_slots_sql();
        assert_eq!(sql.matches("($1, ").count(), PER_MINUTE as usize);
        assert!(sql.contains("($1, 0, 0), ($1, 1, 0)"), "{sql}");
        assert!(sql.ends_with("($1, 19, 0) ON CONFLICT DO NOTHING"), "{sql}");
    }
}
