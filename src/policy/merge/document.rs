//! The policy being built: the merged document (`section → key → value`) and the
//! source of each key, with typed reads and the one way to set a value.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::source::Source;
use super::{InvalidPolicy, ResolveError};
use crate::policy::Policy;
use crate::policy::rules::{self, KeyDef};

/// The policy being built, as JSON (`section → key → value`), and a source per key.
pub(super) struct Merge {
    doc: Map<String, Value>,
    sources: BTreeMap<String, Source>,
}

pub(super) fn to_doc(p: &Policy) -> Result<Map<String, Value>, ResolveError> {
    match serde_json::to_value(p) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ResolveError::Internal(
            "a policy is not a JSON object".into(),
        )),
        Err(e) => Err(ResolveError::Internal(format!("policy to JSON: {e}"))),
    }
}

pub(super) fn key(dotted: &'static str) -> &'static KeyDef {
    // The keys named in this file are in the table (tested).
    rules::find_dotted(dotted).unwrap_or(&rules::KEYS[0])
}

impl Merge {
    pub(super) fn new(base: &Policy) -> Result<Merge, ResolveError> {
        let doc = to_doc(base)?;
        let source = Source::Configured(base.meta.name.clone());
        let mut sources = BTreeMap::new();
        for (section, body) in &doc {
            if let Value::Object(inner) = body {
                for (k, v) in inner {
                    // A nested table (`[risk.weights]`) is sourced key by key.
                    match v {
                        Value::Object(table) => {
                            for sub in table.keys() {
                                sources.insert(format!("{section}.{k}.{sub}"), source.clone());
                            }
                        }
                        _ => {
                            sources.insert(format!("{section}.{k}"), source.clone());
                        }
                    }
                }
            }
        }
        Ok(Merge { doc, sources })
    }

    pub(super) fn get(&self, d: &KeyDef) -> Option<&Value> {
        self.doc.get(d.section)?.get(d.key)
    }

    pub(super) fn num(&self, dotted: &'static str) -> u64 {
        self.get(key(dotted)).and_then(Value::as_u64).unwrap_or(0)
    }

    pub(super) fn set_of(&self, dotted: &'static str) -> BTreeSet<String> {
        self.get(key(dotted))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn source(&self, dotted: &str) -> Source {
        self.sources
            .get(dotted)
            .cloned()
            .unwrap_or_else(|| Source::Configured(String::new()))
    }

    pub(super) fn set(&mut self, d: &KeyDef, value: Value, source: Source) {
        if let Some(Value::Object(section)) = self.doc.get_mut(d.section) {
            section.insert(d.key.to_string(), value);
            self.sources.insert(d.dotted(), source);
        }
    }

    pub(super) fn finish(self) -> Result<(Policy, BTreeMap<String, String>), ResolveError> {
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
