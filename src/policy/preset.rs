//! The preset file format and its validation.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::authz::Role;

/// Presets shipped in the binary (name, file name, text).
const BUILT_IN: &[(&str, &str)] = &[
    (
        "district-default.toml",
        include_str!("../../policies/district-default.toml"),
    ),
    (
        "mlps-level3.toml",
        include_str!("../../policies/mlps-level3.toml"),
    ),
    (
        "mlps-level2.toml",
        include_str!("../../policies/mlps-level2.toml"),
    ),
    (
        "nist-800-63b.toml",
        include_str!("../../policies/nist-800-63b.toml"),
    ),
];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub meta: Meta,
    pub user_password: UserPasswordPolicy,
    pub lockout: LockoutPolicy,
    pub session: SessionPolicy,
    pub mfa: MfaPolicy,
    pub account_password: AccountPasswordPolicy,
    pub rotation: RotationPolicy,
    pub generator: GeneratorPolicy,
    pub handover: HandoverPolicy,
    #[serde(default)]
    pub separation: SeparationPolicy,
    #[serde(default)]
    pub policy_check: PolicyCheckPolicy,
    /// Content rules per platform and the probe's unreachable threshold.
    #[serde(default)]
    pub freshness: super::freshness::FreshnessPolicy,
    #[serde(default)]
    pub rectification: RectificationPolicy,
    /// Risk score weights and snapshot retention.
    #[serde(default)]
    pub risk: super::risk::RiskPolicy,
}

/// Rectification (整改) of findings: which findings open an item, how many working days
/// a unit has to fix one, and how long a supervisor may accept a risk. Global (the
/// configured preset): every unit is assessed against the same deadlines.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RectificationPolicy {
    /// The least severe finding that opens an item: `veto`, `high`, `medium` or `low`.
    #[serde(default = "default_min_severity")]
    pub min_severity: String,
    /// Working days to fix a `veto` finding (单项否决).
    #[serde(default = "default_deadline_veto")]
    pub deadline_working_days_veto: u32,
    /// Working days to fix a `high` finding.
    #[serde(default = "default_deadline_high")]
    pub deadline_working_days_high: u32,
    /// Working days to fix a `medium` finding (and a `low` one when `min_severity` is low).
    #[serde(default = "default_deadline_medium")]
    pub deadline_working_days_medium: u32,
    /// The longest a supervisor may accept a risk (accept while the condition holds), in
    /// days; the item reopens after that.
    #[serde(default = "default_max_acceptance_days")]
    pub max_acceptance_days: u32,
}

impl Default for RectificationPolicy {
    fn default() -> Self {
        RectificationPolicy {
            min_severity: default_min_severity(),
            deadline_working_days_veto: default_deadline_veto(),
            deadline_working_days_high: default_deadline_high(),
            deadline_working_days_medium: default_deadline_medium(),
            max_acceptance_days: default_max_acceptance_days(),
        }
    }
}

fn default_min_severity() -> String {
    "high".into()
}
fn default_deadline_veto() -> u32 {
    1
}
fn default_deadline_high() -> u32 {
    3
}
fn default_deadline_medium() -> u32 {
    5
}
fn default_max_acceptance_days() -> u32 {
    90
}

/// Three-role separation (三员分立). The sysadmin/auditor split is never relaxable.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeparationPolicy {
    /// Let a sysadmin also hold `unit_admin` or `custodian` (small sites at MLPS level 2
    /// only; any other preset that sets it fails to load).
    #[serde(default)]
    pub sysadmin_may_hold_unit_roles: bool,
}

/// `POST /policy/check`: how often one caller may ask.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyCheckPolicy {
    /// Checks per caller (user or API token) per minute, counted in the database so
    /// every server shares the count.
    pub max_per_minute: u32,
}

impl Default for PolicyCheckPolicy {
    fn default() -> Self {
        PolicyCheckPolicy { max_per_minute: 20 }
    }
}

