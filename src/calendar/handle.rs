//! The calendar a running service uses ([`crate::app::AppState::calendar`]): loaded at
//! start from the embedded and imported years, and reloaded when the imported years in
//! the database change (an operator ran `credgov calendar import` against it, possibly
//! from another machine).

use std::sync::{Arc, RwLock};

use sqlx::{AnyConnection, AnyPool};

use super::embedded::embedded_years;
use super::store::{Revisions, load_imported, revisions};
use super::working::WorkingCalendar;
use super::year_file::YearFile;

/// Shared, reloadable working-day calendar.
pub struct CalendarHandle {
    embedded: Vec<YearFile>,
    loaded: RwLock<Loaded>,
}

struct Loaded {
    revisions: Revisions,
    calendar: Arc<WorkingCalendar>,
}

impl CalendarHandle {
    /// Parses the embedded years and reads the imported ones.
    pub async fn load(pool: &AnyPool) -> Result<CalendarHandle, sqlx::Error> {
        let handle = CalendarHandle {
            embedded: embedded_years(),
            loaded: RwLock::new(Loaded {
                revisions: Vec::new(),
                calendar: Arc::new(WorkingCalendar::default()),
            }),
        };
        handle.reload(pool).await?;
        Ok(handle)
    }

    /// The calendar as last loaded, without asking the database.
    pub fn snapshot(&self) -> Arc<WorkingCalendar> {
        self.read(|l| l.calendar.clone())
    }

    /// The calendar with the database's imported years: one small query, and a reload
    /// when an import happened since the last one. Use it where a deadline is set.
    pub async fn current(&self, pool: &AnyPool) -> Result<Arc<WorkingCalendar>, sqlx::Error> {
        let now = revisions(pool).await?;
        if self.read(|l| l.revisions == now) {
            return Ok(self.snapshot());
        }
        self.reload(pool).await
    }

    /// The calendar as `conn` sees the imported years — inside a transaction, with
    /// its own uncommitted import — without touching the shared one.
    pub async fn on(&self, conn: &mut AnyConnection) -> Result<WorkingCalendar, sqlx::Error> {
        let (imported, _) = load_imported(conn).await?;
        Ok(WorkingCalendar::new(self.embedded.clone(), imported))
    }

    /// Reads the imported years again and rebuilds the calendar.
    pub async fn reload(&self, pool: &AnyPool) -> Result<Arc<WorkingCalendar>, sqlx::Error> {
        let (imported, revisions) = load_imported(pool).await?;
        let calendar = Arc::new(WorkingCalendar::new(self.embedded.clone(), imported));
        let mut loaded = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        *loaded = Loaded {
            revisions,
            calendar: calendar.clone(),
        };
        Ok(calendar)
    }

    fn read<T>(&self, f: impl FnOnce(&Loaded) -> T) -> T {
        f(&self.loaded.read().unwrap_or_else(|e| e.into_inner()))
    }
}
