//! What is recorded about a password when it is sealed — its zxcvbn score, the
//! character classes it contains and its length — and judging that record against a
//! policy, so a stored password can be re-checked after the policy tightens without
//! decrypting it (`weak_password` in daily inspection).

use super::preset::{AccountPasswordPolicy, CharClass};

/// A set of character classes, stored as a bit mask (1 lowercase, 2 uppercase,
/// 4 digit, 8 symbol).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassSet(u8);

impl ClassSet {
    fn bit(c: CharClass) -> u8 {
        match c {
            CharClass::Lower => 1,
            CharClass::Upper => 2,
            CharClass::Digit => 4,
            CharClass::Symbol => 8,
        }
    }

    /// The classes `password` contains.
    pub fn of(password: &str) -> ClassSet {
        ClassSet::from_iter(password.chars().filter_map(CharClass::of))
    }

    /// The stored mask (unknown bits are ignored).
    pub fn from_bits(bits: i64) -> ClassSet {
        ClassSet(u8::try_from(bits & 0b1111).unwrap_or(0))
    }

    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    pub fn contains(self, c: CharClass) -> bool {
        self.0 & ClassSet::bit(c) != 0
    }

    /// The classes of `required` this set lacks, in `required`'s order.
    pub fn missing(self, required: &[CharClass]) -> Vec<CharClass> {
        required
            .iter()
            .copied()
            .filter(|c| !self.contains(*c))
            .collect()
    }
}

impl FromIterator<CharClass> for ClassSet {
    fn from_iter<I: IntoIterator<Item = CharClass>>(iter: I) -> Self {
        ClassSet(iter.into_iter().fold(0, |m, c| m | ClassSet::bit(c)))
    }
}

/// What is stored beside a sealed password: enough to judge it later, nothing that
/// helps guess it beyond what the ciphertext's length already shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedStrength {
    /// zxcvbn score 0–4, with the unit, account, platform and login name as context.
    pub score: u8,
    pub classes: ClassSet,
    /// Length in characters.
    pub length: u32,
}

/// How a recorded password falls short of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub score_too_low: bool,
    pub missing_classes: Vec<CharClass>,
    pub too_short: bool,
}

impl SealedStrength {
    /// The record of `password`, whose zxcvbn score the caller computed.
    pub fn of(password: &str, score: u8) -> SealedStrength {
        SealedStrength {
            score,
            classes: ClassSet::of(password),
            length: u32::try_from(password.chars().count()).unwrap_or(u32::MAX),
        }
    }

    /// How the password falls short of `policy` (minimum score, required classes,
    /// minimum length), or None when it meets it.
    pub fn shortfall(&self, policy: &AccountPasswordPolicy) -> Option<Shortfall> {
        let s = Shortfall {
            score_too_low: self.score < policy.min_score,
            missing_classes: self.classes.missing(&policy.required_classes),
            too_short: usize::try_from(self.length).unwrap_or(usize::MAX) < policy.min_length,
        };
        (s.score_too_low || s.too_short || !s.missing_classes.is_empty()).then_some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min_score: u8, required: &[CharClass], min_length: usize) -> AccountPasswordPolicy {
        AccountPasswordPolicy {
            min_length,
            max_length: 128,
            min_score,
            required_classes: required.to_vec(),
            history_depth: 0,
            forbid_unit_reuse: false,
        }
    }

    #[test]
    fn classes_round_trip_through_the_mask() {
        let c = ClassSet::of("Violet-harbor 91");
        assert_eq!(c.bits(), 0b1111);
        assert_eq!(ClassSet::from_bits(c.bits()), c);
        let lower_digit = ClassSet::of("abc123");
        assert_eq!(lower_digit.bits(), 0b0101);
        assert_eq!(
            lower_digit.missing(&CharClass::ALL),
            vec![CharClass::Upper, CharClass::Symbol]
        );
        assert_eq!(ClassSet::of("口令").bits(), 0, "other scripts are no class");
        for c in CharClass::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.code());
        }
    }

    #[test]
    fn judged_against_the_policy_in_force() {
        let s = SealedStrength::of("violetharborquartz", 3);
        assert_eq!(s.length, 18);
        assert!(s.shortfall(&policy(3, &[], 12)).is_none());
        let tightened = policy(4, &[CharClass::Lower, CharClass::Symbol], 20);
        assert_eq!(
            s.shortfall(&tightened),
            Some(Shortfall {
                score_too_low: true,
                missing_classes: vec![CharClass::Symbol],
                too_short: true,
            })
        );
        let chinese = SealedStrength::of("长城长城长城", 0);
        assert_eq!(chinese.length, 6, "length counts characters, not bytes");
    }
}
