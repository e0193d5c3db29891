//! Password strength: length bounds, required character classes, and a zxcvbn score
//! with context words, so a password made of the user's, unit's or account's own
//! names scores low.

use serde::Serialize;

use super::preset::{AccountPasswordPolicy, CharClass, UserPasswordPolicy};
use super::strength_note::{StrengthNote, english};

/// The rules a password is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub min_length: usize,
    pub max_length: usize,
    pub min_score: u8,
    pub required_classes: &'a [CharClass],
}

impl<'a> From<&'a UserPasswordPolicy> for Rules<'a> {
    fn from(p: &'a UserPasswordPolicy) -> Self {
        Rules {
            min_length: p.min_length,
            max_length: p.max_length,
            min_score: p.min_score,
            required_classes: &[],
        }
    }
}

impl<'a> From<&'a AccountPasswordPolicy> for Rules<'a> {
    fn from(p: &'a AccountPasswordPolicy) -> Self {
        Rules {
            min_length: p.min_length,
            max_length: p.max_length,
            min_score: p.min_score,
            required_classes: &p.required_classes,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StrengthReport {
    pub acceptable: bool,
    pub score: u8,
    pub min_score: u8,
    /// Human-readable reasons and suggestions (never the password itself).
    pub feedback: Vec<String>,
    /// The same reasons in no language, for the console to word (not in the API).
    #[serde(skip)]
    pub notes: Vec<StrengthNote>,
}

pub fn check_strength<'a>(
    rules: impl Into<Rules<'a>>,
    password: &str,
    context: &[&str],
) -> StrengthReport {
    let rules = rules.into();
    let chars = password.chars().count();
    let mut notes = Vec::new();
    if chars < rules.min_length {
        notes.push(StrengthNote::TooShort {
            min: rules.min_length,
            has: chars,
        });
    }
    if chars > rules.max_length {
        notes.push(StrengthNote::TooLong {
            max: rules.max_length,
        });
    }
    for class in rules.required_classes {
        if !password.chars().any(|c| CharClass::of(c) == Some(*class)) {
            notes.push(StrengthNote::MissingClass(*class));
        }
    }
    // zxcvbn cost grows with length; beyond the maximum there is nothing to score.
    let score = if chars == 0 || chars > rules.max_length {
        0
    } else {
        let context: Vec<&str> = context
            .iter()
            .copied()
            .filter(|w| !w.trim().is_empty())
            .collect();
        let entropy = zxcvbn::zxcvbn(password, &context);
        let score = u8::from(entropy.score());
        if score < rules.min_score {
            if let Some(f) = entropy.feedback() {
                if let Some(w) = f.warning() {
                    notes.push(StrengthNote::Warning(w));
                }
                notes.extend(f.suggestions().iter().map(|s| StrengthNote::Suggestion(*s)));
            }
            notes.push(StrengthNote::ScoreBelow {
                score,
                min: rules.min_score,
            });
        }
        score
    };
    StrengthReport {
        acceptable: notes.is_empty(),
        score,
        min_score: rules.min_score,
        feedback: english(&notes),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserPasswordPolicy {
        UserPasswordPolicy {
            min_length: 12,
            max_length: 128,
            min_score: 3,
            max_age_days: 0,
        }
    }

    #[test]
    fn weak_short_and_contextual_passwords_fail() {
        assert!(!check_strength(&user(), "short", &[]).acceptable);
        assert!(!check_strength(&user(), "password1234", &[]).acceptable);
        let r = check_strength(&user(), "zhangwei2024!", &["zhangwei"]);
        assert!(!r.acceptable, "{r:?}");
        assert!(!r.feedback.is_empty());
    }

    #[test]
    fn strong_password_passes() {
        let r = check_strength(&user(), "Violet-Harbor-Quartz-91", &[]);
        assert!(r.acceptable, "{r:?}");
        assert!(r.score >= 3);
    }

    #[test]
    fn too_long_rejected_without_scoring() {
        let r = check_strength(&user(), &"a".repeat(200), &[]);
        assert!(!r.acceptable);
        assert_eq!(r.score, 0);
    }

    #[test]
    fn required_classes_are_named() {
        let rules = Rules {
            min_length: 8,
            max_length: 64,
            min_score: 0,
            required_classes: &CharClass::ALL,
        };
        let r = check_strength(rules, "violetharborquartz", &[]);
        assert!(!r.acceptable);
        assert!(r.feedback.iter().any(|f| f.contains("uppercase")), "{r:?}");
        assert!(r.feedback.iter().any(|f| f.contains("digit")));
        assert!(
            r.notes
                .contains(&StrengthNote::MissingClass(CharClass::Digit))
        );
        assert_eq!(r.feedback, english(&r.notes));
        assert!(check_strength(rules, "Violet-Harbor-7", &[]).acceptable);
    }
}
