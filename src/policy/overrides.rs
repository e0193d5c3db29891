//! A unit's own overrides: `{section: {key: value}}`, checked against the key table
//! (known, overridable, right type and range) and kept in canonical form.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::rules::{self, GLOBAL_SECTIONS, KeyDef, OVERRIDABLE_SECTIONS};

/// Why a submitted policy is not acceptable; `key` names the offending key or section.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidPolicy {
    pub key: Option<String>,
    pub message: String,
}

impl InvalidPolicy {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidPolicy {
            key: Some(key.into()),
            message: message.into(),
        }
    }
}

/// Validated overrides, dotted key → canonical value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    values: BTreeMap<String, (&'static KeyDef, Value)>,
}

impl PartialEq for Overrides {
    fn eq(&self, other: &Self) -> bool {
        self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|((ka, (_, va)), (kb, (_, vb)))| ka == kb && va == vb)
    }
}

impl Overrides {
    /// Checks a submitted `{section: {key: value}}` object.
    pub fn parse(input: &Map<String, Value>) -> Result<Overrides, InvalidPolicy> {
        let mut values = BTreeMap::new();
        for (section, body) in input {
            if GLOBAL_SECTIONS.contains(&section.as_str()) {
                return Err(InvalidPolicy::new(
                    section,
                    format!(
                        "section {section} applies to every unit alike (logging in to credgov, \
                         rectification deadlines, risk weights); it comes from the configured \
                         preset only. Units may override {}",
                        OVERRIDABLE_SECTIONS.join(", ")
                    ),
                ));
            }
            if !OVERRIDABLE_SECTIONS.contains(&section.as_str()) {
                return Err(InvalidPolicy::new(
                    section,
                    format!(
                        "unknown policy section {section}; units may override {}",
                        OVERRIDABLE_SECTIONS.join(", ")
                    ),
                ));
            }
            let Some(body) = body.as_object() else {
                return Err(InvalidPolicy::new(
                    section,
                    format!("section {section} must be an object of key → value, not {body}"),
                ));
            };
            for (key, value) in body {
                let def = rules::find(section, key).ok_or_else(|| {
                    InvalidPolicy::new(
                        format!("{section}.{key}"),
                        format!(
                            "unknown policy key {section}.{key}; {section} has {}",
                            rules::keys_of(section)
                                .map(|d| d.key)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
                let value = rules::canonical(def, value)
                    .map_err(|m| InvalidPolicy::new(def.dotted(), m))?;
                values.insert(def.dotted(), (def, value));
            }
        }
        Ok(Overrides { values })
    }

    /// Reads the stored form. Entries that are no longer valid (a key removed in a
    /// later version, a value edited by hand) are left out and logged: they could only
    /// ever tighten, so leaving them out never loosens anything set above.
    pub fn from_stored(unit_id: &str, text: &str) -> Overrides {
        let parsed: Map<String, Value> = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(unit_id, error = %e, "unreadable stored policy overrides ignored");
                return Overrides::default();
            }
        };
        let mut values = BTreeMap::new();
        for (section, body) in &parsed {
            let Some(body) = body.as_object() else {
                continue;
            };
            for (key, value) in body {
                let one = Map::from_iter([(
                    section.clone(),
                    Value::Object(Map::from_iter([(key.clone(), value.clone())])),
                )]);
                match Overrides::parse(&one) {
                    Ok(o) => values.extend(o.values),
                    Err(e) => {
                        tracing::warn!(unit_id, key = %format!("{section}.{key}"), reason = %e.message,
                            "stored policy override ignored");
                    }
                }
            }
        }
        Overrides { values }
    }

    /// `{section: {key: value}}`, for storage, the API and the audit trail.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        for (def, value) in self.values.values() {
            if let Value::Object(section) = out
                .entry(def.section)
                .or_insert_with(|| Value::Object(Map::new()))
            {
                section.insert(def.key.to_string(), value.clone());
            }
        }
        Value::Object(out)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static KeyDef, &Value)> {
        self.values.values().map(|(d, v)| (*d, v))
    }

    pub fn get(&self, dotted: &str) -> Option<&Value> {
        self.values.get(dotted).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<Overrides, InvalidPolicy> {
        Overrides::parse(v.as_object().unwrap())
    }

    #[test]
    fn accepts_known_keys_in_canonical_form() {
        let o = parse(json!({
            "account_password": { "min_length": 16, "required_classes": ["digit", "lower"] },
            "rotation": { "max_age_days_core": 60 },
            "generator": {}
        }))
        .unwrap();
        assert_eq!(o.get("account_password.min_length"), Some(&json!(16)));
        assert_eq!(
            o.to_json(),
            json!({
                "account_password": { "min_length": 16, "required_classes": ["lower", "digit"] },
                "rotation": { "max_age_days_core": 60 }
            })
        );
        let text = o.to_json().to_string();
        assert_eq!(Overrides::from_stored("u", &text), o);
    }

    #[test]
    fn rejects_unknown_global_and_badly_typed_entries() {
        let e = parse(json!({ "lockout": { "max_failures": 3 } })).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("lockout"));
        assert!(e.message.contains("configured preset"), "{}", e.message);
        let e = parse(json!({ "risks": {} })).unwrap_err();
        assert!(
            e.message.contains("unknown policy section risks"),
            "{}",
            e.message
        );
        let e = parse(json!({ "rotation": { "max_age_days_secret": 3 } })).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("rotation.max_age_days_secret"));
        assert!(e.message.contains("max_age_days_core"), "{}", e.message);
        let e = parse(json!({ "rotation": 3 })).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("rotation"));
        let e = parse(json!({ "generator": { "length": "long" } })).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("generator.length"));
    }

    #[test]
    fn stored_garbage_is_skipped_entry_by_entry() {
        let o = Overrides::from_stored(
            "u",
            r#"{"account_password":{"min_length":16,"bogus":1},"lockout":{"max_failures":1},"rotation":7}"#,
        );
        assert_eq!(
            o.to_json(),
            json!({ "account_password": { "min_length": 16 } })
        );
        assert!(Overrides::from_stored("u", "not json").is_empty());
    }
}
