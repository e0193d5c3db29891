//! When a failed send is tried again: 30 s · 2^(attempts−1), at most 24 h, spread by
//! ±20 % so that messages that failed together do not come back together.

use crate::clock::{HOUR_MS, Millis};

/// The first retry's delay.
pub const BASE_MS: Millis = 30_000;
/// The longest delay.
pub const CAP_MS: Millis = 24 * HOUR_MS;
/// Spread of each delay, either way.
pub const JITTER: f64 = 0.2;

/// The delay after the `attempts`-th failed attempt (1 = the first), without jitter.
pub fn base_delay(attempts: i64) -> Millis {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 32)).unwrap_or(32);
    BASE_MS
        .saturating_mul(1_i64 << doublings.min(31))
        .min(CAP_MS)
}

/// The delay after the `attempts`-th failure with `spread` in [-1, 1] (scaled to
/// ±[`JITTER`]), at most [`CAP_MS`].
pub fn delay(attempts: i64, spread: f64) -> Millis {
    let base = base_delay(attempts) as f64;
    let jittered = base * (1.0 + JITTER * spread.clamp(-1.0, 1.0));
    (jittered as Millis).clamp(1, CAP_MS)
}

/// [`delay`] with a random spread.
pub fn jittered_delay(attempts: i64) -> Millis {
    delay(attempts, rand::random_range(-1.0..=1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_thirty_seconds_up_to_a_day() {
        let minutes: Vec<i64> = (1..=13).map(|a| base_delay(a) / 1000).collect();
        assert_eq!(
            minutes,
            vec![
                30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 61440, 86400
            ]
        );
        assert_eq!(base_delay(40), CAP_MS);
        assert_eq!(base_delay(0), BASE_MS);
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_the_cap() {
        assert_eq!(delay(1, -1.0), 24_000);
        assert_eq!(delay(1, 1.0), 36_000);
        assert_eq!(delay(20, 1.0), CAP_MS);
        for _ in 0..100 {
            let d = jittered_delay(3);
            assert!((96_000..=144_000).contains(&d), "{d}");
        }
    }
}
