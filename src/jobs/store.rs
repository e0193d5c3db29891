//! The job tables: occurrences `(job, due_at)` as rows, claimed under the job's row lock
//! with a lease, renewed while running, finished with their outcome. All SQL of the
//! scheduler lives here; the one engine difference (SKIP LOCKED) is in `db`.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};

use super::registry::Counts;
use super::status::{CurrentRun, LastRun};
use crate::clock::Millis;
use crate::db::{Db, LockTable, Tx, new_id};
use crate::text_enum::text_enum;

text_enum!(
    /// What the `state` column of an occurrence holds.
    RunState {
        /// Due, not yet claimed.
        Pending => "pending",
        /// Claimed; `owner` holds it until `lease_expires_at`.
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        /// Never run: a later occurrence of the same job came due first.
        Skipped => "skipped",
    }
);

text_enum!(
    /// Why an occurrence exists.
    Trigger {
        /// The cron expression came due.
        Schedule => "schedule",
        /// `credgov jobs run NAME`.
        Manual => "manual",
    }
);

/// An occurrence this instance now owns.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub run_id: String,
    pub due_at: Millis,
    pub attempt: i64,
}

/// Makes sure every job has its lock row.
pub async fn register_jobs(db: &Db, names: &[&str], now: Millis) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    for name in names {
        sqlx::query(
            "INSERT INTO jobs (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(*name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Locks the job's row for this transaction; false when another claimer holds it
/// (PostgreSQL) or the job is not registered.
pub async fn lock_job(tx: &mut Tx, job: &str) -> Result<bool, sqlx::Error> {
    tx.try_lock_row(LockTable::Jobs, job).await
}

/// Adds the occurrence `(job, due_at)` unless it or a later one exists (occurrences only
/// move forward: a sweep after downtime adds the latest missed one, never older ones).
/// Returns whether a row was added. Call with the job locked.
pub async fn add_occurrence(
    tx: &mut Tx,
    job: &str,
    due_at: Millis,
    trigger: Trigger,
    now: Millis,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO job_runs (id, job, due_at, trigger_kind, state, attempts, created_at) \
         SELECT $1, $2, $3, $4, $5, 0, $6 \
         WHERE NOT EXISTS (SELECT 1 FROM job_runs WHERE job = $2 AND due_at >= $3) \
         ON CONFLICT (job, due_at) DO NOTHING",
    )
    .bind(new_id())
    .bind(job)
    .bind(due_at)
    .bind(trigger.as_str())
    .bind(RunState::Pending.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The due time of the job's latest occurrence.
pub async fn latest_due(tx: &mut Tx, job: &str) -> Result<Option<Millis>, sqlx::Error> {
    sqlx::query("SELECT MAX(due_at) FROM job_runs WHERE job = $1")
        .bind(job)
        .fetch_one(&mut **tx)
        .await?
        .try_get::<Option<i64>, _>(0)
}

/// Claims the job's latest occurrence for `owner` until `now + lease_ms` when it is
/// pending or its owner's lease expired, and no occurrence of the job runs under a live
/// lease. Older occurrences still waiting are marked skipped. Call with the job locked:
/// the lock makes the check and the write one step on both engines.
pub async fn claim_latest(
    tx: &mut Tx,
    job: &str,
    owner: &str,
    now: Millis,
    lease_ms: i64,
) -> Result<Option<Claimed>, sqlx::Error> {
    let running = RunState::Running.as_str();
    let pending = RunState::Pending.as_str();
    let live: i64 = sqlx::query(
        "SELECT COUNT(*) FROM job_runs WHERE job = $1 AND state = $2 AND lease_expires_at > $3",
    )
    .bind(job)
    .bind(running)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    if live > 0 {
        return Ok(None);
    }
    let Some(latest) = sqlx::query(
        "SELECT id, due_at, state FROM job_runs WHERE job = $1 ORDER BY due_at DESC LIMIT 1",
    )
    .bind(job)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    let run_id: String = latest.try_get("id")?;
    let due_at: i64 = latest.try_get("due_at")?;
    let state: String = latest.try_get("state")?;
    // No live lease on this job (checked above), so a running latest one was abandoned.
    if !matches!(
        RunState::parse(&state),
        Some(RunState::Pending | RunState::Running)
    ) {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE job_runs SET state = $1, owner = NULL, lease_expires_at = NULL, finished_at = $2, \
         error = 'a later occurrence of this job came due first' \
         WHERE job = $3 AND due_at < $4 AND state IN ($5, $6)",
    )
    .bind(RunState::Skipped.as_str())
    .bind(now)
    .bind(job)
    .bind(due_at)
    .bind(pending)
    .bind(running)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query(
        "UPDATE job_runs SET state = $1, owner = $2, lease_expires_at = $3, started_at = $4, \
         attempts = attempts + 1 \
         WHERE id = $5 AND (state = $6 OR (state = $1 AND lease_expires_at <= $4)) \
         RETURNING attempts",
    )
    .bind(running)
    .bind(owner)
    .bind(now + lease_ms)
    .bind(now)
    .bind(&run_id)
    .bind(pending)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Claimed {
        run_id,
        due_at,
        attempt: row.try_get(0)?,
    }))
}

/// Extends the lease; false when `owner` no longer holds the run.
pub async fn renew(db: &Db, run_id: &str, owner: &str, until: Millis) -> Result<bool, sqlx::Error> {
    let update = sqlx::query(
        "UPDATE job_runs SET lease_expires_at = $1 WHERE id = $2 AND owner = $3 AND state = $4",
    )
    .bind(until);
    update_held(db, update, run_id, owner).await
}

/// Runs `update` on the run only while `owner` holds it, in its own write transaction:
/// its SQL ends `WHERE id = $n AND owner = $n+1 AND state = $n+2`, the three values
/// bound here. False when `owner` no longer holds the run (then nothing changes).
async fn update_held<'q>(
    db: &Db,
    update: Query<'q, Any, AnyArguments>,
    run_id: &'q str,
    owner: &'q str,
) -> Result<bool, sqlx::Error> {
    let update = update
        .bind(run_id)
        .bind(owner)
        .bind(RunState::Running.as_str());
    let mut tx = db.begin_write().await?;
    let done = update.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// The outcome of one run.
pub struct Outcome<'a> {
    pub state: RunState,
    pub finished_at: Millis,
    pub duration_ms: i64,
    pub counts: &'a Counts,
    pub error: Option<&'a str>,
}

