//! Keeping the merged policy consistent: values a unit set explicitly must fit
//! together (checked when saving), and what has to follow a stricter value is raised
//! (the generator never produces passwords the rules refuse).

use serde_json::Value;

use super::document::{Merge, key};
use super::source::Source;
use crate::policy::overrides::{InvalidPolicy, Overrides};
use crate::policy::rules;

impl Merge {
    /// Values a unit set explicitly must fit together with the rest.
    pub(super) fn check_explicit(&self, overrides: &Overrides) -> Result<(), InvalidPolicy> {
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
    pub(super) fn normalize(&mut self) {
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
}
