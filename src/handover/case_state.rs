//! The state a handover case row stores. The API shows a computed state on top of it
//! (`case::progress` and the deadline overlay); this is only what the `state` column holds.

use crate::text_enum::text_enum;

text_enum!(
    CaseState {
        /// Being worked through.
        Open => "open",
        /// The successor confirmed receipt; waiting for sign-off.
        Acknowledged => "acknowledged",
        /// Signed off; immutable.
        Closed => "closed",
        /// Cancelled; immutable.
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// The state a case shows: its progress, or `escalated` once the deadline passed
    /// on a case that is not final. Also the list's `state` filter.
    ShownState {
        Open => "open",
        AwaitingAcknowledgement => "awaiting_acknowledgement",
        AwaitingSignOff => "awaiting_sign_off",
        Closed => "closed",
        Cancelled => "cancelled",
        Escalated => "escalated",
    }
);

impl CaseState {
    /// Closed and cancelled cases can no longer change.
    pub fn is_final(self) -> bool {
        matches!(self, CaseState::Closed | CaseState::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::{CaseState, ShownState};

    #[test]
    fn case_states_round_trip_and_only_closed_and_cancelled_are_final() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(*s));
        }
        let finals: Vec<&str> = CaseState::ALL
            .iter()
            .filter(|s| s.is_final())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(finals, ["closed", "cancelled"]);
        assert_eq!(CaseState::parse("escalated"), None);
    }

    #[test]
    fn shown_states_round_trip() {
        for s in ShownState::ALL {
            assert_eq!(ShownState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ShownState::parse("acknowledged"), None);
    }
}
