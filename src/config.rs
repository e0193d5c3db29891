//! Configuration: defaults < `credgov.toml` (`--config` / `CREDGOV_CONFIG`) < `CREDGOV_*`
//! environment variables. Nested keys use `__` in the environment
//! (`CREDGOV_ARGON2__MEMORY_KIB`). Secret values may come from a file named by
//! `<VAR>_FILE` (`CREDGOV_DATABASE_URL_FILE`). Unknown keys in the file are an error;
//! unknown `CREDGOV_*` variables are reported as warnings.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub const ENV_PREFIX: &str = "CREDGOV_";
/// Environment variables that are not configuration keys but are known to credgov.
const ENV_NOT_KEYS: &[&str] = &["CONFIG", "TEST_DATABASE_URL", "LOG"];
/// Keys whose value is a secret and so may be read from `<VAR>_FILE`.
const SECRET_KEYS: &[&str] = &["database_url", "hr_signing_secret", "metrics.token"];

/// argon2id floor from OWASP / RFC 9106 second recommendation.
pub const ARGON2_MIN_MEMORY_KIB: u32 = 19_456;
pub const ARGON2_MIN_ITERATIONS: u32 = 2;
pub const ARGON2_MIN_PARALLELISM: u32 = 1;

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://./data/credgov.db` (default) or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Largest number of pooled database connections.
    pub database_max_connections: u32,
    /// Address `serve` listens on unless `--listen` is given.
    pub listen: SocketAddr,
    /// The master key (KEK): 32 raw bytes or 64 hex characters.
    pub master_key_file: PathBuf,
    /// `text` (default) or `json`.
    pub log_format: LogFormat,
    /// tracing filter, e.g. `info` or `credgov=debug,tower_http=info`.
    pub log_level: String,
    /// Policy preset applied to users' passwords, lockout and sessions.
    pub policy: String,
    /// Cipher suite for newly sealed secrets: `aes-256-gcm` (default) or `sm4-gcm` (国密).
    /// Existing values keep the suite they were sealed with.
    pub cipher_suite: crate::crypto::Suite,
    /// Folder with extra or overriding policy presets (`*.toml`); the shipped ones are built in.
    pub policies_dir: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// When set, HR events must carry `X-Credgov-Signature` (HMAC-SHA256 of
    /// `timestamp.body` under this secret) and a fresh `X-Credgov-Timestamp`.
    pub hr_signing_secret: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed for the client address in
    /// the audit trail (e.g. `["127.0.0.1"]` behind a local nginx).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Mark the console's cookies `Secure` (sent over HTTPS only). Also done for a
    /// request a trusted proxy forwards with `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
    pub argon2: Argon2Config,
    /// Outgoing requests (freshness probes, webhooks): allowed non-public hosts, timeout.
    pub outbound: crate::outbound::OutboundConfig,
    /// `[jobs]`: scheduler time zone, sweep and lease, and `[jobs.<name>]` per job.
    pub jobs: crate::jobs::JobsConfig,
    /// `[notify]`: the notification deliverer's poll interval, batch, lease and attempts.
    pub notify: crate::notify::NotifyConfig,
    /// `[metrics]`: where `GET /metrics` is served (off unless `listen` is set).
    pub metrics: MetricsConfig,
}

/// `[metrics]`: Prometheus metrics on their own address, optionally behind a token.
#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address for `GET /metrics` (e.g. `127.0.0.1:9464`); unset: no metrics served.
    pub listen: Option<SocketAddr>,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

impl fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// How many hashes may run at once (default: cores - 1, at least 1), so a login
    /// storm leaves a core for everything else.
    pub max_concurrent: Option<usize>,
    /// How many hashes may wait for a free worker (default: 64 per worker). When the
    /// queue is full a login is refused at once with 503 `busy` and `Retry-After`,
    /// without computing a hash.
    pub max_queue: Option<usize>,
    /// Allows parameters below the floor. For the test suite only; never in production.
    pub insecure_allow_weak_params_for_tests: bool,
}

