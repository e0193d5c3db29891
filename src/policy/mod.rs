//! Policy presets (`policies/*.toml`): the shipped ones are compiled in; a
//! `policies_dir` may add or override presets. A bad file fails start-up naming the
//! file, the key and the reason.

mod generator;
mod preset;
mod strength;

pub use generator::generate_password;
pub use preset::{
    AccountPasswordPolicy, CharClass, GeneratorPolicy, LockoutPolicy, MfaPolicy, Policy,
    PolicyError, PolicySet, RotationPolicy, SessionPolicy, UserPasswordPolicy,
};
pub use strength::{Rules, StrengthReport, check_strength};
