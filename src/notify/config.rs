//! The `[notify]` configuration section: how the deliverer polls, claims and retries.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Milliseconds between looks at the outbox (a commit that queued rows wakes the
    /// deliverer at once as well).
    pub poll_ms: u64,
    /// Most rows one deliverer claims at a time.
    pub batch: u32,
    /// Milliseconds a claimed row stays owned; after that another deliverer may send it.
    /// A send that would end past it extends the row's own lease first (to the longest
    /// send of its channel), so a short lease only makes rows retaken sooner.
    pub lease_ms: u64,
    /// Attempts before a row is given up as `failed`.
    pub max_attempts: u32,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            poll_ms: 2000,
            batch: 50,
            lease_ms: 60_000,
            max_attempts: 12,
        }
    }
}

impl NotifyConfig {
    /// Refuses values that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        let checks: [(&str, u64, u64, u64); 4] = [
            ("poll_ms", self.poll_ms, 10, 3_600_000),
            ("batch", u64::from(self.batch), 1, 1000),
            ("lease_ms", self.lease_ms, 1000, 3_600_000),
            ("max_attempts", u64::from(self.max_attempts), 1, 100),
        ];
        for (key, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(format!(
                    "notify.{key} must be between {min} and {max}, not {value}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn notify_section_loads_and_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credgov.toml");
        std::fs::write(&path, "[notify]\npoll_ms = 500\nbatch = 10\n").unwrap();
        let (c, _) = Config::load_from(Some(&path), &[]).unwrap();
        assert_eq!((c.notify.poll_ms, c.notify.batch), (500, 10));
        assert_eq!((c.notify.lease_ms, c.notify.max_attempts), (60_000, 12));
        let env = [("CREDGOV_NOTIFY__MAX_ATTEMPTS".to_string(), "0".to_string())];
        let e = Config::load_from(None, &env).unwrap_err().to_string();
        assert!(e.contains("notify.max_attempts"), "{e}");
    }
}
