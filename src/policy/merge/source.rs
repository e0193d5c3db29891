//! Where a value in force came from, tracked per key while merging.

use std::fmt;

use crate::ids::UnitId;

/// Where a value in force came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The preset configured for the whole service (`policy = …`).
    Configured(String),
    /// A preset a unit chose.
    UnitPreset { unit_id: UnitId, preset: String },
    /// A unit's own override.
    Unit { unit_id: UnitId, unit_name: String },
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
            Source::UnitPreset { unit_id, .. } | Source::Unit { unit_id, .. } => {
                Some(unit_id.as_str())
            }
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
