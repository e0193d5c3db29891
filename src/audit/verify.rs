//! Walks every chain and reports the first broken link.

use sqlx::Row;

use super::chain::{GENESIS_HASH, event_hash};
use super::store::{AuditEvent, SELECT_EVENTS};
use crate::error::AppResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyReport {
    Intact {
        chains: usize,
        events: u64,
    },
    Broken {
        unit_id: String,
        seq: i64,
        reason: String,
    },
}

const PAGE: i64 = 1000;

/// Verifies every unit's chain: sequence numbers without gaps, each `prev_hash` equal
/// to the previous event's hash, each hash recomputed from the event's fields, and the
/// chain head matching the last event (so removing the newest events is caught too).
pub async fn verify_all(pool: &sqlx::AnyPool) -> AppResult<VerifyReport> {
    let units: Vec<String> = sqlx::query(
        "SELECT unit_id FROM audit_heads UNION SELECT DISTINCT unit_id FROM audit_events ORDER BY 1",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>(0))
    .collect::<Result<_, _>>()?;
    let mut total = 0u64;
    for unit in &units {
        let head = sqlx::query("SELECT seq, hash FROM audit_heads WHERE unit_id = $1")
            .bind(unit)
            .fetch_optional(pool)
            .await?;
        let (head_seq, head_hash) = match head {
            Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
            None => {
                return Ok(broken(
                    unit,
                    0,
                    "events exist but the chain head is missing",
                ));
            }
        };
        let mut expected_seq = 1i64;
        let mut prev = GENESIS_HASH.to_string();
        loop {
            let sql =
                format!("{SELECT_EVENTS} WHERE unit_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(unit)
                .bind(expected_seq)
                .bind(PAGE)
                .fetch_all(pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let e = AuditEvent::from_row(r)?;
                if e.seq != expected_seq {
                    return Ok(broken(
                        unit,
                        expected_seq,
                        &format!("event {expected_seq} is missing (next stored is {})", e.seq),
                    ));
                }
                if e.prev_hash != prev {
                    return Ok(broken(
                        unit,
                        e.seq,
                        "prev_hash does not match the previous event",
                    ));
                }
                if event_hash(&prev, &e.canonical()) != e.hash {
                    return Ok(broken(
                        unit,
                        e.seq,
                        "event content does not match its hash (edited or reordered)",
                    ));
                }
                prev = e.hash;
                expected_seq += 1;
                total += 1;
            }
        }
        let last = expected_seq - 1;
        if last != head_seq || prev != head_hash {
            return Ok(broken(
                unit,
                last + 1,
                &format!(
                    "chain head says {head_seq} events but {last} are stored (events deleted at the end)"
                ),
            ));
        }
    }
    Ok(VerifyReport::Intact {
        chains: units.len(),
        events: total,
    })
}

fn broken(unit: &str, seq: i64, reason: &str) -> VerifyReport {
    VerifyReport::Broken {
        unit_id: unit.to_string(),
        seq,
        reason: reason.to_string(),
    }
}
