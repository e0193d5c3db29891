//! Why a holiday calendar was refused or could not be read.

use serde_json::{Value, json};

use crate::error::InternalError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum CalendarError {
        /// The file could not be read (missing, unreadable, too large).
        #[error("cannot read the calendar file {path}: {reason}")]
        Unreadable { path: String, reason: String } => (Invalid, "unreadable_file"),
        /// Not JSON of the holiday-cn shape (`{"year": …, "days": [{name, date, isOffDay}]}`).
        #[error(
            "the calendar file is not a holiday calendar ({reason}); expected JSON like \
             {{\"year\": 2027, \"days\": [{{\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true}}]}}"
        )]
        Malformed { reason: String } => (Invalid, "invalid_calendar"),
        #[error("the calendar year {year} is outside 2000–2100")]
        YearOutOfRange { year: i64 } => (Invalid, "invalid_calendar"),
        #[error(
            "the calendar for {year} lists no days: the State Council notice for {year} is \
             not out yet, import the year once it is published"
        )]
        Empty { year: i32 } => (Invalid, "invalid_calendar"),
        #[error("day {index} of the calendar: \"{value}\" is not a date written YYYY-MM-DD")]
        BadDate { index: usize, value: String } => (Invalid, "invalid_calendar"),
        #[error("day {index} of the calendar: the holiday name must be 1–50 characters")]
        BadName { index: usize } => (Invalid, "invalid_calendar"),
        #[error(
            "{date} is outside the {year} calendar: a year's file may list only dates of \
             {year}, of December {previous} or of January {next}",
            previous = year - 1,
            next = year + 1
        )]
        DateOutsideYear { year: i32, date: String } => (Invalid, "invalid_calendar"),
        #[error("{date} is listed twice in the calendar")]
        DuplicateDate { date: String } => (Invalid, "invalid_calendar"),
        #[error(
            "{date} is a weekday marked as a working day (isOffDay: false); only a Saturday or \
             Sunday can be an adjusted working day (调休)"
        )]
        WorkingWeekday { date: String } => (Invalid, "invalid_calendar"),
    }
    #[error(transparent)]
    nested {
        Internal(InternalError),
    }
    details = details;
}

fn details(e: &CalendarError) -> Option<Value> {
    match e {
        CalendarError::BadDate { index, .. } | CalendarError::BadName { index } => {
            Some(json!({ "day": index }))
        }
        CalendarError::DateOutsideYear { date, .. }
        | CalendarError::DuplicateDate { date }
        | CalendarError::WorkingWeekday { date } => Some(json!({ "date": date })),
        _ => None,
    }
}