/// Staff-change handover cases (交接).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverPolicy {
    /// Working days (Monday–Friday) from the staff change until the case must be closed.
    pub deadline_working_days: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// Rules for the passwords people use to log in to credgov.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserPasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
    /// zxcvbn score 0–4 that a password must reach.
    pub min_score: u8,
    /// Days after which a login password must be changed (0 or absent: never). Once
    /// expired, login still succeeds but the session can only change the password.
    #[serde(default)]
    pub max_age_days: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LockoutPolicy {
    /// Consecutive failed logins that lock the user.
    pub max_failures: u32,
    pub lock_minutes: u32,
    /// Failed logins from one client address (IPv6: its /64), across usernames, within
    /// `address_window_minutes`, before the address is throttled.
    pub address_max_failures: u32,
    pub address_window_minutes: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionPolicy {
    pub idle_minutes: u32,
    pub absolute_hours: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MfaPolicy {
    /// A user holding any of these roles must use TOTP.
    pub required_roles: Vec<Role>,
    /// Days a user holding such a role may stay without TOTP before daily inspection
    /// reports `mfa_not_enrolled` (counted from the earliest such role).
    #[serde(default = "default_enrol_within_days")]
    pub enrol_within_days: u32,
}

fn default_enrol_within_days() -> u32 {
    7
}

/// Character classes for complexity rules (等保 "复杂度") and the generator.
#[derive(
    Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum CharClass {
    Lower,
    Upper,
    Digit,
    Symbol,
}

impl CharClass {
    pub const ALL: [CharClass; 4] = [
        CharClass::Lower,
        CharClass::Upper,
        CharClass::Digit,
        CharClass::Symbol,
    ];

    pub fn of(c: char) -> Option<CharClass> {
        if c.is_ascii_lowercase() {
            Some(CharClass::Lower)
        } else if c.is_ascii_uppercase() {
            Some(CharClass::Upper)
        } else if c.is_ascii_digit() {
            Some(CharClass::Digit)
        } else if c.is_ascii_punctuation() || c == ' ' {
            Some(CharClass::Symbol)
        } else {
            None
        }
    }

    /// The name in policy files and the API (`lower`, `upper`, `digit`, `symbol`).
    pub fn code(self) -> &'static str {
        match self {
            CharClass::Lower => "lower",
            CharClass::Upper => "upper",
            CharClass::Digit => "digit",
            CharClass::Symbol => "symbol",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CharClass::Lower => "a lowercase letter",
            CharClass::Upper => "an uppercase letter",
            CharClass::Digit => "a digit",
            CharClass::Symbol => "a symbol",
        }
    }
}

/// Rules for the passwords of managed accounts (WeChat, Weibo, website back ends …).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
    /// zxcvbn score 0–4; context words are the unit name, account name, platform and login name.
    pub min_score: u8,
    /// Classes every password must contain (may be empty: NIST prefers length).
    #[serde(default)]
    pub required_classes: Vec<CharClass>,
    /// A new password may not repeat any of the account's last N versions.
    pub history_depth: u32,
    /// A new password may not equal the current password of another account of the unit.
    pub forbid_unit_reuse: bool,
}

/// Maximum age of a current password per account classification.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationPolicy {
    pub max_age_days_core: u32,
    pub max_age_days_important: u32,
    pub max_age_days_general: u32,
    /// Days before the maximum age at which daily inspection reports `rotation_due`
    /// (each one a reminder stage; largest first).
    #[serde(default = "default_reminder_days")]
    pub reminder_days: Vec<u32>,
    /// Hours a staged rotation may stay pending before daily inspection reports
    /// `rotation_pending_stale` (nobody knows which password the platform has).
    #[serde(default = "default_pending_max_hours")]
    pub pending_max_hours: u32,
}

fn default_reminder_days() -> Vec<u32> {
    vec![15, 7, 1]
}

fn default_pending_max_hours() -> u32 {
    72
}

/// How generated passwords look.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeneratorPolicy {
    pub length: usize,
    pub classes: Vec<CharClass>,
    /// Leave out look-alikes (0/O/o, 1/l/I, 5/S, 2/Z …) so a password can be typed from a screen.
    pub exclude_ambiguous: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("policy file {file}: {reason}")]
pub struct PolicyError {
    pub file: String,
    pub reason: String,
}