#[derive(Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://./data/credgov.db".into(),
            database_max_connections: 10,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            master_key_file: PathBuf::from("./data/master.key"),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            policy: "district-default".into(),
            policies_dir: None,
            cipher_suite: crate::crypto::Suite::Aes256Gcm,
            max_body_bytes: 64 * 1024,
            trusted_proxies: Vec::new(),
            secure_cookies: false,
            hr_signing_secret: None,
            argon2: Argon2Config::default(),
            outbound: crate::outbound::OutboundConfig::default(),
            jobs: crate::jobs::JobsConfig::default(),
            notify: crate::notify::NotifyConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

impl Default for Argon2Config {
    fn default() -> Self {
        Argon2Config {
            memory_kib: ARGON2_MIN_MEMORY_KIB,
            iterations: ARGON2_MIN_ITERATIONS,
            parallelism: ARGON2_MIN_PARALLELISM,
            max_concurrent: None,
            max_queue: None,
            insecure_allow_weak_params_for_tests: false,
        }
    }
}

/// Hides the password of a database URL (`postgres://u:secret@h/db` → `postgres://u:***@h/db`).
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            let shown = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{}://{}{}", &url[..scheme_end], shown, &rest[at..])
        }
        None => url.to_string(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("database_max_connections", &self.database_max_connections)
            .field("listen", &self.listen)
            .field("master_key_file", &self.master_key_file)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("policy", &self.policy)
            .field("policies_dir", &self.policies_dir)
            .field("cipher_suite", &self.cipher_suite)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secure_cookies", &self.secure_cookies)
            .field(
                "hr_signing_secret",
                &self.hr_signing_secret.as_ref().map(|_| "***"),
            )
            .field("argon2", &self.argon2)
            .field("outbound", &self.outbound)
            .field("jobs", &self.jobs)
            .field("notify", &self.notify)
            .field("metrics", &self.metrics)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Everything that went into a configuration besides the values: warnings to log once
/// tracing is up.
#[derive(Debug, Default)]
pub struct ConfigReport {
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads configuration from the optional file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<(Config, ConfigReport), ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(file, &env)
    }

    /// Same as [`Config::load`] with an explicit environment (tests).
    pub fn load_from(
        file: Option<&Path>,
        env: &[(String, String)],
    ) -> Result<(Config, ConfigReport), ConfigError> {
        let mut report = ConfigReport::default();
        let known = known_keys();
        let mut figment = Figment::from(Serialized::defaults(Config::default()));

        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let mut unknown = Vec::new();
            collect_unknown(&table, "", &known, &mut unknown);
            if !unknown.is_empty() {
                return Err(ConfigError::File {
                    path: path.display().to_string(),
                    reason: format!(
                        "unknown key(s): {}; known keys are: {}",
                        unknown.join(", "),
                        known.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            figment = figment.merge(Toml::string(&text));
        }

        let mut env_values: Vec<(String, String)> = Vec::new();
        for (name, value) in env {
            let Some(raw) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if ENV_NOT_KEYS.contains(&raw) || raw.starts_with("TEST_") {
                continue;
            }
            let key = raw.to_ascii_lowercase().replace("__", ".");
            if let Some(base) = key.strip_suffix("_file")
                && SECRET_KEYS.contains(&base)
            {
                let secret = std::fs::read_to_string(value).map_err(|e| {
                    ConfigError::Invalid(format!("{name}: cannot read {value}: {e}"))
                })?;
                env_values.push((base.to_string(), secret.trim_end().to_string()));
                continue;
            }
            if known.contains(&key) {
                env_values.push((key, value.clone()));
            } else {
                report.warnings.push(format!(
                    "environment variable {name} is not a credgov setting and is ignored"
                ));
            }
        }
        for secret in SECRET_KEYS {
            if env_values.iter().filter(|(k, _)| k == secret).count() > 1 {
                let var = format!("{ENV_PREFIX}{}", secret.to_ascii_uppercase());
                return Err(ConfigError::Invalid(format!(
                    "both {var} and {var}_FILE are set; keep one"
                )));
            }
        }
        for (key, value) in env_values {
            figment = figment.merge(Serialized::default(&key, parse_env_value(&value)));
        }

        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok((config, report))
    }

    /// The folder holding local state: the SQLite file's folder, else the master key's.
    pub fn data_dir(&self) -> PathBuf {
        let sqlite = self
            .database_url
            .strip_prefix("sqlite://")
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .and_then(|p| Path::new(p).parent().map(Path::to_path_buf));
        sqlite
            .or_else(|| self.master_key_file.parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let a = &self.argon2;
        let weak = a.memory_kib < ARGON2_MIN_MEMORY_KIB
            || a.iterations < ARGON2_MIN_ITERATIONS
            || a.parallelism < ARGON2_MIN_PARALLELISM;
        if weak && !a.insecure_allow_weak_params_for_tests {
            return Err(ConfigError::Invalid(format!(
                "argon2 parameters m={} KiB, t={}, p={} are below the floor m={ARGON2_MIN_MEMORY_KIB} KiB, t={ARGON2_MIN_ITERATIONS}, p={ARGON2_MIN_PARALLELISM}",
                a.memory_kib, a.iterations, a.parallelism
            )));
        }
        if a.max_concurrent == Some(0) || a.max_queue == Some(0) {
            return Err(ConfigError::Invalid(
                "argon2.max_concurrent and argon2.max_queue must be at least 1 when set".into(),
            ));
        }
        self.outbound.validate().map_err(ConfigError::Invalid)?;
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database_max_connections must be at least 1".into(),
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be at least 1024".into(),
            ));
        }
        self.jobs.validate().map_err(ConfigError::Invalid)?;
        self.notify.validate().map_err(ConfigError::Invalid)?;
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(format!(
                "database_url {} must start with sqlite:// or postgres://",
                redact_url(&self.database_url)
            )));
        }
        Ok(())
    }
}

