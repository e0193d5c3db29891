//! `[jobs]` configuration: the time zone cron expressions are read in, how often the
//! sweep looks for due or abandoned occurrences, the lease length, and per job
//! `[jobs.<name>] cron = "…", enabled = true|false`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::registry;
use super::schedule::Schedule;

/// The `[jobs]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct JobsConfig {
    /// IANA time zone the cron expressions are evaluated in (stored times are UTC).
    pub timezone: String,
    /// Seconds between sweeps: each sweep schedules due occurrences and takes over runs
    /// whose server stopped renewing their lease.
    pub sweep_seconds: u64,
    /// Seconds a claimed run stays owned without renewal (renewed every third of it).
    pub lease_seconds: u64,
    /// Test hook, 0 in production: `housekeeping` holds its write transaction open this
    /// many milliseconds before its work, so the test suite can kill a server in the
    /// middle of a run (and check that lease renewals never wait on the run itself).
    pub test_sleep_ms: u64,
    /// `[jobs.<name>]` for every registered and planned job.
    #[serde(flatten)]
    pub schedules: BTreeMap<String, JobSchedule>,
}

/// `[jobs.<name>]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct JobSchedule {
    /// Cron expression: 5 fields (minute hour day month weekday) or 6 with seconds first.
    pub cron: String,
    pub enabled: bool,
}

impl Default for JobSchedule {
    fn default() -> Self {
        JobSchedule {
            cron: String::new(),
            enabled: true,
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        let schedules = registry::default_schedules()
            .map(|(name, cron)| {
                (
                    name.to_string(),
                    JobSchedule {
                        cron: cron.to_string(),
                        enabled: true,
                    },
                )
            })
            .collect();
        JobsConfig {
            timezone: "Asia/Shanghai".into(),
            sweep_seconds: 15,
            lease_seconds: 60,
            test_sleep_ms: 0,
            schedules,
        }
    }
}

impl JobsConfig {
    /// The configured time zone (validated at load).
    pub fn tz(&self) -> Result<chrono_tz::Tz, String> {
        self.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            format!(
                "jobs.timezone {:?} is not an IANA time zone (e.g. Asia/Shanghai)",
                self.timezone
            )
        })
    }

    /// The schedule of `name`, parsed in the configured time zone.
    pub fn schedule(&self, name: &str) -> Result<Schedule, String> {
        let entry = self
            .schedules
            .get(name)
            .ok_or_else(|| format!("jobs.{name} has no configuration"))?;
        Schedule::parse(&entry.cron, self.tz()?)
            .map_err(|reason| format!("jobs.{name}.cron {:?}: {reason}", entry.cron))
    }

    pub fn enabled(&self, name: &str) -> bool {
        self.schedules.get(name).is_some_and(|s| s.enabled)
    }

    /// Checked at start-up: a bad zone or cron expression stops the service naming it.
    pub fn validate(&self) -> Result<(), String> {
        self.tz()?;
        if self.sweep_seconds == 0 || self.sweep_seconds > 3600 {
            return Err("jobs.sweep_seconds must be between 1 and 3600".into());
        }
        if self.lease_seconds < 3 || self.lease_seconds > 86_400 {
            return Err("jobs.lease_seconds must be between 3 and 86400".into());
        }
        for name in self.schedules.keys() {
            self.schedule(name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_every_registered_and_planned_job() {
        let c = JobsConfig::default();
        assert!(c.validate().is_ok());
        for name in ["daily_scan", "freshness_probe", "housekeeping"] {
            assert!(c.schedules.contains_key(name), "{name}");
        }
        assert_eq!(c.schedules["daily_scan"].cron, "30 2 * * *");
    }

    #[test]
    fn job_keys_come_from_file_and_environment() {
        let env = vec![(
            "CREDGOV_JOBS__HOUSEKEEPING__ENABLED".to_string(),
            "false".to_string(),
        )];
        let (c, report) = crate::config::load_toml(
            "[jobs]\ntimezone = \"UTC\"\n[jobs.daily_scan]\ncron = \"0 3 * * *\"\n",
            &env,
        )
        .unwrap();
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(c.jobs.timezone, "UTC");
        assert_eq!(c.jobs.schedules["daily_scan"].cron, "0 3 * * *");
        assert!(c.jobs.schedules["daily_scan"].enabled);
        assert!(!c.jobs.enabled("housekeeping"));
        assert_eq!(c.jobs.schedules["housekeeping"].cron, "10 * * * *");
        let e = crate::config::load_toml("[jobs.nightly_magic]\ncron = \"0 3 * * *\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("jobs.nightly_magic"), "{e}");
    }

    #[test]
    fn bad_zone_and_cron_are_named() {
        let mut c = JobsConfig {
            timezone: "Mars/Olympus".into(),
            ..JobsConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("Mars/Olympus"));
        c.timezone = "Asia/Shanghai".into();
        if let Some(s) = c.schedules.get_mut("housekeeping") {
            s.cron = "every now and then".into();
        }
        assert!(c.validate().unwrap_err().contains("jobs.housekeeping.cron"));
    }
}
