//! Which days are Chinese working days: Monday–Friday, except the holidays of the State
//! Council notices, plus the weekend days they make working days (调休). Built from the
//! embedded calendars and the imported ones (an imported year replaces the embedded
//! file of that year). A year without a calendar falls back to Monday–Friday and is
//! reported missing, so a finding can ask for it to be imported.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use serde::Serialize;

use super::date::{DAY_MS, Date};
use super::embedded::embedded_years;
use super::year_file::YearFile;
use crate::clock::Millis;

/// Where a year's calendar comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarSource {
    /// Shipped in the binary (`data/holidays-cn/`).
    Embedded,
    /// Imported with `credgov calendar import`.
    Imported,
}

impl CalendarSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarSource::Embedded => "embedded",
            CalendarSource::Imported => "imported",
        }
    }
}

/// One year as the calendar holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalendarYear {
    pub year: i32,
    pub source: CalendarSource,
    /// Days listed (holidays and adjusted working days).
    pub days: usize,
    /// Holidays (days off) among them.
    pub off_days: usize,
    /// No notice for this year yet: it counts Monday–Friday.
    pub missing: bool,
}

/// The working-day calendar. Cheap to query; build it once and share it.
#[derive(Clone, Debug, Default)]
pub struct WorkingCalendar {
    /// Listed dates → day off (`true`) or adjusted working day (`false`).
    listed: HashMap<Date, bool>,
    years: BTreeMap<i32, CalendarYear>,
}

impl WorkingCalendar {
    /// The calendar of `embedded` years, where `imported` years replace embedded ones.
    /// When two files list one date (a notice may include the neighbouring December or
    /// January), the file of the date's own year decides.
    pub fn new(embedded: Vec<YearFile>, imported: Vec<YearFile>) -> WorkingCalendar {
        let mut chosen: BTreeMap<i32, (YearFile, CalendarSource)> = BTreeMap::new();
        for y in embedded {
            chosen.insert(y.year, (y, CalendarSource::Embedded));
        }
        for y in imported {
            chosen.insert(y.year, (y, CalendarSource::Imported));
        }
        let mut cal = WorkingCalendar::default();
        // Neighbouring-month entries first, so the own year's entries overwrite them.
        for own_year in [false, true] {
            for (year, (file, _)) in &chosen {
                for d in file
                    .days
                    .iter()
                    .filter(|d| (d.date.year() == *year) == own_year)
                {
                    cal.listed.insert(d.date, d.off);
                }
            }
        }
        for (year, (file, source)) in chosen {
            cal.years.insert(
                year,
                CalendarYear {
                    year,
                    source,
                    days: file.days.len(),
                    off_days: file.off_days(),
                    missing: file.is_missing(),
                },
            );
        }
        cal
    }

    /// The shipped calendars alone.
    pub fn embedded() -> WorkingCalendar {
        WorkingCalendar::new(embedded_years(), Vec::new())
    }