/// Values from the environment are strings; they are typed so that figment can extract
/// them into their fields: an integer, `true`/`false`, a TOML array (`["10.0.0.5",
/// "10.0.0.6"]`, for list settings such as `trusted_proxies`), else the text itself.
fn parse_env_value(value: &str) -> figment::value::Value {
    use figment::value::Value;
    if value.trim_start().starts_with('[')
        && let Ok(toml::Value::Table(mut t)) = toml::from_str(&format!("v = {value}"))
        && let Some(list) = t.remove("v")
        && let Ok(v) = list.try_into::<Value>()
    {
        return v;
    }
    if let Ok(n) = value.parse::<i64>() {
        return Value::from(n);
    }
    match value {
        "true" => Value::from(true),
        "false" => Value::from(false),
        _ => Value::from(value.to_string()),
    }
}

/// Every dotted key of the configuration, from the defaults' own shape.
fn known_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Ok(toml::Value::Table(t)) = toml::Value::try_from(Config::default()) {
        walk_keys(&t, "", &mut keys);
    }
    // Optional keys serialise to nothing when unset; name them here.
    keys.insert("policies_dir".into());
    keys.insert("argon2.max_concurrent".into());
    keys.insert("argon2.max_queue".into());
    keys.insert("hr_signing_secret".into());
    keys.insert("metrics".into());
    keys.insert("metrics.listen".into());
    keys.insert("metrics.token".into());
    keys
}

fn walk_keys(t: &toml::Table, prefix: &str, out: &mut BTreeSet<String>) {
    for (k, v) in t {
        let key = format!("{prefix}{k}");
        if let toml::Value::Table(inner) = v {
            out.insert(key.clone());
            walk_keys(inner, &format!("{key}."), out);
        } else {
            out.insert(key);
        }
    }
}

fn collect_unknown(t: &toml::Table, prefix: &str, known: &BTreeSet<String>, out: &mut Vec<String>) {
    for (k, v) in t {
        let key = format!("{prefix}{k}");
        if !known.contains(&key) {
            out.push(key);
        } else if let toml::Value::Table(inner) = v {
            collect_unknown(inner, &format!("{key}."), known, out);
        }
    }
}

