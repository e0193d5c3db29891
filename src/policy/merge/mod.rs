//! Inheritance down the unit tree, without I/O: the configured preset, then for each
//! unit from the root down to the target its chosen preset and its overrides, each
//! value taken only where at least as strict as what is in force (the floor set
//! above). After every unit the result is made consistent again (the generator never
//! produces passwords the rules refuse).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::overrides::{InvalidPolicy, Overrides};
use super::rules::{self, KeyDef, OVERRIDABLE_SECTIONS, Rule, Verdict};
use super::{Policy, PolicySet};

/// Where a value in force came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The preset configured for the whole service (`policy = …`).
    Configured(String),
    /// A preset a unit chose.
    UnitPreset { unit_id: String, preset: String },
    /// A unit's own override.
    Unit { unit_id: String, unit_name: String },
    /// Raised so that the policy stays consistent with `key`, which came from `from`.
    Adjusted {
        key: &'static str,
        from: Box<Source>,
    },
}

impl Source {
    /// The unit that set the value, if a unit did.
    pub fn unit_id(&self) -> Option<&str> {
        match self {
            Source::Configured(_) => None,
            Source::UnitPreset { unit_id, .. } | Source::Unit { unit_id, .. } => Some(unit_id),
            Source::Adjusted { from, .. } => from.unit_id(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Configured(name) => write!(f, "preset:{name}"),
            Source::UnitPreset { unit_id, preset } => write!(f, "unit:{unit_id} preset:{preset}"),
            Source::Unit { unit_id, unit_name } => write!(f, "unit:{unit_id} ({unit_name})"),
            Source::Adjusted { key, from } => write!(f, "{from}; raised to match {key}"),
        }
    }
}

/// One unit's own settings (a `unit_policies` row).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSettings {
    pub unit_id: String,
    pub unit_name: String,
    pub preset: Option<String>,
    pub overrides: Overrides,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

/// An override of the target unit that is not in force because a unit above has a
/// stricter value (set after the override was stored).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Shadowed {
    pub key: String,
    #[schema(value_type = Object)]
    pub value: Value,
    #[schema(value_type = Object)]
    pub in_force: Value,
    pub source: String,
}

/// A value looser than the floor in force.
#[derive(Debug, Clone, PartialEq)]
pub struct FloorError {
    pub key: String,
    pub value: Value,
    pub inherited: Value,
    pub source: Source,
}

#[derive(Debug)]
pub enum ResolveError {
    Floor(Box<FloorError>),
    Invalid(InvalidPolicy),
    Internal(String),
}

impl From<Box<FloorError>> for ResolveError {
    fn from(e: Box<FloorError>) -> Self {
        ResolveError::Floor(e)
    }
}

impl From<InvalidPolicy> for ResolveError {
    fn from(e: InvalidPolicy) -> Self {
        ResolveError::Invalid(e)
    }
}

#[derive(Debug)]
pub struct Resolved {
    pub policy: Policy,
    pub sources: BTreeMap<String, String>,
    /// The target unit's overrides that are not in force.
    pub shadowed: Vec<Shadowed>,
}

/// Merges `layers` (root first; only units that have settings) onto `base`.
/// With `strict`, the target unit's own settings must not be looser than what it
/// inherits and must be consistent (used when they are being saved); otherwise
/// looser values are ignored and reported in `shadowed`.
pub fn resolve(
    base: &Policy,
    presets: &PolicySet,
    layers: &[UnitSettings],
    target_unit_id: &str,
    strict: bool,
) -> Result<Resolved, ResolveError> {
    let mut m = Merge::new(base)?;
    let mut shadowed = Vec::new();
    for layer in layers {
        let is_target = layer.unit_id == target_unit_id;
        let strict = strict && is_target;
        if let Some(name) = &layer.preset {
            match presets.get(name) {
                Ok(p) => m.apply_preset(
                    p,
                    &Source::UnitPreset {
                        unit_id: layer.unit_id.clone(),
                        preset: name.clone(),
                    },
                )?,
                Err(e) if strict => return Err(InvalidPolicy::new("preset", e.reason).into()),
                Err(_) => tracing::warn!(
                    unit_id = %layer.unit_id,
                    preset = %name,
                    "a unit names a preset that is not loaded; ignored (its floors above still apply)"
                ),
            }
        }
        let source = Source::Unit {
            unit_id: layer.unit_id.clone(),
            unit_name: layer.unit_name.clone(),
        };
        let not_applied = m.apply_overrides(&layer.overrides, &source, strict)?;
        if strict {
            m.check_explicit(&layer.overrides)?;
        }
        m.normalize();
        if is_target {
            shadowed = not_applied;
        }
    }
    let (policy, sources) = m.finish()?;
    Ok(Resolved {
        policy,
        sources,
        shadowed,
    })
}

