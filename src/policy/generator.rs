//! The password generator: uniform choices from the OS-seeded CSPRNG, at least one
//! character of every configured class, no look-alikes when asked.

use rand::Rng;
use rand::seq::SliceRandom;
use zeroize::Zeroizing;

use super::preset::{CharClass, GeneratorPolicy};

const AMBIGUOUS: &str = "0Oo1lI|5S2Z8B`'\"";

fn alphabet(class: CharClass, exclude_ambiguous: bool) -> Vec<char> {
    let all: Vec<char> = match class {
        CharClass::Lower => ('a'..='z').collect(),
        CharClass::Upper => ('A'..='Z').collect(),
        CharClass::Digit => ('0'..='9').collect(),
        CharClass::Symbol => "!@#$%^&*()-_=+[]{};:,.?/~".chars().collect(),
    };
    all.into_iter()
        .filter(|c| !(exclude_ambiguous && AMBIGUOUS.contains(*c)))
        .collect()
}

pub fn generate_password(policy: &GeneratorPolicy) -> Zeroizing<String> {
    let mut rng = rand::rng();
    let sets: Vec<Vec<char>> = policy
        .classes
        .iter()
        .map(|c| alphabet(*c, policy.exclude_ambiguous))
        .collect();
    let pool: Vec<char> = sets.iter().flatten().copied().collect();
    let mut chars: Zeroizing<Vec<char>> = Zeroizing::new(Vec::with_capacity(policy.length));
    for set in &sets {
        chars.push(set[rng.random_range(0..set.len())]);
    }
    while chars.len() < policy.length {
        chars.push(pool[rng.random_range(0..pool.len())]);
    }
    chars.shuffle(&mut rng);
    Zeroizing::new(chars.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_present_no_ambiguous() {
        let p = GeneratorPolicy {
            length: 16,
            classes: CharClass::ALL.to_vec(),
            exclude_ambiguous: true,
        };
        for _ in 0..200 {
            let pw = generate_password(&p);
            assert_eq!(pw.chars().count(), 16);
            for class in CharClass::ALL {
                assert!(
                    pw.chars().any(|c| CharClass::of(c) == Some(class)),
                    "{class:?} missing"
                );
            }
            assert!(!pw.chars().any(|c| AMBIGUOUS.contains(c)));
        }
        assert_ne!(*generate_password(&p), *generate_password(&p));
    }
}
