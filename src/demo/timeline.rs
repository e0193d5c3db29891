//! The demo history is acted out in the past: the services read time from the
//! application's clock, so setting that clock back lets them write what they would have
//! written on that day (creation times, rotation ages, findings first seen weeks ago,
//! one risk snapshot per day). Nothing is backdated afterwards with SQL.

use std::sync::Arc;

use crate::calendar::{DAY_MS, Date};
use crate::clock::{Clock, HOUR_MS, MINUTE_MS, ManualClock, Millis, SystemClock};

pub struct Timeline {
    clock: Arc<ManualClock>,
    /// China midnight that began the real today.
    today: Millis,
    /// The real time when the demo began.
    start: Millis,
}

impl Timeline {
    pub fn new(clock: Arc<ManualClock>) -> Timeline {
        let start = SystemClock.now_ms();
        Timeline {
            clock,
            today: Date::in_china(start).midnight_in_china(),
            start,
        }
    }

    /// `hour:minute` China time, `days_ago` days before today (at least 1: today's hours
    /// may not have come yet).
    pub fn day(&self, days_ago: i64, hour: i64, minute: i64) -> Millis {
        self.today - days_ago.max(1) * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS
    }

    /// `minutes` before the demo began.
    pub fn minutes_ago(&self, minutes: i64) -> Millis {
        self.start - minutes * MINUTE_MS
    }

    /// China midnight `days` before today.
    pub fn midnight(&self, days_ago: i64) -> Millis {
        self.today - days_ago * DAY_MS
    }

    /// Moves the application's clock to `at` (it then runs on from there).
    pub fn go(&self, at: Millis) {
        self.clock.set_offset_ms(at - SystemClock.now_ms());
    }

    /// The clock is the wall clock again.
    pub fn back_to_now(&self) {
        self.clock.set_offset_ms(0);
    }

    #[cfg(test)]
    pub fn start(&self) -> Millis {
        self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_china_days_and_the_clock_moves() {
        let clock = ManualClock::new();
        let t = Timeline::new(clock.clone());
        let at = t.day(3, 2, 30);
        assert_eq!(
            Date::in_china(at).succ().succ().succ(),
            Date::in_china(t.start())
        );
        t.go(at);
        assert!((clock.now_ms() - at).abs() < 1_000);
        t.back_to_now();
        assert!((clock.now_ms() - SystemClock.now_ms()).abs() < 1_000);
        assert!(t.minutes_ago(5) < t.start());
        assert_eq!(
            t.midnight(0) + 2 * HOUR_MS + 30 * MINUTE_MS - 3 * DAY_MS,
            at
        );
    }
}
