//! The states of a rectification item and what the policy says about severities.

use crate::inspection::Severity;
use crate::policy::RectificationPolicy;
use crate::text_enum::text_enum;

text_enum!(
    /// Where a rectification item stands. `open`, `submitted` and `returned` are live;
    /// `accepted` is final unless it is a risk acceptance (`risk_accepted_until` set),
    /// which reopens when it expires; `auto_resolved` is final.
    RectificationState {
        /// Waiting for the unit to fix the finding and submit evidence.
        Open => "open",
        /// Evidence submitted; waiting for a supervisor above the unit.
        Submitted => "submitted",
        /// A supervisor sent it back with a reason; the unit submits again.
        Returned => "returned",
        /// A supervisor accepted it (as fixed, or as a risk until a date).
        Accepted => "accepted",
        /// The finding cleared (a fix the scan or a write saw).
        AutoResolved => "auto_resolved",
    }
);

/// How severe, least first (`low` 0 … `veto` 3).
pub(super) fn rank(s: Severity) -> usize {
    match s {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Veto => 3,
    }
}

/// The severities that open an item under `policy` (at or above `min_severity`; an
/// unknown value, which validation refuses, counts as `high`).
pub(super) fn opening_severities(policy: &RectificationPolicy) -> Vec<Severity> {
    let min = Severity::parse(&policy.min_severity).unwrap_or(Severity::High);
    Severity::ALL
        .iter()
        .copied()
        .filter(|s| rank(*s) >= rank(min))
        .collect()
}

/// Working days a unit has to fix a finding of `severity` (`low` counts as `medium`).
pub(super) fn deadline_working_days(policy: &RectificationPolicy, severity: Severity) -> u32 {
    match severity {
        Severity::Veto => policy.deadline_working_days_veto,
        Severity::High => policy.deadline_working_days_high,
        Severity::Medium | Severity::Low => policy.deadline_working_days_medium,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_and_deadlines_follow_the_policy() {
        let mut p = RectificationPolicy::default();
        assert_eq!(opening_severities(&p), vec![Severity::Veto, Severity::High]);
        p.min_severity = "medium".into();
        assert_eq!(opening_severities(&p).len(), 3);
        assert_eq!(deadline_working_days(&p, Severity::Veto), 1);
        assert_eq!(deadline_working_days(&p, Severity::High), 3);
        assert_eq!(deadline_working_days(&p, Severity::Low), 5);
    }

    #[test]
    fn states_round_trip() {
        for s in RectificationState::ALL {
            assert_eq!(RectificationState::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
    }
}
