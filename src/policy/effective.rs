//! The policy in force for a unit: the configured preset, then the settings of every
//! unit from the root down to this one, each only where stricter (see `merge`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::Policy;
use super::merge::{self, ResolveError, Resolved, UnitSettings};
use super::store;
use crate::app::AppState;
use crate::error::{AppError, AppResult, InternalError};
use crate::tenancy::Unit;

/// The merged policy and, for every dotted key, where its value came from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EffectivePolicy {
    pub unit_id: String,
    #[schema(value_type = Object)]
    pub policy: Policy,
    /// `key → source`: `preset:<name>` (the configured preset), `unit:<id> (<name>)`
    /// (a unit's override) or `unit:<id> preset:<name>` (a preset a unit chose).
    pub sources: BTreeMap<String, String>,
}

pub async fn effective_policy(state: &AppState, unit: &Unit) -> AppResult<EffectivePolicy> {
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
        .map(|s| (s.unit_id.clone(), s))
        .collect();
    let mut by_layers: HashMap<Vec<String>, Policy> = HashMap::new();
    let mut out = HashMap::new();
    for (unit_id, path) in units {
        let layers: Vec<UnitSettings> = store::path_ids(path)
            .into_iter()
            .filter_map(|id| settings.get(id).cloned())
            .collect();
        let key: Vec<String> = layers.iter().map(|l| l.unit_id.clone()).collect();
        let policy = match by_layers.get(&key) {
            Some(p) => p.clone(),
            None => {
                let p = merge::resolve(&state.policy, &state.policies, &layers, unit_id, false)
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
) -> AppResult<Resolved> {
    merge::resolve(&state.policy, &state.policies, layers, &unit.id, false).map_err(|e| match e {
        // Reading never fails on a floor; an inconsistency here is a bug.
        ResolveError::Floor(f) => AppError::internal(format!("floor while reading: {f:?}")),
        ResolveError::Invalid(i) => AppError::internal(format!(
            "stored policy of unit {} does not merge: {}",
            unit.id, i.message
        )),
        ResolveError::Internal(m) => AppError::internal(m),
    })
}
