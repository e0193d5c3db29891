//! Deadlines in working days (Monday–Friday). Public holidays are not modelled; a unit
//! that needs slack sets a longer `handover.deadline_working_days`.

use crate::clock::Millis;

const DAY_MS: Millis = 86_400_000;

/// 0 = Monday … 6 = Sunday, for a UTC millisecond time shifted to China time (UTC+8).
fn weekday(ms: Millis) -> i64 {
    let days = (ms + 8 * 3_600_000).div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday (3).
    (days + 3).rem_euclid(7)
}

pub fn add_working_days(start: Millis, days: u32) -> Millis {
    let mut t = start;
    let mut left = days;
    while left > 0 {
        t += DAY_MS;
        if weekday(t) < 5 {
            left -= 1;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_weekends() {
        // 2026-11-27 10:00 China time is a Friday.
        let friday = 1_795_744_800_000;
        assert_eq!(weekday(friday), 4);
        let due = add_working_days(friday, 3);
        // Mon, Tue, Wed → Wednesday 2026-12-02.
        assert_eq!(weekday(due), 2);
        assert_eq!((due - friday) / DAY_MS, 5);
        assert_eq!(add_working_days(friday, 1) - friday, 3 * DAY_MS);
    }
}
