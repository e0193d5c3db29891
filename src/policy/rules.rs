//! Which way is stricter, key by key: the one table that inheritance, floors and the
//! validation of unit overrides consult. Every key of every policy section is listed
//! (a test keeps it that way), so a new knob cannot be added without deciding which
//! direction tightens it.

use std::collections::BTreeSet;

use serde_json::Value;

/// How two values of one key compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A larger number is stricter (min_length, min_score, history_depth, …).
    Higher,
    /// A smaller number is stricter (maximum ages, lockout.max_failures, session limits).
    Lower,
    /// A superset is stricter (required character classes, roles that must use TOTP).
    Superset,
    /// `true` is stricter than `false`.
    TrueStricter,
    /// Neither direction is stricter: a unit may choose (generator.exclude_ambiguous).
    Free,
    /// A technical upper bound, not a floor: a unit may set any value that keeps the
    /// policy consistent (≥ min_length); choosing a preset does not change it.
    Bound,
    /// One of the names listed, the earlier the stricter (`rectification.min_severity`:
    /// a lower threshold opens more items).
    Ranked(&'static [&'static str]),
}

/// The type and range a value must have.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Int {
        min: u64,
        max: u64,
    },
    Bool,
    /// A set of names out of `members`, with at least `min_len` of them.
    Set {
        members: &'static [&'static str],
        min_len: usize,
    },
    /// A list of whole numbers in `min..=max`, at most `max_len` of them (kept
    /// deduplicated, largest first).
    Ints {
        min: u64,
        max: u64,
        max_len: usize,
    },
    /// One name out of `members`.
    Choice {
        members: &'static [&'static str],
    },
}

#[derive(Debug)]
pub struct KeyDef {
    pub section: &'static str,
    pub key: &'static str,
    pub kind: Kind,
    pub rule: Rule,
}

impl KeyDef {
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.section, self.key)
    }

    pub fn overridable(&self) -> bool {
        OVERRIDABLE_SECTIONS.contains(&self.section)
    }
}

/// Sections a unit may override; everything else is about logging in to credgov
/// itself and comes from the configured preset only.
pub const OVERRIDABLE_SECTIONS: [&str; 5] = [
    "account_password",
    "rotation",
    "generator",
    "handover",
    "freshness",
];

/// Sections that stay global (the configured preset).
pub const GLOBAL_SECTIONS: [&str; 9] = [
    "meta",
    "user_password",
    "lockout",
    "session",
    "mfa",
    "separation",
    "policy_check",
    "rectification",
    "risk",
];

/// Character class names, in canonical order (as `CharClass` serialises them).
pub const CLASSES: &[&str] = &["lower", "upper", "digit", "symbol"];

/// Finding severities, the least severe first (the order `Rule::Ranked` reads: a lower
/// `rectification.min_severity` is stricter).
pub const SEVERITIES: &[&str] = &["low", "medium", "high", "veto"];

/// Role names (as `Role` serialises them).
pub const ROLES: &[&str] = &[
    "sysadmin",
    "supervisor",
    "unit_admin",
    "custodian",
    "hr",
    "auditor",
];

const fn int(min: u64, max: u64) -> Kind {
    Kind::Int { min, max }
}

/// Any count from 1 up to what a `u32` holds: the range of the lockout and session keys.
const POSITIVE_U32: Kind = int(1, u32::MAX as u64);

const fn def(section: &'static str, key: &'static str, kind: Kind, rule: Rule) -> KeyDef {
    KeyDef {
        section,
        key,
        kind,
        rule,
    }
}