/// The policy being built, as JSON (`section → key → value`), and a source per key.
struct Merge {
    doc: Map<String, Value>,
    sources: BTreeMap<String, Source>,
}

fn to_doc(p: &Policy) -> Result<Map<String, Value>, ResolveError> {
    match serde_json::to_value(p) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ResolveError::Internal(
            "a policy is not a JSON object".into(),
        )),
        Err(e) => Err(ResolveError::Internal(format!("policy to JSON: {e}"))),
    }
}

fn key(dotted: &'static str) -> &'static KeyDef {
    // The keys named in this file are in the table (tested).
    rules::find_dotted(dotted).unwrap_or(&rules::KEYS[0])
}

impl Merge {
    fn new(base: &Policy) -> Result<Merge, ResolveError> {
        let doc = to_doc(base)?;
        let source = Source::Configured(base.meta.name.clone());
        let mut sources = BTreeMap::new();
        for (section, body) in &doc {
            if let Value::Object(inner) = body {
                for k in inner.keys() {
                    sources.insert(format!("{section}.{k}"), source.clone());
                }
            }
        }
        Ok(Merge { doc, sources })
    }

    fn get(&self, d: &KeyDef) -> Option<&Value> {
        self.doc.get(d.section)?.get(d.key)
    }

    fn num(&self, dotted: &'static str) -> u64 {
        self.get(key(dotted)).and_then(Value::as_u64).unwrap_or(0)
    }

    fn set_of(&self, dotted: &'static str) -> BTreeSet<String> {
        self.get(key(dotted))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn source(&self, dotted: &str) -> Source {
        self.sources
            .get(dotted)
            .cloned()
            .unwrap_or_else(|| Source::Configured(String::new()))
    }

    fn set(&mut self, d: &KeyDef, value: Value, source: Source) {
        if let Some(Value::Object(section)) = self.doc.get_mut(d.section) {
            section.insert(d.key.to_string(), value);
            self.sources.insert(d.dotted(), source);
        }
    }

    /// A unit's preset: each value that is at least as strict as the one in force
    /// (free keys as they are; bounds stay).
    fn apply_preset(&mut self, preset: &Policy, source: &Source) -> Result<(), ResolveError> {
        let doc = to_doc(preset)?;
        for section in OVERRIDABLE_SECTIONS {
            for d in rules::keys_of(section) {
                if d.rule == Rule::Bound {
                    continue;
                }
                let (Some(current), Some(candidate)) =
                    (self.get(d), doc.get(section).and_then(|s| s.get(d.key)))
                else {
                    continue;
                };
                let Ok(candidate) = rules::canonical(d, candidate) else {
                    continue;
                };
                if matches!(
                    rules::compare(d.rule, current, &candidate),
                    Verdict::Stricter | Verdict::Either
                ) {
                    self.set(d, candidate, source.clone());
                }
            }
        }
        Ok(())
    }

    /// A unit's overrides: stricter (or free) values apply; a looser one is an error
    /// when `strict`, otherwise it is returned as not in force.
    fn apply_overrides(
        &mut self,
        overrides: &Overrides,
        source: &Source,
        strict: bool,
    ) -> Result<Vec<Shadowed>, Box<FloorError>> {
        let mut shadowed = Vec::new();
        for (d, value) in overrides.iter() {
            let Some(current) = self.get(d).cloned() else {
                continue;
            };
            match rules::compare(d.rule, &current, value) {
                Verdict::Stricter | Verdict::Either => self.set(d, value.clone(), source.clone()),
                Verdict::Same => {}
                Verdict::Looser => {
                    let floor = self.source(&d.dotted());
                    if strict {
                        return Err(Box::new(FloorError {
                            key: d.dotted(),
                            value: value.clone(),
                            inherited: current,
                            source: floor,
                        }));
                    }
                    shadowed.push(Shadowed {
                        key: d.dotted(),
                        value: value.clone(),
                        in_force: current,
                        source: floor.to_string(),
                    });
                }
            }
        }
        Ok(shadowed)
    }

    /// Values a unit set explicitly must fit together with the rest.
    fn check_explicit(&self, overrides: &Overrides) -> Result<(), InvalidPolicy> {
        let min = self.num("account_password.min_length");
        let max = self.num("account_password.max_length");
        let len = self.num("generator.length");
        if overrides.get("account_password.max_length").is_some() {
            if max < min {
                return Err(InvalidPolicy::new(
                    "account_password.max_length",
                    format!(
                        "account_password.max_length {max} is below account_password.min_length {min}"
                    ),
                ));
            }
            if max < len {
                return Err(InvalidPolicy::new(
                    "account_password.max_length",
                    format!("account_password.max_length {max} is below generator.length {len}"),
                ));
            }
        }
        if overrides.get("generator.length").is_some() && (len < min || len > max) {
            return Err(InvalidPolicy::new(
                "generator.length",
                format!(
                    "generator.length {len} must lie within account_password.min_length..=max_length ({min}..={max})"
                ),
            ));
        }
        if overrides.get("generator.classes").is_some() {
            let generated = self.set_of("generator.classes");
            let missing: Vec<String> = self
                .set_of("account_password.required_classes")
                .difference(&generated)
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(InvalidPolicy::new(
                    "generator.classes",
                    format!(
                        "generator.classes must include {}, which account_password.required_classes requires",
                        missing.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Raises what has to follow a stricter value: max_length ≥ min_length, the
    /// generator's length within min..=max, its classes ⊇ the required classes.
    fn normalize(&mut self) {
        let adjusted = |m: &Merge, k: &'static str| Source::Adjusted {
            key: k,
            from: Box::new(m.source(k)),
        };
        let min = self.num("account_password.min_length");
        if self.num("account_password.max_length") < min {
            let s = adjusted(self, "account_password.min_length");
            self.set(key("account_password.max_length"), Value::from(min), s);
        }
        if self.num("generator.length") < min {
            let s = adjusted(self, "account_password.min_length");
            self.set(key("generator.length"), Value::from(min), s);
        }
        let len = self.num("generator.length");
        if self.num("account_password.max_length") < len {
            let s = adjusted(self, "generator.length");
            self.set(key("account_password.max_length"), Value::from(len), s);
        }
        let required = self.set_of("account_password.required_classes");
        let generated = self.set_of("generator.classes");
        if !required.is_subset(&generated) {
            let all: Vec<Value> = generated
                .union(&required)
                .map(|c| Value::from(c.as_str()))
                .collect();
            let d = key("generator.classes");
            let value = rules::canonical(d, &Value::from(all)).unwrap_or(Value::Null);
            if !value.is_null() {
                let s = adjusted(self, "account_password.required_classes");
                self.set(d, value, s);
            }
        }
    }

    fn finish(self) -> Result<(Policy, BTreeMap<String, String>), ResolveError> {
        let policy: Policy = serde_json::from_value(Value::Object(self.doc))
            .map_err(|e| ResolveError::Internal(format!("merged policy: {e}")))?;
        policy.validate().map_err(|reason| InvalidPolicy {
            key: None,
            message: format!("the resulting policy is not consistent: {reason}"),
        })?;
        let sources = self
            .sources
            .into_iter()
            .map(|(k, s)| (k, s.to_string()))
            .collect();
        Ok((policy, sources))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::CharClass;

    fn presets() -> PolicySet {
        PolicySet::load(None).unwrap()
    }

    fn base() -> Policy {
        presets().get("district-default").unwrap().clone()
    }

    fn layer(id: &str, preset: Option<&str>, overrides: Value) -> UnitSettings {
        UnitSettings {
            unit_id: id.into(),
            unit_name: format!("单位{id}"),
            preset: preset.map(str::to_string),
            overrides: Overrides::parse(overrides.as_object().unwrap()).unwrap(),
            updated_at: 0,
            updated_by: None,
        }
    }

    fn run(layers: &[UnitSettings], target: &str, strict: bool) -> Result<Resolved, ResolveError> {
        resolve(&base(), &presets(), layers, target, strict)
    }

    #[test]
    fn no_settings_is_the_configured_preset() {
        let r = run(&[], "x", false).unwrap();
        assert_eq!(r.policy, base());
        assert!(r.sources.values().all(|s| s == "preset:district-default"));
        assert_eq!(
            r.sources.len(),
            3 + rules::KEYS.len(),
            "meta has three keys"
        );
    }

    #[test]
    fn values_flow_down_and_children_tighten() {
        let layers = [
            layer(
                "r",
                None,
                json!({ "account_password": { "min_length": 14 }, "rotation": { "max_age_days_core": 60 } }),
            ),
            layer(
                "a",
                None,
                json!({ "account_password": { "min_length": 16, "min_score": 4 } }),
            ),
        ];
        // A grandchild without settings of its own.
        let r = run(&layers, "g", false).unwrap();
        assert_eq!(r.policy.account_password.min_length, 16);
        assert_eq!(r.policy.account_password.min_score, 4);
        assert_eq!(r.policy.rotation.max_age_days_core, 60);
        assert_eq!(r.policy.rotation.max_age_days_general, 365);
        assert_eq!(r.sources["account_password.min_length"], "unit:a (单位a)");
        assert_eq!(r.sources["rotation.max_age_days_core"], "unit:r (单位r)");
        assert_eq!(
            r.sources["rotation.max_age_days_general"],
            "preset:district-default"
        );
        assert_eq!(r.sources["lockout.max_failures"], "preset:district-default");
        // The same value again is no new source: the floor stays where it was set.
        let layers = [
            layer(
                "r",
                None,
                json!({ "account_password": { "min_length": 14 } }),
            ),
            layer(
                "a",
                None,
                json!({ "account_password": { "min_length": 14 } }),
            ),
        ];
        let r = run(&layers, "a", true).unwrap();
        assert_eq!(r.sources["account_password.min_length"], "unit:r (单位r)");
    }

    #[test]
    fn loosening_a_floor_is_refused_when_saving_and_ignored_when_reading() {
        let layers = [
            layer(
                "r",
                None,
                json!({ "rotation": { "max_age_days_core": 60 } }),
            ),
            layer(
                "a",
                None,
                json!({ "rotation": { "max_age_days_core": 90 }, "account_password": { "history_depth": 12 } }),
            ),
        ];
        let Err(ResolveError::Floor(e)) = run(&layers, "a", true) else {
            panic!("floor not enforced")
        };
        assert_eq!(e.key, "rotation.max_age_days_core");
        assert_eq!(e.value, json!(90));
        assert_eq!(e.inherited, json!(60));
        assert_eq!(e.source.unit_id(), Some("r"));
        // Reading (the parent tightened after the child saved): the floor wins.
        let r = run(&layers, "a", false).unwrap();
        assert_eq!(r.policy.rotation.max_age_days_core, 60);
        assert_eq!(r.policy.account_password.history_depth, 12);
        assert_eq!(
            r.shadowed,
            vec![Shadowed {
                key: "rotation.max_age_days_core".into(),
                value: json!(90),
                in_force: json!(60),
                source: "unit:r (单位r)".into()
            }]
        );
        // Below the configured preset, too.
        let layers = [layer(
            "a",
            None,
            json!({ "account_password": { "required_classes": ["lower"] } }),
        )];
        let Err(ResolveError::Floor(e)) = run(&layers, "a", true) else {
            panic!("floor not enforced")
        };
        assert_eq!(e.source, Source::Configured("district-default".into()));
        let layers = [layer(
            "a",
            None,
            json!({ "account_password": { "forbid_unit_reuse": false } }),
        )];
        assert!(matches!(
            run(&layers, "a", true),
            Err(ResolveError::Floor(_))
        ));
    }

    #[test]
    fn a_chosen_preset_applies_only_where_stricter() {
        let layers = [layer("a", Some("nist-800-63b"), json!({}))];
        let r = run(&layers, "a", true).unwrap();
        let ap = &r.policy.account_password;
        assert_eq!(ap.min_length, 15, "nist is longer");
        assert_eq!(
            ap.required_classes.len(),
            4,
            "nist requires no classes: looser, ignored"
        );
        assert_eq!(
            r.policy.rotation.max_age_days_core, 90,
            "nist's ten years is looser"
        );
        assert_eq!(r.policy.generator.length, 24);
        assert_eq!(
            r.sources["account_password.min_length"],
            "unit:a preset:nist-800-63b"
        );
        assert_eq!(r.sources["generator.length"], "unit:a preset:nist-800-63b");
        assert_eq!(
            r.sources["rotation.max_age_days_core"],
            "preset:district-default"
        );
        assert_eq!(
            r.policy.lockout,
            base().lockout,
            "login sections stay global"
        );
        // Overrides of the same unit are checked against its preset too.
        let layers = [layer(
            "a",
            Some("mlps-level3"),
            json!({ "rotation": { "max_age_days_general": 365 } }),
        )];
        let Err(ResolveError::Floor(e)) = run(&layers, "a", true) else {
            panic!("own preset is a floor for own overrides")
        };
        assert_eq!(e.inherited, json!(180));
        let layers = [layer("a", Some("no-such"), json!({}))];
        assert!(matches!(
            run(&layers, "a", true),
            Err(ResolveError::Invalid(_))
        ));
        // A preset that disappeared from disk is skipped when reading.
        assert_eq!(run(&layers, "a", false).unwrap().policy, base());
    }

    #[test]
    fn stricter_min_length_raises_the_generator_and_the_bound() {
        let layers = [layer(
            "a",
            None,
            json!({ "account_password": { "min_length": 200, "max_length": 200 } }),
        )];
        let r = run(&layers, "a", true).unwrap();
        assert_eq!(r.policy.generator.length, 200);
        assert_eq!(
            r.sources["generator.length"],
            "unit:a (单位a); raised to match account_password.min_length"
        );
        // Without an explicit bound the bound follows.
        let layers = [layer(
            "a",
            None,
            json!({ "generator": { "length": 300 }, "account_password": { "min_length": 256 } }),
        )];
        let r = run(&layers, "a", false).unwrap();
        assert_eq!(r.policy.account_password.max_length, 300);
        // Explicit values that do not fit are refused when saving.
        let layers = [layer(
            "a",
            None,
            json!({ "account_password": { "min_length": 24, "max_length": 20 } }),
        )];
        let Err(ResolveError::Invalid(e)) = run(&layers, "a", true) else {
            panic!("max below min accepted")
        };
        assert_eq!(e.key.as_deref(), Some("account_password.max_length"));
        let layers = [layer(
            "a",
            None,
            json!({ "account_password": { "max_length": 16 } }),
        )];
        assert!(
            matches!(run(&layers, "a", true), Err(ResolveError::Invalid(_))),
            "below generator.length 20"
        );
        let layers = [layer(
            "a",
            None,
            json!({ "account_password": { "max_length": 64 } }),
        )];
        assert_eq!(
            run(&layers, "a", true)
                .unwrap()
                .policy
                .account_password
                .max_length,
            64
        );
    }

    #[test]
    fn required_classes_widen_the_generator() {
        let mut b = base();
        b.account_password.required_classes = vec![];
        b.generator.classes = vec![CharClass::Lower, CharClass::Upper, CharClass::Digit];
        let layers = [layer(
            "a",
            None,
            json!({ "account_password": { "required_classes": ["symbol"] } }),
        )];
        let r = resolve(&b, &presets(), &layers, "a", true).unwrap();
        assert_eq!(r.policy.generator.classes, CharClass::ALL.to_vec());
        assert!(
            r.sources["generator.classes"]
                .contains("raised to match account_password.required_classes")
        );
        // An explicit generator set that leaves a required class out is refused.
        let layers = [layer(
            "a",
            None,
            json!({
                "account_password": { "required_classes": ["lower", "upper", "digit", "symbol"] },
                "generator": { "classes": ["lower", "upper", "digit"] }
            }),
        )];
        let Err(ResolveError::Invalid(e)) = resolve(&b, &presets(), &layers, "a", true) else {
            panic!("generator without a required class accepted")
        };
        assert!(e.message.contains("symbol"), "{}", e.message);
    }

    #[test]
    fn keys_named_here_are_in_the_table() {
        for k in [
            "account_password.min_length",
            "account_password.max_length",
            "account_password.required_classes",
            "generator.length",
            "generator.classes",
        ] {
            assert!(rules::find_dotted(k).is_some(), "{k}");
        }
    }

    #[test]
    fn free_keys_go_either_way() {
        let layers = [layer(
            "a",
            None,
            json!({ "generator": { "exclude_ambiguous": false } }),
        )];
        let r = run(&layers, "a", true).unwrap();
        assert!(!r.policy.generator.exclude_ambiguous);
        assert_eq!(r.sources["generator.exclude_ambiguous"], "unit:a (单位a)");
    }
}
