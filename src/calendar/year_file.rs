//! One year's holiday calendar file, in the holiday-cn format the State Council notices
//! are compiled into: `{"year": 2026, "papers": [url…], "days": [{"name": "国庆节",
//! "date": "2026-10-01", "isOffDay": true}, …]}`. `isOffDay: false` marks a weekend day
//! that is a working day (调休). Dates not listed follow Monday–Friday. A year whose
//! notice is not out has an empty `days` and counts as missing.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::date::Date;
use super::error::CalendarError;

/// Largest file `parse` reads (a real year is about 5 KiB).
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// One listed day: a holiday (`off`) or an adjusted working day on a weekend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedDay {
    pub name: String,
    pub date: Date,
    pub off: bool,
}

/// A validated year: every date exists, lies in the year (or the December before / the
/// January after, which notices sometimes include), appears once, and only weekend days
/// are made working days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearFile {
    pub year: i32,
    /// Links to the notice(s) the days come from.
    pub papers: Vec<String>,
    pub days: Vec<ListedDay>,
}

#[derive(Deserialize, Serialize)]
struct RawFile {
    year: i64,
    #[serde(default)]
    papers: Vec<String>,
    days: Vec<RawDay>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    name: String,
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

impl YearFile {
    /// Reads and validates a file's text. An empty `days` is accepted here (the embedded
    /// 2027 file is one): see [`YearFile::is_missing`].
    pub fn parse(text: &str) -> Result<YearFile, CalendarError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(CalendarError::Malformed {
                reason: format!("larger than {} KiB", MAX_FILE_BYTES / 1024),
            });
        }
        let raw: RawFile =
            serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
                CalendarError::Malformed {
                    reason: e.to_string(),
                }
            })?;
        let year = i32::try_from(raw.year)
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or(CalendarError::YearOutOfRange { year: raw.year })?;
        let mut seen = HashSet::new();
        let mut days = Vec::with_capacity(raw.days.len());
        for (i, d) in raw.days.into_iter().enumerate() {
            let index = i + 1;
            let name = d.name.trim().to_string();
            if name.is_empty() || name.chars().count() > 50 {
                return Err(CalendarError::BadName { index });
            }
            let date = Date::parse(&d.date).ok_or_else(|| CalendarError::BadDate {
                index,
                value: d.date.chars().take(40).collect(),
            })?;
            if !belongs_to(year, date) {
                return Err(CalendarError::DateOutsideYear {
                    year,
                    date: date.to_string(),
                });
            }
            if !seen.insert(date) {
                return Err(CalendarError::DuplicateDate {
                    date: date.to_string(),
                });
            }
            if !d.is_off_day && !date.is_weekend() {
                return Err(CalendarError::WorkingWeekday {
                    date: date.to_string(),
                });
            }
            days.push(ListedDay {
                name,
                date,
                off: d.is_off_day,
            });
        }
        days.sort_by_key(|d| d.date);
        let papers = raw
            .papers
            .into_iter()
            .map(|p| p.chars().take(500).collect())
            .take(20)
            .collect();
        Ok(YearFile { year, papers, days })
    }

    /// The notice for this year is not out: nothing is known about it.
    pub fn is_missing(&self) -> bool {
        self.days.is_empty()
    }

    /// The file again, in the same format (what the database keeps of an import).
    pub fn to_json(&self) -> String {
        let raw = RawFile {
            year: i64::from(self.year),
            papers: self.papers.clone(),
            days: self
                .days
                .iter()
                .map(|d| RawDay {
                    name: d.name.clone(),
                    date: d.date.to_string(),
                    is_off_day: d.off,
                })
                .collect(),
        };
        serde_json::to_string(&raw).unwrap_or_default()
    }

    /// Holidays (days off) listed.
    pub fn off_days(&self) -> usize {
        self.days.iter().filter(|d| d.off).count()
    }

    /// Weekend days made working days (调休) listed.
    pub fn adjusted_working_days(&self) -> usize {
        self.days.len() - self.off_days()
    }
}

/// `date` may appear in `year`'s file: the year itself, the December before (the 2023
/// notice lists 2022-12-31) or the January after.
fn belongs_to(year: i32, date: Date) -> bool {
    let (y, m, _) = date.ymd();
    y == year || (y == year - 1 && m == 12) || (y == year + 1 && m == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(days: &str) -> String {
        format!(r#"{{"year": 2027, "papers": [], "days": [{days}]}}"#)
    }

    fn day(date: &str, off: bool) -> String {
        format!(r#"{{"name": "春节", "date": "{date}", "isOffDay": {off}}}"#)
    }

    #[test]
    fn accepts_a_year_and_its_neighbouring_months() {
        let text = file(
            &[
                day("2027-02-08", true),
                day("2026-12-31", true),
                day("2028-01-01", true),
                day("2027-02-06", false),
            ]
            .join(","),
        );
        let y = YearFile::parse(&text).unwrap();
        assert_eq!(y.year, 2027);
        assert_eq!(y.days.len(), 4);
        assert_eq!(y.days[0].date.to_string(), "2026-12-31", "sorted");
        assert_eq!((y.off_days(), y.adjusted_working_days()), (3, 1));
        assert_eq!(YearFile::parse(&y.to_json()).unwrap(), y, "round trip");
    }

    #[test]
    fn refuses_what_is_not_a_calendar() {
        let refused = |text: &str| YearFile::parse(text).unwrap_err().to_string();
        assert!(refused("not json").contains("not a holiday calendar"));
        assert!(refused(r#"{"year": 2027}"#).contains("missing field `days`"));
        assert!(refused(r#"{"year": 1999, "days": []}"#).contains("outside 2000–2100"));
        assert!(refused(&file(&day("2027-02-30", true))).contains("not a date"));
        assert!(refused(&file(&day("2027-2-3", true))).contains("not a date"));
        assert!(refused(&file(&day("2028-02-01", true))).contains("outside the 2027 calendar"));
        assert!(refused(&file(&day("2026-11-30", true))).contains("outside the 2027 calendar"));
        let twice = [day("2027-02-08", true), day("2027-02-08", true)].join(",");
        assert!(refused(&file(&twice)).contains("listed twice"));
        // 2027-02-08 is a Monday: it cannot be "made" a working day.
        assert!(refused(&file(&day("2027-02-08", false))).contains("only a Saturday or Sunday"));
        let nameless = file(r#"{"name": " ", "date": "2027-02-08", "isOffDay": true}"#);
        assert!(refused(&nameless).contains("holiday name"));
        let extra = file(r#"{"name": "x", "date": "2027-02-08", "isOffDay": true, "x": 1}"#);
        assert!(refused(&extra).contains("unknown field"));
    }

    #[test]
    fn an_empty_year_is_missing() {
        let y = YearFile::parse(&file("")).unwrap();
        assert!(y.is_missing());
    }
}
