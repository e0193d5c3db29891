//! Inheritance down the unit tree, without I/O: the configured preset, then for each
//! unit from the root down to the target its chosen preset and its overrides, each
//! value taken only where at least as strict as what is in force (the floor set
//! above). After every unit the result is made consistent again (the generator never
//! produces passwords the rules refuse).

mod apply;
mod consistency;
mod document;
mod source;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use self::document::Merge;
pub use self::source::Source;
use super::overrides::{InvalidPolicy, Overrides};
use super::{Policy, PolicySet};
use crate::ids::{UnitId, UserId};

/// One unit's own settings (a `unit_policies` row).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSettings {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub preset: Option<String>,
    pub overrides: Overrides,
    pub updated_at: i64,
    pub updated_by: Option<UserId>,
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
    target_unit_id: &UnitId,
    strict: bool,
) -> Result<Resolved, ResolveError> {
    let mut m = Merge::new(base)?;
    let mut shadowed = Vec::new();
    for layer in layers {
        let is_target = &layer.unit_id == target_unit_id;
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
