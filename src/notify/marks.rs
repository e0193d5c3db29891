//! Facts a digest has told once (`notice_marks`): a producer that lists only what is new
//! claims each fact's mark in its transaction and lists the ones it won. The claim is
//! an insert on the primary key, so of two concurrent producers only one wins a mark
//! (on PostgreSQL the second waits for the first to commit and then finds it taken), and
//! a rolled-back producer leaves nothing claimed.

use sqlx::Row;

use crate::db::Tx;
use crate::http::placeholders;

/// Rows per statement.
const BATCH: usize = 500;

/// SQL for a condition that holds while the mark `mark` (an SQL expression) is not
/// taken: a producer reads only the facts it has not told yet, then claims those.
pub fn not_taken(mark: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM notice_marks m WHERE m.mark = {mark})")
}

/// Claims `marks` at `now`; returns the ones this call won (not claimed before), in
/// order. Marks are inserted sorted, so concurrent claimers lock in one order.
pub async fn claim(tx: &mut Tx, marks: &[String], now: i64) -> Result<Vec<String>, sqlx::Error> {
    let mut sorted: Vec<&String> = marks.iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut won = Vec::new();
    for chunk in sorted.chunks(BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({}, $1)", placeholders(2 + i, 1)))
            .collect();
        let sql = format!(
            "INSERT INTO notice_marks (mark, created_at) VALUES {} \
             ON CONFLICT (mark) DO NOTHING RETURNING mark",
            values.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for m in chunk {
            q = q.bind(m.as_str());
        }
        for r in q.fetch_all(&mut **tx).await? {
            won.push(r.try_get::<String, _>(0)?);
        }
    }
    won.sort_unstable();
    Ok(won)
}