/// The table. Ranges match `Policy::validate`.
pub const KEYS: &[KeyDef] = &[
    // Managed accounts' passwords: overridable per unit.
    def("account_password", "min_length", int(8, 256), Rule::Higher),
    def("account_password", "max_length", int(8, 1024), Rule::Bound),
    def("account_password", "min_score", int(0, 4), Rule::Higher),
    def(
        "account_password",
        "required_classes",
        Kind::Set {
            members: CLASSES,
            min_len: 0,
        },
        Rule::Superset,
    ),
    def(
        "account_password",
        "history_depth",
        int(0, 100),
        Rule::Higher,
    ),
    def(
        "account_password",
        "forbid_unit_reuse",
        Kind::Bool,
        Rule::TrueStricter,
    ),
    def("rotation", "max_age_days_core", int(1, 3650), Rule::Lower),
    def(
        "rotation",
        "max_age_days_important",
        int(1, 3650),
        Rule::Lower,
    ),
    def(
        "rotation",
        "max_age_days_general",
        int(1, 3650),
        Rule::Lower,
    ),
    // Reminder stages before the maximum age: a unit may choose its own.
    def(
        "rotation",
        "reminder_days",
        Kind::Ints {
            min: 1,
            max: 365,
            max_len: 10,
        },
        Rule::Free,
    ),
    def("rotation", "pending_max_hours", int(1, 720), Rule::Lower),
    def("generator", "length", int(8, 1024), Rule::Higher),
    def(
        "generator",
        "classes",
        Kind::Set {
            members: CLASSES,
            min_len: 1,
        },
        Rule::Superset,
    ),
    def("generator", "exclude_ambiguous", Kind::Bool, Rule::Free),
    def("handover", "deadline_working_days", int(1, 60), Rule::Lower),
    // Logging in to credgov: global, listed so that the direction is on record.
    def("user_password", "min_length", int(8, 128), Rule::Higher),
    def("user_password", "max_length", int(8, 1024), Rule::Bound),
    def("user_password", "min_score", int(0, 4), Rule::Higher),
    // 0 means "never", so neither numeric direction is stricter; global, never overridden.
    def("user_password", "max_age_days", int(0, 3650), Rule::Free),
    def("lockout", "max_failures", POSITIVE_U32, Rule::Lower),
    def("lockout", "lock_minutes", POSITIVE_U32, Rule::Higher),
    def("lockout", "address_max_failures", POSITIVE_U32, Rule::Lower),
    def(
        "lockout",
        "address_window_minutes",
        POSITIVE_U32,
        Rule::Higher,
    ),
    def("session", "idle_minutes", POSITIVE_U32, Rule::Lower),
    def("session", "absolute_hours", POSITIVE_U32, Rule::Lower),
    def(
        "mfa",
        "required_roles",
        Kind::Set {
            members: ROLES,
            min_len: 0,
        },
        Rule::Superset,
    ),
    // Days before daily inspection reports a role holder without TOTP; global.
    def("mfa", "enrol_within_days", int(0, 365), Rule::Lower),
    // Three-role separation: relaxable in mlps-level2 only (checked at load).
    def(
        "separation",
        "sysadmin_may_hold_unit_roles",
        Kind::Bool,
        Rule::Free,
    ),
    def(
        "policy_check",
        "max_per_minute",
        int(1, 10_000),
        Rule::Lower,
    ),
    // Rectification (整改): global, so every unit is assessed against the same deadlines.
    def(
        "rectification",
        "min_severity",
        Kind::Choice {
            members: SEVERITIES,
        },
        Rule::Ranked(SEVERITIES),
    ),
    def(
        "rectification",
        "deadline_working_days_veto",
        int(1, 60),
        Rule::Lower,
    ),
    def(
        "rectification",
        "deadline_working_days_high",
        int(1, 60),
        Rule::Lower,
    ),
    def(
        "rectification",
        "deadline_working_days_medium",
        int(1, 60),
        Rule::Lower,
    ),
    def(
        "rectification",
        "max_acceptance_days",
        int(1, 365),
        Rule::Lower,
    ),
    // Risk score (global, so a ranking weighs every unit alike); `[risk.weights]` keys
    // are listed with their table prefix.
    def("risk", "weights.strong", int(0, 100), Rule::Free),
    def("risk", "weights.unique", int(0, 100), Rule::Free),
    def("risk", "weights.rotated", int(0, 100), Rule::Free),
    def("risk", "weights.custodian", int(0, 100), Rule::Free),
    def("risk", "weights.fresh", int(0, 100), Rule::Free),
    def("risk", "weights.handover", int(0, 100), Rule::Free),
    def("risk", "weights.rectification", int(0, 100), Rule::Free),
    def("risk", "snapshot_keep_days", int(30, 3650), Rule::Free),
];

