//! The policy in force for a unit: the configured preset, then the settings of every
//! unit from the root down to this one, each only where stricter (see `merge`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::Policy;
use super::merge::{self, ResolveError, Resolved, UnitSettings};
use super::store;
use crate::app::AppState;
use crate::error::InternalError;
use crate::ids::UnitId;
use crate::tenancy::Unit;

/// The merged policy and, for every dotted key, where its value came from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EffectivePolicy {
    pub unit_id: UnitId,
    #[schema(value_type = Object)]
    pub policy: Policy,
    /// `key → source`: `preset:<name>` (the configured preset), `unit:<id> (<name>)`
    /// (a unit's override) or `unit:<id> preset:<name>` (a preset a unit chose).
    pub sources: BTreeMap<String, String>,
}

/// The policy in force for `unit`. Fails only for internal reasons (the database, a
/// stored setting that no longer merges), so every capability takes the error as it is.
pub async fn effective_policy(
    state: &AppState,
    unit: &Unit,
) -> Result<EffectivePolicy, InternalError> {
    let layers = store::chain(state.db.pool(), &unit.path).await?;
    let r = resolve_stored(state, unit, &layers)?;
    Ok(EffectivePolicy {
        unit_id: unit.id.clone(),
        policy: r.policy,
        sources: r.sources,
    })
}

/// The policy in force for each of many units, given as `(unit id, materialised path)`:
/// every unit's own settings are read with one query through `db` (inside a
/// transaction, its uncommitted changes count), and units inheriting the same layers
/// share one merge. Keyed by unit id.
pub async fn effective_policies<'c, E>(
    state: &AppState,
    db: E,
    units: &[(String, String)],
) -> Result<HashMap<String, Policy>, InternalError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let settings: HashMap<String, UnitSettings> = store::all(db)
        .await?
        .into_iter()
        .map(|s| (s.unit_id.to_string(), s))
        .collect();
    let mut by_layers: HashMap<Vec<String>, Policy> = HashMap::new();
    let mut out = HashMap::new();
    for (unit_id, path) in units {
        let layers: Vec<UnitSettings> = store::path_ids(path)
            .into_iter()
            .filter_map(|id| settings.get(id).cloned())
            .collect();
        let key: Vec<String> = layers.iter().map(|l| l.unit_id.to_string()).collect();
        let policy = match by_layers.get(&key) {
            Some(p) => p.clone(),
            None => {
                let p = merge::resolve(
                    &state.policy,
                    &state.policies,
                    &layers,
                    &UnitId::new(unit_id.as_str()),
                    false,
                )
                .map_err(|e| {
                    InternalError::new(format!(
                        "stored policy of unit {unit_id} does not merge: {e:?}"
                    ))
                })?
                .policy;
                by_layers.insert(key, p.clone());
                p
            }
        };
        out.insert(unit_id.clone(), policy);
    }
    Ok(out)
}

/// Merges stored settings; values looser than a floor above are left out.
pub(super) fn resolve_stored(
    state: &AppState,
    unit: &Unit,
    layers: &[UnitSettings],
) -> Result<Resolved, InternalError> {
    let id = unit.id.clone();
    merge::resolve(&state.policy, &state.policies, layers, &id, false).map_err(|e| match e {
        // Reading never fails on a floor; an inconsistency here is a bug.
        ResolveError::Floor(f) => InternalError(format!("floor while reading: {f:?}")),
        ResolveError::Invalid(i) => InternalError(format!(
            "stored policy of unit {} does not merge: {}",
            unit.id, i.message
        )),
        ResolveError::Internal(m) => InternalError(m),
    })
}
