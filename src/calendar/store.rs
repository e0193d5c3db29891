//! The `holiday_calendars` table: years imported by the operator.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::year_file::YearFile;
use crate::db::Tx;

/// Which imported years the database holds, at which revision: when it changes, the
/// loaded calendar is stale.
pub type Revisions = Vec<(i64, i64)>;

/// The imported years (valid ones; a row that no longer parses is skipped with an error
/// in the log, and the embedded calendar of its year stays in force) and their revisions.
pub async fn load_imported<'c, E>(db: E) -> Result<(Vec<YearFile>, Revisions), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query("SELECT year, revision, document FROM holiday_calendars ORDER BY year")
        .fetch_all(db)
        .await?;
    let mut years = Vec::with_capacity(rows.len());
    let mut revisions = Vec::with_capacity(rows.len());
    for row in rows {
        let (year, revision) = year_revision(&row)?;
        revisions.push((year, revision));
        let document: String = row.try_get("document")?;
        match YearFile::parse(&document) {
            Ok(file) if i64::from(file.year) == year => years.push(file),
            Ok(_) => tracing::error!(
                year,
                "imported holiday calendar holds another year; skipped"
            ),
            Err(e) => {
                tracing::error!(year, error = %e, "imported holiday calendar unreadable; skipped")
            }
        }
    }
    Ok((years, revisions))
}

/// The imported years and their revisions only (one small query).
pub async fn revisions(pool: &AnyPool) -> Result<Revisions, sqlx::Error> {
    sqlx::query("SELECT year, revision FROM holiday_calendars ORDER BY year")
        .fetch_all(pool)
        .await?
        .iter()
        .map(year_revision)
        .collect()
}

fn year_revision(row: &AnyRow) -> Result<(i64, i64), sqlx::Error> {
    Ok((row.try_get("year")?, row.try_get("revision")?))
}

/// Stores `file` as its year's calendar, replacing an earlier import (one statement, so
/// two concurrent imports of a year leave one of them, at a higher revision). Returns
/// the revision stored.
pub async fn save(tx: &mut Tx, file: &YearFile, now: i64, by: &str) -> Result<i64, sqlx::Error> {
    let day_count = i64::try_from(file.days.len()).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO holiday_calendars (year, document, day_count, revision, imported_at, imported_by) \
         VALUES ($1, $2, $3, 1, $4, $5) \
         ON CONFLICT (year) DO UPDATE SET document = excluded.document, \
         day_count = excluded.day_count, revision = holiday_calendars.revision + 1, \
         imported_at = excluded.imported_at, imported_by = excluded.imported_by \
         RETURNING revision",
    )
    .bind(i64::from(file.year))
    .bind(file.to_json())
    .bind(day_count)
    .bind(now)
    .bind(by)
    .fetch_one(&mut **tx)
    .await?
    .try_get("revision")
}