impl Policy {
    /// Parses and validates one preset.
    pub fn parse(file: &str, text: &str) -> Result<Policy, PolicyError> {
        let err = |reason: String| PolicyError {
            file: file.to_string(),
            reason,
        };
        // toml's messages carry the line, column and key.
        let p: Policy = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        p.validate().map_err(err)?;
        Ok(p)
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        let up = &self.user_password;
        if !(8..=128).contains(&up.min_length) {
            return Err(format!(
                "key user_password.min_length: {} is outside 8..=128",
                up.min_length
            ));
        }
        if up.max_length < up.min_length || up.max_length > 1024 {
            return Err(format!(
                "key user_password.max_length: {} must be between min_length and 1024",
                up.max_length
            ));
        }
        if up.min_score > 4 {
            return Err(format!(
                "key user_password.min_score: {} is not a zxcvbn score (0–4)",
                up.min_score
            ));
        }
        if up.max_age_days > 3650 {
            return Err(format!(
                "key user_password.max_age_days: {} must be between 0 (never) and 3650",
                up.max_age_days
            ));
        }
        if self.lockout.max_failures == 0 || self.lockout.lock_minutes == 0 {
            return Err("key lockout: max_failures and lock_minutes must be at least 1".into());
        }
        if self.lockout.address_max_failures == 0 || self.lockout.address_window_minutes == 0 {
            return Err(
                "key lockout: address_max_failures and address_window_minutes must be at least 1"
                    .into(),
            );
        }
        if self.session.idle_minutes == 0
            || u64::from(self.session.absolute_hours) * 60 < u64::from(self.session.idle_minutes)
        {
            return Err(
                "key session: idle_minutes must be at least 1 and not longer than absolute_hours"
                    .into(),
            );
        }
        let ap = &self.account_password;
        if !(8..=256).contains(&ap.min_length)
            || ap.max_length < ap.min_length
            || ap.max_length > 1024
        {
            return Err(format!(
                "key account_password.min_length/max_length: {}..{} must satisfy 8 <= min <= max <= 1024",
                ap.min_length, ap.max_length
            ));
        }
        if ap.min_score > 4 {
            return Err(format!(
                "key account_password.min_score: {} is not a zxcvbn score (0–4)",
                ap.min_score
            ));
        }
        if ap.history_depth > 100 {
            return Err("key account_password.history_depth: at most 100".into());
        }
        let r = &self.rotation;
        for (k, v) in [
            ("max_age_days_core", r.max_age_days_core),
            ("max_age_days_important", r.max_age_days_important),
            ("max_age_days_general", r.max_age_days_general),
        ] {
            if !(1..=3650).contains(&v) {
                return Err(format!(
                    "key rotation.{k}: {v} must be between 1 and 3650 days"
                ));
            }
        }
        if r.reminder_days.len() > 10 || r.reminder_days.iter().any(|d| !(1..=365).contains(d)) {
            return Err(
                "key rotation.reminder_days: at most 10 days, each between 1 and 365".into(),
            );
        }
        if !(1..=720).contains(&r.pending_max_hours) {
            return Err(format!(
                "key rotation.pending_max_hours: {} must be between 1 and 720",
                r.pending_max_hours
            ));
        }
        if self.mfa.enrol_within_days > 365 {
            return Err(format!(
                "key mfa.enrol_within_days: {} must be between 0 and 365",
                self.mfa.enrol_within_days
            ));
        }
        let g = &self.generator;
        if g.classes.is_empty() {
            return Err("key generator.classes: name at least one class".into());
        }
        if g.length < ap.min_length || g.length > ap.max_length || g.length < g.classes.len() {
            return Err(format!(
                "key generator.length: {} must lie within account_password.min_length..=max_length ({}..={})",
                g.length, ap.min_length, ap.max_length
            ));
        }
        if let Some(c) = ap.required_classes.iter().find(|c| !g.classes.contains(c)) {
            return Err(format!(
                "key generator.classes: must include {c:?}, which account_password.required_classes requires"
            ));
        }
        if !(1..=60).contains(&self.handover.deadline_working_days) {
            return Err(format!(
                "key handover.deadline_working_days: {} must be between 1 and 60",
                self.handover.deadline_working_days
            ));
        }
        if self.separation.sysadmin_may_hold_unit_roles && self.meta.name != "mlps-level2" {
            return Err(
                "key separation.sysadmin_may_hold_unit_roles: only the mlps-level2 preset may \
                 let a sysadmin hold unit roles (three-role separation, GB/T 22239)"
                    .into(),
            );
        }
        if !(1..=10_000).contains(&self.policy_check.max_per_minute) {
            return Err(format!(
                "key policy_check.max_per_minute: {} must be between 1 and 10000",
                self.policy_check.max_per_minute
            ));
        }
        self.freshness.validate()?;
        self.risk.validate()?;
        let rp = &self.rectification;
        if !super::rules::SEVERITIES.contains(&rp.min_severity.as_str()) {
            return Err(format!(
                "key rectification.min_severity: {:?} must be one of {}",
                rp.min_severity,
                super::rules::SEVERITIES.join(", ")
            ));
        }
        for (k, v) in [
            ("deadline_working_days_veto", rp.deadline_working_days_veto),
            ("deadline_working_days_high", rp.deadline_working_days_high),
            (
                "deadline_working_days_medium",
                rp.deadline_working_days_medium,
            ),
        ] {
            if !(1..=60).contains(&v) {
                return Err(format!(
                    "key rectification.{k}: {v} must be between 1 and 60 working days"
                ));
            }
        }
        if !(1..=365).contains(&rp.max_acceptance_days) {
            return Err(format!(
                "key rectification.max_acceptance_days: {} must be between 1 and 365",
                rp.max_acceptance_days
            ));
        }
        if self.meta.name.trim().is_empty() {
            return Err("key meta.name: must not be empty".into());
        }
        Ok(())
    }
}

