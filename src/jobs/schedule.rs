//! A job's cron expression evaluated in the configured time zone: the latest occurrence
//! at or before now (what is due) and the next one after now. Times are UTC unix
//! milliseconds, the only form the database stores.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

use crate::clock::Millis;

#[derive(Clone, Debug)]
pub struct Schedule {
    cron: Cron,
    pattern: String,
    tz: Tz,
}

impl Schedule {
    /// Parses 5-field (minute first) or 6-field (seconds first) cron expressions.
    pub fn parse(pattern: &str, tz: Tz) -> Result<Schedule, String> {
        let pattern = pattern.trim();
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(pattern)
            .map_err(|e| e.to_string())?;
        Ok(Schedule {
            cron,
            pattern: pattern.to_string(),
            tz,
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The pattern with a seconds field, as tokio-cron-scheduler wants it.
    pub fn ticker_pattern(&self) -> String {
        if self.pattern.split_whitespace().count() == 5 {
            format!("0 {}", self.pattern)
        } else {
            self.pattern.clone()
        }
    }

    /// The latest occurrence at or before `now`: the one a sweep at `now` makes due.
    pub fn latest_due(&self, now: Millis) -> Option<Millis> {
        let local = self.local(now)?;
        self.cron
            .find_previous_occurrence(&local, true)
            .ok()
            .map(|t| t.timestamp_millis())
    }

    /// The first occurrence strictly after `now`.
    pub fn next_after(&self, now: Millis) -> Option<Millis> {
        let local = self.local(now)?;
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|t| t.timestamp_millis())
    }

    /// `now` in the zone, cut to the whole second (cron has no finer unit).
    fn local(&self, now: Millis) -> Option<DateTime<Tz>> {
        let utc = DateTime::<Utc>::from_timestamp(now.div_euclid(1000), 0)?;
        Some(self.tz.from_utc_datetime(&utc.naive_utc()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Millis {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn daily_scan_at_0230_shanghai_is_1830_utc() {
        let s = Schedule::parse("30 2 * * *", chrono_tz::Asia::Shanghai).unwrap();
        let now = ms("2026-03-10T12:00:00Z"); // 20:00 in Shanghai
        assert_eq!(s.latest_due(now), Some(ms("2026-03-09T18:30:00Z")));
        assert_eq!(s.next_after(now), Some(ms("2026-03-10T18:30:00Z")));
        assert_eq!(s.ticker_pattern(), "0 30 2 * * *");
    }

    #[test]
    fn an_occurrence_is_due_at_its_own_instant() {
        let s = Schedule::parse("0 * * * *", chrono_tz::UTC).unwrap();
        let t = ms("2026-03-10T12:00:00Z");
        assert_eq!(s.latest_due(t), Some(t));
        assert_eq!(s.latest_due(t - 1), Some(t - 3_600_000));
        assert_eq!(s.next_after(t), Some(t + 3_600_000));
    }

    #[test]
    fn six_fields_have_seconds_and_garbage_is_refused() {
        let s = Schedule::parse("*/10 * * * * *", chrono_tz::UTC).unwrap();
        let t = ms("2026-03-10T12:00:05Z");
        assert_eq!(s.latest_due(t), Some(ms("2026-03-10T12:00:00Z")));
        assert_eq!(s.ticker_pattern(), "*/10 * * * * *");
        assert!(Schedule::parse("sometimes", chrono_tz::UTC).is_err());
    }
}
