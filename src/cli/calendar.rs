//! `credgov calendar import FILE` and `credgov calendar list`: the holiday calendars
//! working-day deadlines count with.

use std::path::Path;

use crate::app::AppState;
use crate::calendar::{CalendarError, import_year, list_years, read_file};

/// Validates and stores a year's calendar; prints one sentence.
pub async fn import(state: &AppState, path: &Path) -> Result<(), CalendarError> {
    let text = read_file(path)?;
    let y = import_year(state, &text).await?;
    let again = if y.revision > 1 {
        format!(
            " (import {} of this year; it replaces the earlier one)",
            y.revision
        )
    } else {
        String::new()
    };
    println!(
        "holiday calendar {} imported from {}: {} days listed, {} holidays and {} adjusted working days{again}. Deadlines count with it from now on; running servers pick it up at their next deadline.",
        y.year,
        path.display(),
        y.days,
        y.off_days,
        y.adjusted_working_days,
    );
    Ok(())
}

/// One line per year: year, source, days listed; missing years say so.
pub async fn list(state: &AppState) -> Result<(), CalendarError> {
    for y in list_years(state).await? {
        if y.missing {
            println!(
                "{}  {:<8}  missing: no notice yet, counts Monday–Friday (import it with `credgov calendar import FILE`)",
                y.year,
                y.source.as_str()
            );
        } else {
            println!(
                "{}  {:<8}  {} days ({} holidays, {} adjusted working days)",
                y.year,
                y.source.as_str(),
                y.days,
                y.off_days,
                y.days - y.off_days
            );
        }
    }
    Ok(())
}
