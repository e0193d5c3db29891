//! Policy presets (`policies/*.toml`): the shipped ones are compiled in; a
//! `policies_dir` may add or override presets. A bad file fails start-up naming the
//! file, the key and the reason.
//!
//! Per unit: a unit inherits the policy of the units above it and may choose a preset
//! and override values of `account_password`, `rotation`, `generator`, `handover` and
//! `freshness` (content rules per platform, `freshness.rs`), each only
//! where stricter than what it inherits (`rules` says which way is stricter, `merge`
//! does the inheritance, `service` and `routes` serve `/units/{id}/policy`).

mod effective;
mod error;
mod freshness;
mod generator;
mod merge;
mod overrides;
mod preset;
mod recorded;
pub mod risk;
pub(crate) mod routes;
mod rules;
mod service;
mod store;
mod strength;
pub mod strength_note;

pub use effective::{EffectivePolicy, effective_policies, effective_policy};
pub use error::{UnitPolicyError, UnitPolicyResult};
pub use freshness::{ContentRule, FreshnessPolicy};
pub use generator::generate_password;
pub use merge::Shadowed;
pub use preset::{
    AccountPasswordPolicy, CharClass, GeneratorPolicy, HandoverPolicy, LockoutPolicy, MfaPolicy,
    Policy, PolicyCheckPolicy, PolicyError, PolicySet, RectificationPolicy, RotationPolicy,
    SeparationPolicy, SessionPolicy, UserPasswordPolicy,
};
pub use recorded::{ClassSet, SealedStrength, Shortfall};
pub use routes::router;
pub use service::{OwnPolicy, UnitPolicy};
pub use strength::{Rules, StrengthReport, check_strength};
pub use strength_note::StrengthNote;
