//! Password strength: length bounds and a zxcvbn score with context words, so a
//! password made of the user's or the unit's own names scores low.

use serde::Serialize;

use super::UserPasswordPolicy;

#[derive(Debug, Clone, Serialize)]
pub struct StrengthReport {
    pub acceptable: bool,
    pub score: u8,
    pub min_score: u8,
    /// Human-readable reasons and suggestions (never the password itself).
    pub feedback: Vec<String>,
}

pub fn check_strength(
    policy: &UserPasswordPolicy,
    password: &str,
    context: &[&str],
) -> StrengthReport {
    let chars = password.chars().count();
    let mut feedback = Vec::new();
    if chars < policy.min_length {
        feedback.push(format!(
            "use at least {} characters (this one has {chars})",
            policy.min_length
        ));
    }
    if chars > policy.max_length {
        feedback.push(format!("use at most {} characters", policy.max_length));
    }
    // zxcvbn cost grows with length; beyond the maximum there is nothing to score.
    let score = if chars == 0 || chars > policy.max_length {
        0
    } else {
        let entropy = zxcvbn::zxcvbn(password, context);
        let score = u8::from(entropy.score());
        if score < policy.min_score {
            if let Some(f) = entropy.feedback() {
                if let Some(w) = f.warning() {
                    feedback.push(w.to_string());
                }
                feedback.extend(f.suggestions().iter().map(|s| s.to_string()));
            }
            feedback.push(format!(
                "strength score {score} is below the required {}",
                policy.min_score
            ));
        }
        score
    };
    StrengthReport {
        acceptable: feedback.is_empty(),
        score,
        min_score: policy.min_score,
        feedback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> UserPasswordPolicy {
        UserPasswordPolicy {
            min_length: 12,
            max_length: 128,
            min_score: 3,
        }
    }

    #[test]
    fn weak_short_and_contextual_passwords_fail() {
        assert!(!check_strength(&policy(), "short", &[]).acceptable);
        assert!(!check_strength(&policy(), "password1234", &[]).acceptable);
        let r = check_strength(&policy(), "zhangwei2024!", &["zhangwei"]);
        assert!(!r.acceptable, "{r:?}");
        assert!(!r.feedback.is_empty());
    }

    #[test]
    fn strong_password_passes() {
        let r = check_strength(&policy(), "Violet-Harbor-Quartz-91", &[]);
        assert!(r.acceptable, "{r:?}");
        assert!(r.score >= 3);
    }

    #[test]
    fn too_long_rejected_without_scoring() {
        let long = "a".repeat(200);
        let r = check_strength(&policy(), &long, &[]);
        assert!(!r.acceptable);
        assert_eq!(r.score, 0);
    }
}
