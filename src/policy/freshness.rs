//! `[freshness]`: the content rule of each content platform and when a failing feed
//! counts as unreachable. Flat keys, so inheritance and floors work as for every other
//! key: `<platform>_warn_days` (`content_stale`, the district's weekly rule),
//! `<platform>_veto_days` (`content_stale` at severity veto, the national indicators'
//! 单项否决 "监测时间点前2周内无更新"), `<platform>_zombie_days` (`zombie_account`:
//! announce and close), and `unreachable_failures`. Absent keys take the defaults, so
//! older preset files load unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::freshness::CONTENT_PLATFORMS;
use crate::vault::Platform;

/// Default days without a publication before `content_stale` (warning).
pub const DEFAULT_WARN_DAYS: u32 = 7;
/// Default days before `content_stale` becomes a veto.
pub const DEFAULT_VETO_DAYS: u32 = 14;
/// Default days before `zombie_account`.
pub const DEFAULT_ZOMBIE_DAYS: u32 = 90;
/// Default consecutive failed probes before `account_unreachable`.
pub const DEFAULT_UNREACHABLE_FAILURES: u32 = 3;

/// The three thresholds of one platform, in days.
pub const STAGES: [&str; 3] = ["warn_days", "veto_days", "zombie_days"];
/// The key that is not per platform.
pub const UNREACHABLE_FAILURES: &str = "unreachable_failures";

/// One platform's content rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentRule {
    pub warn_days: u32,
    pub veto_days: u32,
    pub zombie_days: u32,
}

/// The `[freshness]` section: every key with its value (defaults filled in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, u32>", into = "BTreeMap<String, u32>")]
pub struct FreshnessPolicy {
    values: BTreeMap<String, u32>,
}

/// `(key, default)` of every key of the section.
pub fn key_defaults() -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for p in CONTENT_PLATFORMS {
        for (stage, default) in
            STAGES
                .iter()
                .zip([DEFAULT_WARN_DAYS, DEFAULT_VETO_DAYS, DEFAULT_ZOMBIE_DAYS])
        {
            out.push((format!("{}_{stage}", p.as_str()), default));
        }
    }
    out.push((
        UNREACHABLE_FAILURES.to_string(),
        DEFAULT_UNREACHABLE_FAILURES,
    ));
    out
}

impl Default for FreshnessPolicy {
    fn default() -> Self {
        FreshnessPolicy {
            values: key_defaults().into_iter().collect(),
        }
    }
}

impl TryFrom<BTreeMap<String, u32>> for FreshnessPolicy {
    type Error = String;
    fn try_from(given: BTreeMap<String, u32>) -> Result<Self, String> {
        let mut p = FreshnessPolicy::default();
        for (key, value) in given {
            match p.values.get_mut(&key) {
                Some(slot) => *slot = value,
                None => {
                    return Err(format!(
                        "unknown key freshness.{key} (keys: <platform>_warn_days, <platform>_veto_days, <platform>_zombie_days for {}; {UNREACHABLE_FAILURES})",
                        CONTENT_PLATFORMS.map(Platform::as_str).join(", ")
                    ));
                }
            }
        }
        Ok(p)
    }
}

impl From<FreshnessPolicy> for BTreeMap<String, u32> {
    fn from(p: FreshnessPolicy) -> Self {
        p.values
    }
}

impl FreshnessPolicy {
    fn get(&self, key: &str, default: u32) -> u32 {
        self.values.get(key).copied().unwrap_or(default)
    }

    /// The content rule of `platform`; `None` for platforms that publish no content.
    pub fn rule(&self, platform: Platform) -> Option<ContentRule> {
        if !CONTENT_PLATFORMS.contains(&platform) {
            return None;
        }
        let p = platform.as_str();
        Some(ContentRule {
            warn_days: self.get(&format!("{p}_warn_days"), DEFAULT_WARN_DAYS),
            veto_days: self.get(&format!("{p}_veto_days"), DEFAULT_VETO_DAYS),
            zombie_days: self.get(&format!("{p}_zombie_days"), DEFAULT_ZOMBIE_DAYS),
        })
    }

    /// Consecutive failed probes before `account_unreachable`.
    pub fn unreachable_failures(&self) -> u32 {
        self.get(UNREACHABLE_FAILURES, DEFAULT_UNREACHABLE_FAILURES)
    }

    /// Ranges: days 1–3650, failures 1–100. The stages need not be ordered: each
    /// finding is raised by its own threshold.
    pub(super) fn validate(&self) -> Result<(), String> {
        for (key, value) in &self.values {
            let range = if key == UNREACHABLE_FAILURES {
                1..=100
            } else {
                1..=3650
            };
            if !range.contains(value) {
                return Err(format!(
                    "key freshness.{key}: {value} must be between {} and {}",
                    range.start(),
                    range.end()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_keys_take_the_defaults_and_unknown_keys_are_refused() {
        let p: FreshnessPolicy = toml::from_str("weibo_warn_days = 5").unwrap();
        assert_eq!(
            p.rule(Platform::Weibo),
            Some(ContentRule {
                warn_days: 5,
                veto_days: 14,
                zombie_days: 90
            })
        );
        assert_eq!(p.rule(Platform::Douyin).unwrap().warn_days, 7);
        assert_eq!(p.rule(Platform::Email), None);
        assert_eq!(p.unreachable_failures(), 3);
        let e = toml::from_str::<FreshnessPolicy>("email_warn_days = 5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("freshness.email_warn_days"), "{e}");
        let p: FreshnessPolicy = toml::from_str("unreachable_failures = 0").unwrap();
        assert!(p.validate().unwrap_err().contains("unreachable_failures"));
    }
}
