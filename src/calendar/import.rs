//! Importing a year's holiday calendar (`credgov calendar import FILE`) and listing the
//! years the service knows.

use serde_json::json;

use super::error::CalendarError;
use super::store::save;
use super::working::CalendarYear;
use super::year_file::{MAX_FILE_BYTES, YearFile};
use crate::app::AppState;
use crate::audit::{Actor, Entry, RequestMeta};
use crate::db::lock_root_unit;
use crate::error::InternalError;
use crate::inspection::Targets;

/// What an import stored.
#[derive(Clone, Debug)]
pub struct ImportedYear {
    pub year: i32,
    pub days: usize,
    pub off_days: usize,
    pub adjusted_working_days: usize,
    /// 1 for the first import of the year, then 2, 3…
    pub revision: i64,
}

/// Reads a calendar file from disk (at most [`MAX_FILE_BYTES`]).
pub fn read_file(path: &std::path::Path) -> Result<String, CalendarError> {
    let unreadable = |reason: String| CalendarError::Unreadable {
        path: path.display().to_string(),
        reason,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| unreadable(e.to_string()))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(unreadable(format!(
            "larger than {} KiB, not a calendar",
            MAX_FILE_BYTES / 1024
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| unreadable("not UTF-8 text".into()))
}

/// Validates `text` and stores it as its year's calendar (replacing the embedded or an
/// earlier imported one), recorded as `calendar.import` in the root unit's audit trail
/// when the database is initialised, and re-evaluates `calendar_missing` in the same
/// transaction; then reloads this process's calendar. Other servers reload at their
/// next deadline.
pub async fn import_year(state: &AppState, text: &str) -> Result<ImportedYear, CalendarError> {
    let file = YearFile::parse(text)?;
    if file.is_missing() {
        return Err(CalendarError::Empty { year: file.year });
    }
    let now = state.now();
    let actor = Actor::operator();
    let by = actor.name.clone().unwrap_or_else(|| "operator".into());
    let mut tx = state.db.begin_write().await?;
    let revision = save(&mut tx, &file, now, &by).await?;
    let imported = ImportedYear {
        year: file.year,
        days: file.days.len(),
        off_days: file.off_days(),
        adjusted_working_days: file.adjusted_working_days(),
        revision,
    };
    if let Some(root) = lock_root_unit(&mut tx).await? {
        let year = file.year.to_string();
        let entry = Entry::new(&root, actor, "calendar.import")
            .target("calendar", &year)
            .details(json!({
                "year": imported.year,
                "days": imported.days,
                "off_days": imported.off_days,
                "adjusted_working_days": imported.adjusted_working_days,
                "revision": revision,
                "papers": file.papers,
            }));
        tx.audit(now, &RequestMeta::default(), entry)
            .await
            .map_err(|e| InternalError::new(format!("writing the audit event: {e}")))?;
    }
    // `calendar_missing` clears in the same transaction when this was the year missing.
    crate::inspection::reevaluate(state, &mut tx, now, &Targets::district("calendar.import"))
        .await?;
    tx.commit().await?;
    state.calendar.reload(state.db.pool()).await?;
    Ok(imported)
}

/// Every year with a calendar file, embedded or imported, as the database has them now.
pub async fn list_years(state: &AppState) -> Result<Vec<CalendarYear>, CalendarError> {
    let calendar = state.calendar.current(state.db.pool()).await?;
    Ok(calendar.years().cloned().collect())
}
