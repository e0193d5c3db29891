//! Calendar dates in China time (Asia/Shanghai: UTC+8 all year, no daylight saving since
//! 1991), counted as days since 1970-01-01. A stored time (UTC milliseconds) falls on
//! the China date whose day it is in Beijing.

use crate::clock::{HOUR_MS, Millis, civil_from_days};

/// One day in milliseconds.
pub const DAY_MS: Millis = 24 * HOUR_MS;

/// China is 8 hours ahead of UTC, all year.
const CHINA_OFFSET_MS: Millis = 8 * HOUR_MS;

/// A calendar date (proleptic Gregorian), as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

impl Date {
    /// The date with this year, month (1–12) and day (1–31), if it exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(
            i64::from(year),
            i64::from(month),
            i64::from(day),
        )))
    }

    /// Parses `YYYY-MM-DD` exactly (four-digit year, two-digit month and day).
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let year = i32::try_from(digits(0..4)?).ok()?;
        Date::from_ymd(year, digits(5..7)?, digits(8..10)?)
    }

    /// The China date on which the UTC time `ms` falls.
    pub fn in_china(ms: Millis) -> Date {
        Date((ms + CHINA_OFFSET_MS).div_euclid(DAY_MS))
    }

    /// The UTC time at which this date begins in China (00:00 Beijing time).
    pub fn midnight_in_china(self) -> Millis {
        self.0 * DAY_MS - CHINA_OFFSET_MS
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(self.0);
        // Month and day are always small; years stay far inside i32 for any stored time.
        (
            i32::try_from(y).unwrap_or(i32::MAX),
            u32::try_from(m).unwrap_or(1),
            u32::try_from(d).unwrap_or(1),
        )
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        u32::try_from((self.0 + 3).rem_euclid(7)).unwrap_or(0)
    }

    /// Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        self.weekday() >= 5
    }

    /// The next day.
    pub fn succ(self) -> Date {
        Date(self.0 + 1)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's civil-to-days algorithm, the inverse of `clock::civil_from_days`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        for text in ["1970-01-01", "2000-02-29", "2026-10-10", "2027-12-31"] {
            let d = Date::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
        }
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-10",
            "26-01-10",
            "2026/01/10",
            "+026-01-10",
            "2026-01-1x",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn weekdays_and_china_time() {
        // 2026-10-10 is a Saturday; 2026-11-27 a Friday.
        assert_eq!(Date::parse("2026-10-10").unwrap().weekday(), 5);
        assert_eq!(Date::parse("2026-11-27").unwrap().weekday(), 4);
        // 2026-11-27 16:00 UTC is already Saturday 00:00 in Beijing.
        let ms = 1_795_795_200_000;
        assert_eq!(crate::clock::to_rfc3339(ms), "2026-11-27T16:00:00.000Z");
        assert_eq!(Date::in_china(ms).to_string(), "2026-11-28");
        assert_eq!(Date::in_china(ms - 1).to_string(), "2026-11-27");
        assert_eq!(Date::parse("2026-11-28").unwrap().midnight_in_china(), ms);
    }
}
