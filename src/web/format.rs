//! How the console writes times: Beijing time (`Asia/Shanghai`), `2026-11-28 14:05`.

use chrono::TimeZone;

/// `ms` (unix milliseconds) as `YYYY-MM-DD HH:MM` in Beijing time.
pub fn time(ms: i64) -> String {
    match chrono_tz::Asia::Shanghai.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => String::from("—"),
    }
}

/// `ms` as a date only, `YYYY-MM-DD`.
pub fn date(ms: i64) -> String {
    match chrono_tz::Asia::Shanghai.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => String::from("—"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn beijing_time_minutes() {
        // 2026-11-28T06:05:00Z is 14:05 in Beijing.
        assert_eq!(super::time(1_795_845_900_000), "2026-11-28 14:05");
        assert_eq!(super::date(1_795_845_900_000), "2026-11-28");
    }
}