/// Records the outcome; false when `owner` lost the run meanwhile (then nothing changes:
/// the new owner records its own).
pub async fn finish(
    db: &Db,
    run_id: &str,
    owner: &str,
    outcome: &Outcome<'_>,
) -> Result<bool, sqlx::Error> {
    let counts = serde_json::to_string(outcome.counts).unwrap_or_else(|_| "{}".into());
    let update = sqlx::query(
        "UPDATE job_runs SET state = $1, finished_at = $2, duration_ms = $3, counts = $4, \
         error = $5, lease_expires_at = NULL WHERE id = $6 AND owner = $7 AND state = $8",
    )
    .bind(outcome.state.as_str())
    .bind(outcome.finished_at)
    .bind(outcome.duration_ms)
    .bind(counts)
    .bind(outcome.error);
    update_held(db, update, run_id, owner).await
}

/// Each job's latest finished (succeeded or failed) occurrence, with the job's name.
pub async fn latest_finished(pool: &AnyPool) -> Result<Vec<(String, LastRun)>, sqlx::Error> {
    let ok = RunState::Succeeded.as_str();
    let failed = RunState::Failed.as_str();
    let rows = sqlx::query(
        "SELECT r.job, r.id, r.due_at, r.trigger_kind, r.state, r.started_at, r.finished_at, \
         r.duration_ms, r.attempts, r.counts, r.error FROM job_runs r \
         WHERE r.state IN ($1, $2) AND r.due_at = (SELECT MAX(x.due_at) FROM job_runs x \
         WHERE x.job = r.job AND x.state IN ($1, $2))",
    )
    .bind(ok)
    .bind(failed)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let counts: Option<String> = r.try_get("counts")?;
            let run = LastRun {
                run_id: r.try_get("id")?,
                due_at: r.try_get("due_at")?,
                trigger: Trigger::parse(&r.try_get::<String, _>("trigger_kind")?)
                    .unwrap_or(Trigger::Schedule),
                outcome: RunState::parse(&r.try_get::<String, _>("state")?)
                    .unwrap_or(RunState::Failed),
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
                duration_ms: r.try_get("duration_ms")?,
                attempts: r.try_get("attempts")?,
                counts: counts
                    .and_then(|c| serde_json::from_str(&c).ok())
                    .unwrap_or_default(),
                error: r.try_get("error")?,
            };
            Ok((r.try_get("job")?, run))
        })
        .collect()
}

/// Occurrences running under a live lease, with their job's name.
pub async fn running(
    pool: &AnyPool,
    now: Millis,
) -> Result<Vec<(String, CurrentRun)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT job, id, due_at, owner, started_at, lease_expires_at, attempts FROM job_runs \
         WHERE state = $1 AND lease_expires_at > $2",
    )
    .bind(RunState::Running.as_str())
    .bind(now)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let run = CurrentRun {
                run_id: r.try_get("id")?,
                due_at: r.try_get("due_at")?,
                owner: r.try_get::<Option<String>, _>("owner")?.unwrap_or_default(),
                started_at: r.try_get("started_at")?,
                lease_expires_at: r
                    .try_get::<Option<i64>, _>("lease_expires_at")?
                    .unwrap_or_default(),
                attempts: r.try_get("attempts")?,
            };
            Ok((r.try_get("job")?, run))
        })
        .collect()
}

/// Deletes finished occurrences due before `before`, keeping each job's latest.
pub async fn prune(tx: &mut Tx, before: Millis) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM job_runs WHERE due_at < $1 AND state IN ($2, $3, $4) \
         AND due_at < (SELECT MAX(x.due_at) FROM job_runs x WHERE x.job = job_runs.job)",
    )
    .bind(before)
    .bind(RunState::Succeeded.as_str())
    .bind(RunState::Failed.as_str())
    .bind(RunState::Skipped.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
