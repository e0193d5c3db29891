//! PostgreSQL: the audit events' `details` compressed with lz4 instead of the default
//! pglz. A bulk import's one event names every account it wrote (~350 KB for 5,000
//! rows); pglz took 7–10 ms to compress it inside the import's transaction, lz4 2–4 ms
//! at about the same size (215 KB against 210 KB; measured with `psql`). The shared
//! migrations cannot say this (SQLite has no such setting), so [`prefer_lz4`] sets it
//! after them. Values written before keep their compression; both read the same.

use sqlx::Row;

use super::{Backend, Db};

/// Sets lz4 on `audit_events.details` unless it is set already. A server built
/// without lz4 keeps pglz (said once in the log); anything else is an error. Two
/// servers starting at once may both set it: the ALTER is idempotent, and the second
/// waits for the first's table lock.
pub(super) async fn prefer_lz4(db: &Db) -> Result<(), sqlx::Error> {
    if db.backend != Backend::Postgres {
        return Ok(());
    }
    let current: String = sqlx::query(
        "SELECT attcompression::text FROM pg_attribute \
         WHERE attrelid = 'audit_events'::regclass AND attname = 'details'",
    )
    .fetch_one(&db.pool)
    .await?
    .try_get(0)?;
    if current == "l" {
        return Ok(());
    }
    match sqlx::query("ALTER TABLE audit_events ALTER COLUMN details SET COMPRESSION lz4")
        .execute(&db.pool)
        .await
    {
        Ok(_) => Ok(()),
        // SQLSTATE 0A000 feature_not_supported: "compression method lz4 not supported".
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("0A000") => {
            tracing::info!(
                "this PostgreSQL has no lz4: audit event details stay compressed with pglz"
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}