/// `freshness.*`: generated from the content platforms (three thresholds each, in
/// days, smaller is stricter) and `unreachable_failures` (fewer is stricter).
static FRESHNESS_KEYS: std::sync::LazyLock<Vec<KeyDef>> = std::sync::LazyLock::new(|| {
    super::freshness::key_defaults()
        .into_iter()
        .map(|(key, _)| {
            let kind = if key == super::freshness::UNREACHABLE_FAILURES {
                int(1, 100)
            } else {
                int(1, 3650)
            };
            // Built once per process: the table lives as long as the program.
            def("freshness", key.leak(), kind, Rule::Lower)
        })
        .collect()
});

/// Every key: the table above and the generated `freshness` keys.
pub fn all_keys() -> impl Iterator<Item = &'static KeyDef> {
    KEYS.iter().chain(FRESHNESS_KEYS.iter())
}

/// The definition of `section.key`.
pub fn find(section: &str, key: &str) -> Option<&'static KeyDef> {
    all_keys().find(|d| d.section == section && d.key == key)
}

/// The definition of a dotted key.
pub fn find_dotted(dotted: &str) -> Option<&'static KeyDef> {
    let (section, key) = dotted.split_once('.')?;
    find(section, key)
}

/// The keys of one section, in table order.
pub fn keys_of(section: &str) -> impl Iterator<Item = &'static KeyDef> + '_ {
    all_keys().filter(move |d| d.section == section)
}

/// How a candidate value compares with the value in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Stricter,
    Same,
    Looser,
    /// Different, but neither is stricter (`Free` and `Bound` keys).
    Either,
}

fn as_set(v: &Value) -> Option<BTreeSet<&str>> {
    v.as_array()?.iter().map(Value::as_str).collect()
}

/// Compares `candidate` with `current` under `rule`. Values that cannot be compared
/// (wrong type) count as looser: nothing is accepted as a tightening unless it is one.
pub fn compare(rule: Rule, current: &Value, candidate: &Value) -> Verdict {
    use std::cmp::Ordering;
    let ordered = |o: Ordering| match o {
        Ordering::Greater => Verdict::Stricter,
        Ordering::Equal => Verdict::Same,
        Ordering::Less => Verdict::Looser,
    };
    match rule {
        Rule::Higher => match (current.as_u64(), candidate.as_u64()) {
            (Some(a), Some(b)) => ordered(b.cmp(&a)),
            _ => Verdict::Looser,
        },
        Rule::Lower => match (current.as_u64(), candidate.as_u64()) {
            (Some(a), Some(b)) => ordered(a.cmp(&b)),
            _ => Verdict::Looser,
        },
        Rule::Superset => match (as_set(current), as_set(candidate)) {
            (Some(a), Some(b)) if a == b => Verdict::Same,
            (Some(a), Some(b)) if b.is_superset(&a) => Verdict::Stricter,
            _ => Verdict::Looser,
        },
        Rule::TrueStricter => match (current.as_bool(), candidate.as_bool()) {
            (Some(a), Some(b)) => ordered(b.cmp(&a)),
            _ => Verdict::Looser,
        },
        Rule::Ranked(order) => {
            let rank = |v: &Value| v.as_str().and_then(|s| order.iter().position(|m| *m == s));
            match (rank(current), rank(candidate)) {
                (Some(a), Some(b)) => ordered(a.cmp(&b)),
                _ => Verdict::Looser,
            }
        }
        Rule::Free | Rule::Bound => {
            if current == candidate {
                Verdict::Same
            } else {
                Verdict::Either
            }
        }
    }
}

