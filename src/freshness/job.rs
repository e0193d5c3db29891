//! `freshness_probe` (hourly): reads the feed or page of every active content account
//! that has a `feed_url`, through the one shared [`OutboundClient`](crate::outbound),
//! and records the outcome on the account: when, `ok` or the failure's code, the HTTP
//! status, the content hash, and how many probes in a row failed. A newer publication
//! date (a feed's newest item, a page's `Last-Modified`, or the probe time when the
//! page's content changed) moves `last_published_at` forward. Each account's result is
//! written in its own short transaction that re-evaluates its findings, so
//! `account_unreachable` appears after N failures and clears on the first success.
//!
//! Safe to repeat: an occurrence probes only accounts not yet probed since it was due,
//! and the write is conditional on that, so a second server (or a rerun after a crash)
//! never counts a failure twice.

use futures::StreamExt;
use sqlx::Row;

use super::error::FreshnessError;
use super::probe::{ProbeOutcome, probe};
use super::publications::{Recorded, ValidPublication, record};
use crate::app::AppState;
use crate::clock::Millis;
use crate::ids::{AccountId, UnitId};
use crate::inspection::Targets;
use crate::jobs::{Counts, JobFailure, RunContext};

/// Probes in flight at once (the client also keeps one request per host).
const PARALLEL: usize = 8;

crate::scheduled_job! {
    pub struct FreshnessProbe {
        name: "freshness_probe",
        cron: "0 * * * *",
        description: "reads the feed or page of every content account with a feed_url: records newer publications and counts failures (account_unreachable)",
        run: run,
    }
}

async fn run(state: &AppState, run: &RunContext) -> Result<Counts, JobFailure> {
    probe_due(state, run.due_at).await.map_err(JobFailure::new)
}

/// An account to probe.
struct Due {
    unit_id: UnitId,
    id: AccountId,
    url: String,
    previous_hash: Option<String>,
}

/// What one probe changed.
#[derive(Default)]
struct Effect {
    ok: bool,
    published: bool,
    skipped: bool,
}

/// Probes every active content account with a feed URL not yet probed at or after
/// `due_at`, and returns the counts (`probed`, `ok`, `failed`, `published`,
/// `skipped`).
pub async fn probe_due(state: &AppState, due_at: Millis) -> Result<Counts, FreshnessError> {
    let platforms = super::CONTENT_PLATFORMS;
    let sql = format!(
        "SELECT unit_id, id, feed_url, probe_hash FROM accounts \
         WHERE feed_url IS NOT NULL AND status = 'active' AND (probe_at IS NULL OR probe_at < $1) \
         AND platform IN ({}) ORDER BY id",
        crate::http::placeholders(2, platforms.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(due_at);
    for p in platforms {
        q = q.bind(p.as_str());
    }
    let due: Vec<Due> = q
        .fetch_all(state.db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(Due {
                unit_id: r.try_get("unit_id")?,
                id: r.try_get("id")?,
                url: r.try_get("feed_url")?,
                previous_hash: r.try_get("probe_hash")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let results: Vec<Result<Effect, FreshnessError>> = futures::stream::iter(due)
        .map(|d| async move {
            let outcome = probe(&state.outbound, &d.url, d.previous_hash.as_deref()).await;
            store(state, &d, &outcome, due_at).await
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut counts = Counts::new();
    for name in ["probed", "ok", "failed", "published", "skipped"] {
        counts.insert(name.into(), 0);
    }
    for r in results {
        let e = r?;
        let mut bump = |k: &str| *counts.entry(k.into()).or_insert(0) += 1;
        if e.skipped {
            bump("skipped");
            continue;
        }
        bump("probed");
        bump(if e.ok { "ok" } else { "failed" });
        if e.published {
            bump("published");
        }
    }
    Ok(counts)
}

/// Records one probe's outcome on the account, the publication it found (if newer),
/// and re-evaluates the account's findings, in one transaction.
async fn store(
    state: &AppState,
    d: &Due,
    outcome: &ProbeOutcome,
    due_at: Millis,
) -> Result<Effect, FreshnessError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let status = outcome.failure.as_ref().map_or("ok", |f| f.code());
    // Conditional on "not probed since due": another server's write for this
    // occurrence wins, and this one changes nothing.
    let updated = sqlx::query(
        "UPDATE accounts SET probe_at = $1, probe_status = $2, probe_http_status = $3, \
         probe_hash = COALESCE($4, probe_hash), \
         probe_failures = CASE WHEN $5 = 1 THEN 0 ELSE probe_failures + 1 END \
         WHERE unit_id = $6 AND id = $7 AND (probe_at IS NULL OR probe_at < $8)",
    )
    .bind(now)
    .bind(status)
    .bind(outcome.status.map(i64::from))
    .bind(outcome.content_hash.as_deref())
    .bind(i64::from(!outcome.is_failure()))
    .bind(&d.unit_id)
    .bind(&d.id)
    .bind(due_at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(Effect {
            skipped: true,
            ..Effect::default()
        });
    }
    let mut published = false;
    if let Some(at) = outcome.published_at(now) {
        let newer = sqlx::query(
            "SELECT 1 FROM accounts WHERE unit_id = $1 AND id = $2 \
             AND (last_published_at IS NULL OR last_published_at < $3)",
        )
        .bind(&d.unit_id)
        .bind(&d.id)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if newer {
            let p = ValidPublication {
                published_at: at,
                title: None,
                url: Some(d.url.clone()),
            };
            let how = Recorded {
                source: "probe",
                by: None,
                at: now,
            };
            record(&mut tx, (&d.unit_id, &d.id), &p, &how).await?;
            published = true;
        }
    }
    crate::inspection::reevaluate(
        state,
        &mut tx,
        now,
        &Targets::account(d.id.clone(), "freshness_probe"),
    )
    .await?;
    tx.commit().await?;
    Ok(Effect {
        ok: !outcome.is_failure(),
        published,
        skipped: false,
    })
}
