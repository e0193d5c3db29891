//! When a handover case is due: `handover.deadline_working_days` Chinese working days
//! (holidays and adjusted working days from the holiday calendar; Monday–Friday for a
//! year without one) after the change takes effect, or after it is reported if later.

use crate::calendar::WorkingCalendar;
use crate::clock::Millis;

/// The deadline of a case opened at `now` for a change effective at `effective_at`.
pub fn case_deadline(
    calendar: &WorkingCalendar,
    effective_at: Millis,
    now: Millis,
    working_days: u32,
) -> Millis {
    calendar.add_working_days(effective_at.max(now), working_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{DAY_MS, Date};

    #[test]
    fn counts_from_the_later_of_effect_and_report() {
        let cal = WorkingCalendar::embedded();
        // 2026-11-27 10:00 China time is a Friday: Mon, Tue, Wed → Wednesday 2026-12-02.
        let friday = 1_795_744_800_000;
        let due = case_deadline(&cal, friday - DAY_MS, friday, 3);
        assert_eq!(Date::in_china(due).to_string(), "2026-12-02");
        assert_eq!(
            case_deadline(&cal, friday, friday - DAY_MS, 1) - friday,
            3 * DAY_MS
        );
        // Reported on 2026-09-30, effective then: the National Day week does not count.
        let before_holiday = Date::parse("2026-09-30").unwrap().midnight_in_china();
        let due = case_deadline(&cal, before_holiday, before_holiday, 3);
        assert_eq!(Date::in_china(due).to_string(), "2026-10-10");
    }
}