/// Checks the type and range of `value` for `def` and returns it in canonical form
/// (sets deduplicated, in table order), or says what is wrong.
pub fn canonical(def: &KeyDef, value: &Value) -> Result<Value, String> {
    let name = def.dotted();
    match def.kind {
        Kind::Int { min, max } => match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(Value::from(n)),
            _ => Err(format!(
                "{name} must be a whole number from {min} to {max}, not {value}"
            )),
        },
        Kind::Bool => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(format!("{name} must be true or false, not {value}")),
        },
        Kind::Set { members, min_len } => {
            let bad = || {
                format!(
                    "{name} must be a list of {}{}, not {value}",
                    members.join(", "),
                    if min_len > 0 {
                        format!(" with at least {min_len}")
                    } else {
                        String::new()
                    }
                )
            };
            let items = value.as_array().ok_or_else(bad)?;
            let mut names = BTreeSet::new();
            for item in items {
                match item.as_str() {
                    Some(s) if members.contains(&s) => {
                        names.insert(s);
                    }
                    _ => return Err(bad()),
                }
            }
            if names.len() < min_len {
                return Err(bad());
            }
            Ok(Value::from(
                members
                    .iter()
                    .filter(|m| names.contains(*m))
                    .map(|m| Value::from(*m))
                    .collect::<Vec<_>>(),
            ))
        }
        Kind::Choice { members } => match value.as_str() {
            Some(s) if members.contains(&s) => Ok(value.clone()),
            _ => Err(format!(
                "{name} must be one of {}, not {value}",
                members.join(", ")
            )),
        },
        Kind::Ints { min, max, max_len } => {
            let bad = || {
                format!(
                    "{name} must be a list of at most {max_len} whole numbers from {min} to {max}, not {value}"
                )
            };
            let items = value.as_array().ok_or_else(bad)?;
            let mut numbers = BTreeSet::new();
            for item in items {
                match item.as_u64() {
                    Some(n) if (min..=max).contains(&n) => {
                        numbers.insert(n);
                    }
                    _ => return Err(bad()),
                }
            }
            if numbers.len() > max_len {
                return Err(bad());
            }
            Ok(Value::from(
                numbers
                    .into_iter()
                    .rev()
                    .map(Value::from)
                    .collect::<Vec<_>>(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::authz::Role;
    use crate::policy::{CharClass, PolicySet};

    #[test]
    fn the_table_covers_every_key_of_every_section() {
        let set = PolicySet::load(None).unwrap();
        let policy = serde_json::to_value(set.get("district-default").unwrap()).unwrap();
        let mut seen = 0;
        for (section, body) in policy.as_object().unwrap() {
            if section == "meta" {
                continue;
            }
            assert!(
                OVERRIDABLE_SECTIONS.contains(&section.as_str())
                    || GLOBAL_SECTIONS.contains(&section.as_str()),
                "{section} is neither overridable nor global"
            );
            // A nested table (`[risk.weights]`) lists its keys as `weights.<key>`.
            let mut keys: Vec<(String, &Value)> = Vec::new();
            for (key, value) in body.as_object().unwrap() {
                match value.as_object() {
                    Some(table) => {
                        keys.extend(table.iter().map(|(k, v)| (format!("{key}.{k}"), v)))
                    }
                    None => keys.push((key.clone(), value)),
                }
            }
            for (key, value) in keys {
                let d = find(section, &key).unwrap_or_else(|| panic!("{section}.{key} missing"));
                canonical(d, value).unwrap_or_else(|e| panic!("shipped value rejected: {e}"));
                seen += 1;
            }
        }
        assert_eq!(
            seen,
            all_keys().count(),
            "the table lists keys the policy does not have"
        );
    }

    #[test]
    fn names_match_the_enums() {
        let classes: Vec<Value> = CharClass::ALL
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect();
        assert_eq!(
            classes,
            CLASSES.iter().map(|c| json!(c)).collect::<Vec<_>>()
        );
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(roles, ROLES);
    }

    #[test]
    fn direction_per_key() {
        let v = |d: &str, a: Value, b: Value| compare(find_dotted(d).unwrap().rule, &a, &b);
        use Verdict::*;
        // Larger is stricter.
        for k in [
            "account_password.min_length",
            "account_password.min_score",
            "account_password.history_depth",
            "generator.length",
            "lockout.lock_minutes",
            "lockout.address_window_minutes",
            "user_password.min_length",
        ] {
            assert_eq!(v(k, json!(3), json!(4)), Stricter, "{k}");
            assert_eq!(v(k, json!(4), json!(3)), Looser, "{k}");
            assert_eq!(v(k, json!(4), json!(4)), Same, "{k}");
        }
        // Smaller is stricter.
        for k in [
            "rotation.max_age_days_core",
            "rotation.max_age_days_important",
            "rotation.max_age_days_general",
            "lockout.max_failures",
            "lockout.address_max_failures",
            "session.idle_minutes",
            "session.absolute_hours",
            "freshness.weibo_warn_days",
            "freshness.gov_website_cms_veto_days",
            "freshness.douyin_zombie_days",
            "freshness.unreachable_failures",
        ] {
            assert_eq!(v(k, json!(90), json!(60)), Stricter, "{k}");
            assert_eq!(v(k, json!(60), json!(90)), Looser, "{k}");
        }
        // Supersets are stricter; a different set that drops a member is looser.
        for k in [
            "account_password.required_classes",
            "generator.classes",
            "mfa.required_roles",
        ] {
            let d = find_dotted(k).unwrap();
            let Kind::Set { members, .. } = d.kind else {
                panic!("{k} is a set")
            };
            let (a, b) = (members[0], members[1]);
            assert_eq!(v(k, json!([a]), json!([a, b])), Stricter, "{k}");
            assert_eq!(v(k, json!([a, b]), json!([b, a])), Same, "{k}");
            assert_eq!(v(k, json!([a, b]), json!([a])), Looser, "{k}");
            assert_eq!(v(k, json!([a]), json!([b])), Looser, "{k}");
        }
        assert_eq!(
            v(
                "account_password.forbid_unit_reuse",
                json!(false),
                json!(true)
            ),
            Stricter
        );
        assert_eq!(
            v(
                "account_password.forbid_unit_reuse",
                json!(true),
                json!(false)
            ),
            Looser
        );
        assert_eq!(
            v("generator.exclude_ambiguous", json!(true), json!(false)),
            Either
        );
        assert_eq!(
            v("account_password.max_length", json!(128), json!(64)),
            Either
        );
        // A lower severity threshold opens more items.
        assert_eq!(
            v("rectification.min_severity", json!("high"), json!("medium")),
            Stricter
        );
        assert_eq!(
            v("rectification.min_severity", json!("high"), json!("veto")),
            Looser
        );
        // Garbage never counts as a tightening.
        assert_eq!(
            v("account_password.min_length", json!(12), json!("99")),
            Looser
        );
    }

    #[test]
    fn only_account_sections_are_overridable() {
        assert!(
            find_dotted("account_password.min_length")
                .unwrap()
                .overridable()
        );
        assert!(
            find_dotted("generator.exclude_ambiguous")
                .unwrap()
                .overridable()
        );
        assert!(!find_dotted("lockout.max_failures").unwrap().overridable());
        assert!(!find_dotted("mfa.required_roles").unwrap().overridable());
        assert!(find_dotted("nope").is_none());
    }

    #[test]
    fn canonical_checks_types_and_ranges() {
        let d = |k| find_dotted(k).unwrap();
        assert_eq!(
            canonical(d("account_password.min_length"), &json!(16)),
            Ok(json!(16))
        );
        for bad in [json!(7), json!(257), json!(-1), json!(12.5), json!("12")] {
            let e = canonical(d("account_password.min_length"), &bad).unwrap_err();
            assert!(e.contains("account_password.min_length"), "{e}");
        }
        assert!(canonical(d("generator.exclude_ambiguous"), &json!(1)).is_err());
        assert_eq!(
            canonical(
                d("account_password.required_classes"),
                &json!(["symbol", "lower", "lower"])
            ),
            Ok(json!(["lower", "symbol"]))
        );
        assert!(canonical(d("account_password.required_classes"), &json!(["emoji"])).is_err());
        assert_eq!(
            canonical(d("account_password.required_classes"), &json!([])),
            Ok(json!([]))
        );
        assert!(canonical(d("generator.classes"), &json!([])).is_err());
    }
}