    /// Whether `date` is a working day in China.
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.listed.get(&date) {
            Some(off) => !off,
            None => !date.is_weekend(),
        }
    }

    /// The time `n` working days after `start` (same time of day, counted on China
    /// dates): each following day that is a working day counts one. `n = 0` is `start`.
    pub fn add_working_days(&self, start: Millis, n: u32) -> Millis {
        let mut day = Date::in_china(start);
        let mut t = start;
        let mut left = n;
        while left > 0 {
            day = day.succ();
            t += DAY_MS;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        t
    }

    /// Whether `year`'s holidays are known (a non-empty calendar is loaded).
    pub fn has_year(&self, year: i32) -> bool {
        self.years.get(&year).is_some_and(|y| !y.missing)
    }

    /// The years of `range` without a calendar (they count Monday–Friday).
    pub fn years_missing(&self, range: RangeInclusive<i32>) -> Vec<i32> {
        range.filter(|y| !self.has_year(*y)).collect()
    }

    /// From 1 December (China time), next year when its calendar is not loaded yet:
    /// what the `calendar_missing` finding reports.
    pub fn next_year_missing(&self, now: Millis) -> Option<i32> {
        let (year, month, _) = Date::in_china(now).ymd();
        (month == 12 && !self.has_year(year + 1)).then_some(year + 1)
    }

    /// Every year with a file (embedded or imported), oldest first.
    pub fn years(&self) -> impl Iterator<Item = &CalendarYear> {
        self.years.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    /// `s` at 10:00 China time.
    fn at_ten(s: &str) -> Millis {
        date(s).midnight_in_china() + 10 * 3_600_000
    }

    #[test]
    fn pins_the_2026_adjusted_working_days() {
        let cal = WorkingCalendar::embedded();
        // Saturdays made working days (调休).
        for d in [
            "2026-02-14",
            "2026-02-28",
            "2026-10-10",
            "2026-09-20",
            "2026-01-04",
        ] {
            assert!(date(d).is_weekend(), "{d}");
            assert!(cal.is_working_day(date(d)), "{d} is a working day");
        }
        // National Day week, Spring Festival weekdays.
        for day in 1..=7 {
            let d = Date::from_ymd(2026, 10, day).unwrap();
            assert!(!cal.is_working_day(d), "{d} is a holiday");
        }
        assert!(!cal.is_working_day(date("2026-02-16")));
        // Ordinary days.
        assert!(cal.is_working_day(date("2026-11-27")), "a Friday");
        assert!(!cal.is_working_day(date("2026-11-28")), "a Saturday");
        // The 2023 notice lists 2022-12-31 (a Saturday, off anyway).
        assert!(!cal.is_working_day(date("2022-12-31")));
    }

    #[test]
    fn a_missing_year_falls_back_to_monday_to_friday() {
        let cal = WorkingCalendar::embedded();
        assert!(cal.has_year(2026));
        assert!(!cal.has_year(2027), "the 2027 notice is not out");
        assert!(!cal.has_year(2030));
        assert_eq!(cal.years_missing(2025..=2028), vec![2027, 2028]);
        // 2027-02-08 is a Monday (Spring Festival week, unknown yet): a working day.
        assert!(cal.is_working_day(date("2027-02-08")));
        assert!(!cal.is_working_day(date("2027-02-06")), "a Saturday");
        let y2027 = cal.years().find(|y| y.year == 2027).unwrap();
        assert!(y2027.missing);
        assert_eq!(y2027.source, CalendarSource::Embedded);
    }

    #[test]
    fn counts_working_days_across_national_day() {
        let cal = WorkingCalendar::embedded();
        let start = at_ten("2026-09-30"); // Wednesday before the holiday
        let due = |n| Date::in_china(cal.add_working_days(start, n)).to_string();
        assert_eq!(cal.add_working_days(start, 0), start);
        assert_eq!(due(1), "2026-10-08");
        assert_eq!(due(2), "2026-10-09");
        assert_eq!(due(3), "2026-10-10", "the adjusted Saturday counts");
        assert_eq!(due(4), "2026-10-12");
        let t = cal.add_working_days(start, 3);
        assert_eq!((t - start) % DAY_MS, 0, "same time of day");
        // A plain week: Friday + 3 → Wednesday.
        let friday = at_ten("2026-11-27");
        assert_eq!(friday, 1_795_744_800_000);
        assert_eq!(
            Date::in_china(cal.add_working_days(friday, 3)).to_string(),
            "2026-12-02"
        );
        // Missing 2027: Monday–Friday.
        let fri = at_ten("2027-02-05");
        assert_eq!(
            Date::in_china(cal.add_working_days(fri, 3)).to_string(),
            "2027-02-10"
        );
    }

    #[test]
    fn an_imported_year_replaces_the_embedded_one() {
        let imported = YearFile::parse(
            r#"{"year": 2027, "days": [
                {"name": "春节", "date": "2027-02-08", "isOffDay": true},
                {"name": "春节", "date": "2027-02-13", "isOffDay": false}]}"#,
        )
        .unwrap();
        let cal = WorkingCalendar::new(embedded_years(), vec![imported]);
        assert!(cal.has_year(2027));
        assert!(!cal.is_working_day(date("2027-02-08")));
        assert!(cal.is_working_day(date("2027-02-13")));
        let y = cal.years().find(|y| y.year == 2027).unwrap();
        assert_eq!(
            (y.source, y.days, y.off_days),
            (CalendarSource::Imported, 2, 1)
        );
        assert_eq!(cal.years_missing(2021..=2027), Vec::<i32>::new());
    }

    #[test]
    fn next_year_is_missing_from_the_first_of_december() {
        let cal = WorkingCalendar::embedded();
        assert_eq!(cal.next_year_missing(at_ten("2026-11-30")), None);
        assert_eq!(cal.next_year_missing(at_ten("2026-12-01")), Some(2027));
        // From midnight Beijing time (2026-11-30 16:00 UTC).
        let edge = date("2026-12-01").midnight_in_china();
        assert_eq!(cal.next_year_missing(edge), Some(2027));
        assert_eq!(cal.next_year_missing(edge - 1), None);
        assert_eq!(cal.next_year_missing(at_ten("2025-12-15")), None);
    }
}
