//! `[risk]`: how a unit's risk score is weighed and how long daily snapshots are kept.
//! Global (the configured preset), so every unit of a ranking is weighed alike.
//!
//! ```toml
//! [risk]
//! snapshot_keep_days = 400
//! [risk.weights]
//! strong = 25
//! unique = 20
//! rotated = 20
//! custodian = 10
//! fresh = 10
//! handover = 5
//! rectification = 10
//! ```

use serde::{Deserialize, Serialize};

/// The `[risk]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RiskPolicy {
    /// Each component's weight (0–100; components weighing 0 are shown but not scored).
    #[serde(default)]
    pub weights: RiskWeights,
    /// Days a unit's daily snapshot is kept (trends and "change since last period").
    #[serde(default = "default_keep_days")]
    pub snapshot_keep_days: u32,
}

impl Default for RiskPolicy {
    fn default() -> Self {
        RiskPolicy {
            weights: RiskWeights::default(),
            snapshot_keep_days: default_keep_days(),
        }
    }
}

fn default_keep_days() -> u32 {
    400
}

/// `[risk.weights]`: one weight per score component.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct RiskWeights {
    /// Accounts whose password meets the unit's policy.
    pub strong: u32,
    /// Accounts whose password no other account uses.
    pub unique: u32,
    /// Accounts rotated within their maximum age.
    pub rotated: u32,
    /// Accounts with an active custodian.
    pub custodian: u32,
    /// Accounts whose content is fresh (no stale or zombie finding).
    pub fresh: u32,
    /// Handover cases closed (or still running) within their deadline.
    pub handover: u32,
    /// Rectification items closed (or still open) within their deadline.
    pub rectification: u32,
}

impl Default for RiskWeights {
    fn default() -> Self {
        RiskWeights {
            strong: 25,
            unique: 20,
            rotated: 20,
            custodian: 10,
            fresh: 10,
            handover: 5,
            rectification: 10,
        }
    }
}

/// Every weight key, as `[risk.weights]` names it (in component order).
pub const WEIGHT_KEYS: [&str; 7] = [
    "strong",
    "unique",
    "rotated",
    "custodian",
    "fresh",
    "handover",
    "rectification",
];

impl RiskWeights {
    /// The weights in [`WEIGHT_KEYS`] order.
    pub fn as_array(&self) -> [u32; 7] {
        [
            self.strong,
            self.unique,
            self.rotated,
            self.custodian,
            self.fresh,
            self.handover,
            self.rectification,
        ]
    }
}

impl RiskPolicy {
    /// Refuses weights out of range, all-zero weights and a retention outside 30–3650 days.
    pub fn validate(&self) -> Result<(), String> {
        let w = self.weights.as_array();
        for (key, value) in WEIGHT_KEYS.iter().zip(w) {
            if value > 100 {
                return Err(format!(
                    "key risk.weights.{key}: {value} must be between 0 and 100"
                ));
            }
        }
        if w.iter().all(|v| *v == 0) {
            return Err("key risk.weights: at least one weight must be above 0".into());
        }
        if !(30..=3650).contains(&self.snapshot_keep_days) {
            return Err(format!(
                "key risk.snapshot_keep_days: {} must be between 30 and 3650",
                self.snapshot_keep_days
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_sum_to_a_hundred_and_validate() {
        let p = RiskPolicy::default();
        assert_eq!(p.weights.as_array().iter().sum::<u32>(), 100);
        p.validate().unwrap();
    }

    #[test]
    fn nested_weights_parse_and_bad_values_are_named() {
        let p: RiskPolicy =
            toml::from_str("snapshot_keep_days = 90\n[weights]\nstrong = 50\n").unwrap();
        assert_eq!((p.weights.strong, p.weights.unique), (50, 20));
        let mut bad = p.clone();
        bad.weights.fresh = 101;
        assert!(bad.validate().unwrap_err().contains("risk.weights.fresh"));
        let zero: RiskPolicy = toml::from_str(
            "[weights]\nstrong=0\nunique=0\nrotated=0\ncustodian=0\nfresh=0\nhandover=0\nrectification=0\n",
        )
        .unwrap();
        assert!(zero.validate().is_err());
        bad = RiskPolicy::default();
        bad.snapshot_keep_days = 7;
        assert!(bad.validate().unwrap_err().contains("snapshot_keep_days"));
    }
}
