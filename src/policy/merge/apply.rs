//! Applying one unit's layer: its chosen preset and its overrides, each value only
//! where at least as strict as the one in force (`rules::compare`).

use super::document::{Merge, to_doc};
use super::source::Source;
use super::{FloorError, ResolveError, Shadowed};
use crate::policy::Policy;
use crate::policy::overrides::Overrides;
use crate::policy::rules::{self, OVERRIDABLE_SECTIONS, Rule, Verdict};

impl Merge {
    /// A unit's preset: each value that is at least as strict as the one in force
    /// (free keys as they are; bounds stay).
    pub(super) fn apply_preset(
        &mut self,
        preset: &Policy,
        source: &Source,
    ) -> Result<(), ResolveError> {
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
    pub(super) fn apply_overrides(
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
}