/// All presets known to this process, by name.
#[derive(Clone, Debug)]
pub struct PolicySet {
    presets: BTreeMap<String, Policy>,
}

impl PolicySet {
    /// The built-in presets, then every `*.toml` in `dir` (overriding by name).
    pub fn load(dir: Option<&Path>) -> Result<PolicySet, PolicyError> {
        let mut presets = BTreeMap::new();
        for (file, text) in BUILT_IN {
            let p = Policy::parse(&format!("policies/{file}"), text)?;
            presets.insert(p.meta.name.clone(), p);
        }
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).map_err(|e| PolicyError {
                file: dir.display().to_string(),
                reason: e.to_string(),
            })?;
            let mut files: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for path in files {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(&path).map_err(|e| PolicyError {
                    file: shown.clone(),
                    reason: e.to_string(),
                })?;
                let p = Policy::parse(&shown, &text)?;
                presets.insert(p.meta.name.clone(), p);
            }
        }
        Ok(PolicySet { presets })
    }

    pub fn get(&self, name: &str) -> Result<&Policy, PolicyError> {
        self.presets.get(name).ok_or_else(|| PolicyError {
            file: format!("policies/{name}.toml"),
            reason: format!(
                "no preset named {name}; known presets: {}",
                self.presets.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.presets.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_presets_parse() {
        let set = PolicySet::load(None).unwrap();
        let names: Vec<_> = set.names().collect();
        assert_eq!(
            names,
            [
                "district-default",
                "mlps-level2",
                "mlps-level3",
                "nist-800-63b"
            ]
        );
        let p = set.get("district-default").unwrap();
        assert_eq!(p.user_password.min_length, 12);
        assert_eq!(p.lockout.max_failures, 5);
        assert_eq!(p.session.idle_minutes, 15);
        assert!(set.get("nope").is_err());
    }

    #[test]
    fn bad_file_names_file_key_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = BUILT_IN[0]
            .1
            .replace("min_score = 3", "min_score = \"high\"");
        std::fs::write(dir.path().join("broken.toml"), text).unwrap();
        let e = PolicySet::load(Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("broken.toml"), "{e}");
        assert!(e.contains("min_score"), "{e}");
        assert!(e.contains("line"), "{e}");
    }

    #[test]
    fn out_of_range_values_rejected() {
        let text = BUILT_IN[0]
            .1
            .replace("max_failures = 5", "max_failures = 0");
        let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
        assert!(e.contains("lockout"), "{e}");
        let text = BUILT_IN[0]
            .1
            .replace("address_max_failures = 30", "address_max_failures = 0");
        let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
        assert!(e.contains("address_max_failures"), "{e}");
        let text = BUILT_IN[0].1.replace("min_score = 3", "min_score = 9");
        assert!(Policy::parse("x.toml", &text).is_err());
        let text = BUILT_IN[0].1.replace("[lockout]", "[lockout]\nbogus = 1");
        let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn only_mlps_level2_relaxes_separation() {
        let set = PolicySet::load(None).unwrap();
        for name in set.names() {
            let p = set.get(name).unwrap();
            assert_eq!(
                p.separation.sysadmin_may_hold_unit_roles,
                name == "mlps-level2",
                "{name}"
            );
        }
        let text = format!(
            "{}\n[separation]\nsysadmin_may_hold_unit_roles = true\n",
            BUILT_IN[0].1
        );
        let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
        assert!(e.contains("sysadmin_may_hold_unit_roles"), "{e}");
    }

    #[test]
    fn directory_overrides_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = BUILT_IN[0]
            .1
            .replace("idle_minutes = 15", "idle_minutes = 10");
        std::fs::write(dir.path().join("mine.toml"), text).unwrap();
        let set = PolicySet::load(Some(dir.path())).unwrap();
        assert_eq!(
            set.get("district-default").unwrap().session.idle_minutes,
            10
        );
    }
}