/// Loads `toml` as the file named with `--config` (`credgov.toml` in a fresh temporary
/// folder), then `env`: how the tests of every configuration section load a file.
#[cfg(test)]
pub(crate) fn load_toml(
    toml: &str,
    env: &[(String, String)],
) -> Result<(Config, ConfigReport), ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credgov.toml");
    std::fs::write(&path, toml).unwrap();
    Config::load_from(Some(&path), env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_load() {
        let (c, r) = Config::load_from(None, &[]).unwrap();
        assert_eq!(c, Config::default());
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn file_then_env_precedence() {
        let (c, _) = load_toml(
            "log_level = \"debug\"\nlisten = \"0.0.0.0:9000\"\n[argon2]\nmemory_kib = 65536\n",
            &env(&[
                ("CREDGOV_LOG_LEVEL", "warn"),
                ("CREDGOV_ARGON2__ITERATIONS", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(c.log_level, "warn");
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.argon2.memory_kib, 65536);
        assert_eq!(c.argon2.iterations, 3);
    }

    #[test]
    fn list_from_env() {
        let (c, _) = Config::load_from(
            None,
            &env(&[("CREDGOV_TRUSTED_PROXIES", r#"["172.28.0.10", "::1"]"#)]),
        )
        .unwrap();
        let want: Vec<std::net::IpAddr> =
            vec!["172.28.0.10".parse().unwrap(), "::1".parse().unwrap()];
        assert_eq!(c.trusted_proxies, want);
        // Not a list: refused naming the key, not taken as text.
        let err = Config::load_from(None, &env(&[("CREDGOV_TRUSTED_PROXIES", "[nope")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("trusted_proxies"), "{err}");
    }

    #[test]
    fn unknown_file_key_is_an_error_naming_it() {
        let err = load_toml("databse_url = \"x\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("databse_url"), "{err}");
        assert!(err.contains("credgov.toml"), "{err}");
    }

    #[test]
    fn unknown_env_key_is_reported() {
        let (_, r) = Config::load_from(None, &env(&[("CREDGOV_DATABSE_URL", "x")])).unwrap();
        assert!(r.warnings.iter().any(|w| w.contains("CREDGOV_DATABSE_URL")));
    }

    #[test]
    fn secret_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("url");
        std::fs::write(&path, "postgres://u:hunter2-canary@db/credgov\n").unwrap();
        let (c, _) = Config::load_from(
            None,
            &env(&[("CREDGOV_DATABASE_URL_FILE", path.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://u:hunter2-canary@db/credgov");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2-canary"), "{shown}");
        assert!(shown.contains("postgres://u:***@db/credgov"));
    }

    #[test]
    fn a_secret_from_env_and_file_at_once_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("url");
        std::fs::write(&path, "postgres://a@b/c").unwrap();
        let e = Config::load_from(
            None,
            &env(&[
                ("CREDGOV_DATABASE_URL", "sqlite://x.db"),
                ("CREDGOV_DATABASE_URL_FILE", path.to_str().unwrap()),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("keep one"), "{e}");
    }

    #[test]
    fn weak_argon2_refused_unless_test_flag() {
        let e = Config::load_from(None, &env(&[("CREDGOV_ARGON2__MEMORY_KIB", "1024")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("below the floor"), "{e}");
        assert!(
            Config::load_from(
                None,
                &env(&[
                    ("CREDGOV_ARGON2__MEMORY_KIB", "1024"),
                    (
                        "CREDGOV_ARGON2__INSECURE_ALLOW_WEAK_PARAMS_FOR_TESTS",
                        "true"
                    ),
                ]),
            )
            .is_ok()
        );
    }

    #[test]
    fn argon2_queue_is_configurable_and_not_zero() {
        let (c, _) = Config::load_from(None, &env(&[("CREDGOV_ARGON2__MAX_QUEUE", "16")])).unwrap();
        assert_eq!(c.argon2.max_queue, Some(16));
        let e = Config::load_from(None, &env(&[("CREDGOV_ARGON2__MAX_QUEUE", "0")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_queue"), "{e}");
    }

    #[test]
    fn bad_types_are_reported() {
        let e = Config::load_from(None, &env(&[("CREDGOV_LISTEN", "nowhere")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("listen"), "{e}");
    }
}
