//! Policy presets (`policies/*.toml`): the shipped ones are compiled in; a
//! `policies_dir` may add or override presets. A bad file fails start-up naming the
//! file, the key and the reason.

mod preset;
mod strength;

pub use preset::{
    LockoutPolicy, MfaPolicy, Policy, PolicyError, PolicySet, SessionPolicy, UserPasswordPolicy,
};
pub use strength::{StrengthReport, check_strength};
