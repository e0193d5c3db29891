//! Walks every chain and reports the first broken link.

use sqlx::Row;

use super::chain::{GENESIS_HASH, V_HASHED, V_KEYED, link};
use super::error::{AuditError, AuditResult};
use super::store::{AuditEvent, SELECT_EVENTS};
use crate::db::Db;
use crate::ids::UnitId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyReport {
    Intact {
        chains: usize,
        events: u64,
    },
    Broken {
        unit_id: UnitId,
        seq: i64,
        reason: String,
    },
}

const PAGE: i64 = 1000;

/// Verifies every unit's chain: sequence numbers without gaps, each `prev_hash` equal
/// to the previous event's link, each link recomputed from the event's fields (SHA-256
/// for v1 events, HMAC-SHA256 under the chain key for v2), no unkeyed (v1) event after
/// the chain's last pre-keying event, and the chain head matching the last event (so
/// removing the newest events is caught too).
pub async fn verify_all(db: &Db) -> AuditResult<VerifyReport> {
    let key = db.chain_key().ok_or(AuditError::ChainKeyMissing)?.bytes();
    let units: Vec<UnitId> = sqlx::query(
        "SELECT unit_id FROM audit_heads UNION SELECT DISTINCT unit_id FROM audit_events ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get::<UnitId, _>(0))
    .collect::<Result<_, _>>()?;
    let mut total = 0u64;
    for unit in &units {
        match verify_chain(db, key, unit).await? {
            Ok(events) => total += events,
            Err(broken) => return Ok(broken),
        }
    }
    Ok(VerifyReport::Intact {
        chains: units.len(),
        events: total,
    })
}

/// Verifies one unit's chain the way [`verify_all`] does (the console's audit page shows
/// it for the unit it reads).
pub async fn verify_unit(db: &Db, unit: &UnitId) -> AuditResult<VerifyReport> {
    let key = db.chain_key().ok_or(AuditError::ChainKeyMissing)?.bytes();
    Ok(match verify_chain(db, key, unit).await? {
        Ok(events) => VerifyReport::Intact { chains: 1, events },
        Err(broken) => broken,
    })
}

/// One chain: the number of events when intact, else the report naming the first
/// broken one.
async fn verify_chain(
    db: &Db,
    key: &[u8; 32],
    unit: &UnitId,
) -> AuditResult<Result<u64, VerifyReport>> {
    let pool = db.pool();
    let mut total = 0u64;
    let head = sqlx::query("SELECT seq, hash, legacy_seq FROM audit_heads WHERE unit_id = $1")
        .bind(unit)
        .fetch_optional(pool)
        .await?;
    let (head_seq, head_hash, legacy_seq) = match head {
        Some(r) => (
            r.try_get::<i64, _>("seq")?,
            r.try_get::<String, _>("hash")?,
            r.try_get::<Option<i64>, _>("legacy_seq")?.unwrap_or(0),
        ),
        None if last_stored(db, unit).await?.is_none() => return Ok(Ok(0)),
        None => {
            return Ok(Err(broken(
                unit,
                0,
                "events exist but the chain head is missing",
            )));
        }
    };
    let mut expected_seq = 1i64;
    let mut prev = GENESIS_HASH.to_string();
    loop {
        // Up to the head read above: events written since (each with its head, in one
        // transaction) are not this walk's business.
        let sql = format!(
            "{SELECT_EVENTS} WHERE unit_id = $1 AND seq >= $2 AND seq <= $4 ORDER BY seq LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(unit)
            .bind(expected_seq)
            .bind(PAGE)
            .bind(head_seq)
            .fetch_all(pool)
            .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let e = AuditEvent::from_row(r)?;
            if let Some(reason) = check_event(key, &e, expected_seq, &prev, legacy_seq) {
                return Ok(Err(broken(unit, e.seq.min(expected_seq), &reason)));
            }
            prev = e.hash;
            expected_seq += 1;
            total += 1;
        }
    }
    let last = expected_seq - 1;
    if last != head_seq || prev != head_hash {
        return Ok(Err(broken(
            unit,
            last + 1,
            &format!(
                "chain head says {head_seq} events but {last} are stored (events deleted at the end)"
            ),
        )));
    }
    // An event beyond the head that no head covers was added outside the write path.
    // The newest event is read before the head, and a write commits both together, so a
    // write racing with this check only ever moves the head past what was read.
    let newest = last_stored(db, unit).await?.unwrap_or(0);
    let head_now: i64 = sqlx::query("SELECT seq FROM audit_heads WHERE unit_id = $1")
        .bind(unit)
        .fetch_optional(pool)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    if newest > head_now {
        return Ok(Err(broken(
            unit,
            head_now + 1,
            &format!(
                "event {newest} is stored beyond the chain head ({head_now}): added outside the audited write path"
            ),
        )));
    }
    Ok(Ok(total))
}

/// The highest sequence number stored for `unit`, if any event is.
async fn last_stored(db: &Db, unit: &UnitId) -> AuditResult<Option<i64>> {
    Ok(
        sqlx::query("SELECT MAX(seq) FROM audit_events WHERE unit_id = $1")
            .bind(unit)
            .fetch_one(db.pool())
            .await?
            .try_get::<Option<i64>, _>(0)?,
    )
}

/// What is wrong with `e` as the event expected at `expected_seq` after `prev`.
fn check_event(
    key: &[u8; 32],
    e: &AuditEvent,
    expected_seq: i64,
    prev: &str,
    legacy_seq: i64,
) -> Option<String> {
    if e.seq != expected_seq {
        return Some(format!(
            "event {expected_seq} is missing (next stored is {})",
            e.seq
        ));
    }
    if e.prev_hash != prev {
        return Some("prev_hash does not match the previous event".into());
    }
    if e.v == i64::from(V_HASHED) && e.seq > legacy_seq {
        return Some(
            "unkeyed (v1, SHA-256) event after the chain was keyed: rewritten without the key"
                .into(),
        );
    }
    match link(key, prev, &e.canonical()) {
        None => Some(format!("unknown encoding version {}", e.v)),
        Some(l) if l != e.hash => Some(if e.v == i64::from(V_KEYED) {
            "event content does not match its keyed link (edited, reordered, or rehashed without the key)".into()
        } else {
            "event content does not match its hash (edited or reordered)".into()
        }),
        Some(_) => None,
    }
}

fn broken(unit: &UnitId, seq: i64, reason: &str) -> VerifyReport {
    VerifyReport::Broken {
        unit_id: unit.clone(),
        seq,
        reason: reason.to_string(),
    }
}
