//! `housekeeping` (hourly): deletes rows nothing reads any more — sessions past their
//! idle or absolute limit, login-throttle windows long over, stale rate-limit windows,
//! login slots of crashed servers, job history older than [`JOB_HISTORY_DAYS`], and of
//! notifications: delivered outbox rows after [`OUTBOX_KEEP_DAYS`] (failed ones wait for
//! a sysadmin), read inbox rows and "told once" marks after [`NOTICE_KEEP_DAYS`] (a fact
//! still true after that is told again, once a year at most).
//! Every statement is a conditional delete, so a repeated run does nothing new.

use super::registry::{Counts, JobFailure, RunContext};
use crate::app::AppState;
use crate::clock::{HOUR_MS, MINUTE_MS};

/// Rate-limit windows are at most a minute today; a day leaves a wide margin.
const RATE_LIMIT_KEEP_MS: i64 = 24 * HOUR_MS;
/// Finished job runs kept (each job's latest is always kept).
pub const JOB_HISTORY_DAYS: i64 = 90;
/// Delivered outbox rows kept (the sysadmins' delivery history).
pub const OUTBOX_KEEP_DAYS: i64 = 90;
/// Read inbox rows and `notice_marks` kept.
pub const NOTICE_KEEP_DAYS: i64 = 400;

crate::scheduled_job! {
    pub struct Housekeeping {
        name: "housekeeping",
        cron: "10 * * * *",
        description: "deletes expired sessions, stale login-throttle and rate-limit rows, abandoned login slots, old job history, old delivered notifications, read inbox rows and notice marks",
        run: run,
    }
}

async fn run(state: &AppState, _run: &RunContext) -> Result<Counts, JobFailure> {
    let now = state.now();
    let idle_ms = i64::from(state.policy.session.idle_minutes) * MINUTE_MS;
    let throttle_window_ms = i64::from(state.policy.lockout.address_window_minutes) * MINUTE_MS;
    let mut counts = Counts::new();
    let mut tx = state.db.begin_write().await?;
    // Test hook (0 in production): a long run that holds its write transaction, so the
    // suite can kill a server mid-run and check that lease renewals never wait on it.
    let pause = state.config.jobs.test_sleep_ms;
    if pause > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
    }
    let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(now - idle_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let throttle =
        sqlx::query("DELETE FROM login_throttle WHERE window_start < $1 AND pending_until < $2")
            .bind(now - 2 * throttle_window_ms)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let rate_limits = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(now - RATE_LIMIT_KEEP_MS)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    // A slot whose lease ran out already counts as zero; this only tidies the row.
    let login_slots = sqlx::query(
        "UPDATE users SET login_pending = 0, login_pending_until = NULL \
         WHERE login_pending > 0 AND login_pending_until <= $1",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let job_runs = super::store::prune(&mut tx, now - JOB_HISTORY_DAYS * 24 * HOUR_MS).await?;
    let outbox = sqlx::query("DELETE FROM outbox WHERE state = $1 AND delivered_at < $2")
        .bind(crate::notify::outbox::OutboxState::Delivered.as_str())
        .bind(now - OUTBOX_KEEP_DAYS * 24 * HOUR_MS)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let notice_cutoff = now - NOTICE_KEEP_DAYS * 24 * HOUR_MS;
    let inbox = sqlx::query("DELETE FROM notifications WHERE read_at < $1")
        .bind(notice_cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let marks = sqlx::query("DELETE FROM notice_marks WHERE created_at < $1")
        .bind(notice_cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    for (name, n) in [
        ("sessions_deleted", sessions),
        ("login_throttle_deleted", throttle),
        ("rate_limits_deleted", rate_limits),
        ("login_slots_cleared", login_slots),
        ("job_runs_pruned", job_runs),
        ("outbox_delivered_deleted", outbox),
        ("notifications_read_deleted", inbox),
        ("notice_marks_deleted", marks),
    ] {
        counts.insert(name.into(), i64::try_from(n).unwrap_or(i64::MAX));
    }
    Ok(counts)
}
