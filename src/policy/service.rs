//! Reading, setting and clearing a unit's own policy settings.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::effective::{EffectivePolicy, resolve_stored};
use super::error::{UnitPolicyError, UnitPolicyResult};
use super::merge::{self, ResolveError, Resolved, Shadowed, UnitSettings};
use super::overrides::{InvalidPolicy, Overrides};
use super::store;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{AuthContext, Permission};
use crate::error::InternalError;
use crate::ids::{UnitId, UserId};
use crate::tenancy::Unit;

/// A unit's own settings, as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnPolicy {
    /// A preset the unit chose (applies only where stricter than what it inherits).
    pub preset: Option<String>,
    /// `{section: {key: value}}`.
    #[schema(value_type = Object)]
    pub overrides: Value,
    /// Unix milliseconds UTC.
    pub updated_at: i64,
    pub updated_by: Option<UserId>,
}

impl From<&UnitSettings> for OwnPolicy {
    fn from(s: &UnitSettings) -> Self {
        OwnPolicy {
            preset: s.preset.clone(),
            overrides: s.overrides.to_json(),
            updated_at: s.updated_at,
            updated_by: s.updated_by.clone(),
        }
    }
}

/// The policy in force for a unit, where each value came from, and the unit's own
/// settings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitPolicy {
    #[serde(flatten)]
    pub effective: EffectivePolicy,
    /// The unit's own settings, or null when it only inherits.
    pub own: Option<OwnPolicy>,
    /// Own overrides not in force because a unit above has since set a stricter value.
    pub shadowed: Vec<Shadowed>,
}

/// What a caller submits.
pub struct PolicyInput {
    pub preset: Option<String>,
    pub overrides: Map<String, Value>,
}

fn view(unit: &Unit, r: Resolved, own: Option<&UnitSettings>) -> UnitPolicy {
    UnitPolicy {
        effective: EffectivePolicy {
            unit_id: unit.id.clone(),
            policy: r.policy,
            sources: r.sources,
        },
        own: own.map(OwnPolicy::from),
        shadowed: r.shadowed,
    }
}

async fn read_view(state: &AppState, unit: &Unit) -> UnitPolicyResult<UnitPolicy> {
    let layers = store::chain(state.db.pool(), &unit.path).await?;
    let r = resolve_stored(state, unit, &layers)?;
    Ok(view(
        unit,
        r,
        layers.iter().find(|l| l.unit_id == unit.id.as_str()),
    ))
}

/// `GET /units/{id}/policy`.
pub async fn read(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: &UnitId,
) -> UnitPolicyResult<UnitPolicy> {
    let unit = crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::UnitsRead).await?;
    read_view(state, &unit).await
}

/// `PUT /units/{id}/policy`: replaces the unit's own settings after checking them
/// against the floors it inherits.
pub async fn update(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &UnitId,
    input: PolicyInput,
) -> UnitPolicyResult<UnitPolicy> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::PolicyWrite).await?;
    let overrides = Overrides::parse(&input.overrides).map_err(UnitPolicyError::Invalid)?;
    let preset = match input.preset.map(|p| p.trim().to_string()) {
        Some(p) if p.is_empty() => None,
        Some(p) => {
            state.policies.get(&p).map_err(|_| {
                UnitPolicyError::Invalid(InvalidPolicy::new(
                    "preset",
                    format!(
                        "unknown preset {p}; known presets: {}",
                        state.policies.names().collect::<Vec<_>>().join(", ")
                    ),
                ))
            })?;
            Some(p)
        }
        None => None,
    };
    let now = state.now();
    let settings = UnitSettings {
        unit_id: unit.id.clone(),
        unit_name: unit.name.clone(),
        preset,
        overrides,
        updated_at: now,
        updated_by: ctx.user_id().map(UserId::from),
    };
    let mut tx = state.db.begin_write().await?;
    let mut layers = store::chain(&mut *tx, &unit.path).await?;
    let previous = layers
        .iter()
        .position(|l| l.unit_id == settings.unit_id)
        .map(|i| layers.remove(i));
    layers.push(settings.clone());
    let resolved = merge::resolve(
        &state.policy,
        &state.policies,
        &layers,
        &settings.unit_id,
        true,
    )
    .map_err(|e| match e {
        ResolveError::Floor(f) => UnitPolicyError::Floor(f),
        ResolveError::Invalid(i) => UnitPolicyError::Invalid(i),
        ResolveError::Internal(m) => InternalError(m).into(),
    })?;
    store::upsert(&mut tx, &settings).await?;
    tx.audit_and_reevaluate(
        state,
        now,
        meta,
        Entry::by(ctx, &unit.id, "policy.update")
            .target("unit", &unit.id)
            .details(json!({
                "preset": settings.preset,
                "overrides": settings.overrides.to_json(),
                "previous": previous.as_ref().map(recorded),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(view(&unit, resolved, Some(&settings)))
}

/// A unit's own settings as the audit trail records them.
fn recorded(settings: &UnitSettings) -> Value {
    json!({ "preset": settings.preset, "overrides": settings.overrides.to_json() })
}

/// `DELETE /units/{id}/policy`: the unit goes back to inheriting.
pub async fn clear(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &UnitId,
) -> UnitPolicyResult<UnitPolicy> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::PolicyWrite).await?;
    let id = unit.id.clone();
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let previous = store::chain(&mut *tx, &unit.path)
        .await?
        .into_iter()
        .find(|l| l.unit_id == id);
    if !store::delete(&mut tx, &id).await? {
        return Err(UnitPolicyError::NoOwnSettings);
    }
    tx.audit_and_reevaluate(
        state,
        now,
        meta,
        Entry::by(ctx, &unit.id, "policy.clear")
            .target("unit", &unit.id)
            .details(json!({
                "previous": previous.as_ref().map(recorded),
            })),
    )
    .await?;
    tx.commit().await?;
    read_view(state, &unit).await
}
