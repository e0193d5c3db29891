//! Chinese working days: the State Council holiday calendars (embedded from
//! `data/holidays-cn/`, plus years imported with `credgov calendar import`), and
//! deadlines counted in working days in China time. A year without a calendar counts
//! Monday–Friday and is reported missing.

mod date;
mod embedded;
mod error;
mod handle;
mod import;
pub(crate) mod notices;
mod store;
mod working;
mod year_file;

pub use date::{DAY_MS, Date};
pub use embedded::embedded_years;
pub use error::CalendarError;
pub use handle::CalendarHandle;
pub use import::{ImportedYear, import_year, list_years, read_file};
pub use working::{CalendarSource, CalendarYear, WorkingCalendar};
pub use year_file::{ListedDay, YearFile};
