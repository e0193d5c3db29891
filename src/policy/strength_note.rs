//! One reason or suggestion of a password check, in no language: the API says it in
//! English (`Display`, the `feedback` strings), the console in its reader's language
//! from its own catalogue. zxcvbn's warnings and suggestions are kept as its enum
//! values; the policy's own sentences keep their numbers.

use std::fmt;

pub use zxcvbn::feedback::{Suggestion, Warning};

use super::preset::CharClass;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrengthNote {
    /// Shorter than the policy's minimum.
    TooShort { min: usize, has: usize },
    /// Longer than the policy's maximum.
    TooLong { max: usize },
    /// A required character class is missing.
    MissingClass(CharClass),
    /// zxcvbn's warning (what is wrong).
    Warning(Warning),
    /// One of zxcvbn's suggestions.
    Suggestion(Suggestion),
    /// The zxcvbn score is below the policy's.
    ScoreBelow { score: u8, min: u8 },
    /// The account used it within its last `depth` versions (vault check).
    ReusedInHistory { depth: u32 },
    /// Another account of the unit uses it now (vault check).
    ReusedInUnit,
}

impl fmt::Display for StrengthNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrengthNote::TooShort { min, has } => {
                write!(f, "use at least {min} characters (this one has {has})")
            }
            StrengthNote::TooLong { max } => write!(f, "use at most {max} characters"),
            StrengthNote::MissingClass(class) => write!(f, "include {}", class.label()),
            StrengthNote::Warning(w) => w.fmt(f),
            StrengthNote::Suggestion(s) => s.fmt(f),
            StrengthNote::ScoreBelow { score, min } => {
                write!(f, "strength score {score} is below the required {min}")
            }
            StrengthNote::ReusedInHistory { depth } => write!(
                f,
                "this password was used for this account within its last {depth} versions"
            ),
            StrengthNote::ReusedInUnit => {
                f.write_str("another account of this unit already uses this password")
            }
        }
    }
}

/// The API's sentences for `notes`, in order.
pub fn english(notes: &[StrengthNote]) -> Vec<String> {
    notes.iter().map(ToString::to_string).collect()
}
