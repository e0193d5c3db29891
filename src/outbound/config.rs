//! The `[outbound]` configuration section: where outgoing requests (freshness probes,
//! later notification webhooks) may go and how long they may take.

use serde::{Deserialize, Serialize};

/// Default total time of one outgoing request, redirects and body included.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

#[derive(Clone, Serialize, Deserialize, PartialEq, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundConfig {
    /// Host names or IP literals that may be reached even though they are (or resolve
    /// to) private, loopback, link-local or otherwise non-public addresses, e.g.
    /// `["127.0.0.1"]` in tests or `["intranet.example.gov.cn"]`. Matched against the
    /// URL's host exactly (case-insensitive), never against resolved addresses.
    pub allowed_hosts: Vec<String>,
    /// Total time of one request in milliseconds: connecting, every redirect and the
    /// body. Waiting for the host's turn is not counted.
    pub timeout_ms: u64,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            allowed_hosts: Vec::new(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }
}

impl OutboundConfig {
    /// Refuses values that cannot work: a zero or over-long timeout, or an allowed
    /// host that is a URL rather than a host.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=60_000).contains(&self.timeout_ms) {
            return Err(format!(
                "outbound.timeout_ms must be between 1 and 60000, not {}",
                self.timeout_ms
            ));
        }
        for host in &self.allowed_hosts {
            let bad = host.trim().is_empty()
                || host.contains("://")
                || host.contains('/')
                || host.contains(char::is_whitespace);
            if bad {
                return Err(format!(
                    "outbound.allowed_hosts entry {host:?} must be a bare host name or IP address (no scheme, path or spaces)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, load_toml};

    #[test]
    fn outbound_section_loads_and_is_checked() {
        let (c, _) = load_toml(
            "[outbound]\nallowed_hosts = [\"127.0.0.1\", \"intranet.example.gov.cn\"]\ntimeout_ms = 500\n",
            &[],
        )
        .unwrap();
        assert_eq!(c.outbound.allowed_hosts.len(), 2);
        assert_eq!(c.outbound.timeout_ms, 500);

        let e = load_toml("[outbound]\nallowed_hosts = [\"http://10.0.0.1/\"]\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("allowed_hosts"), "{e}");
        let env = [("CREDGOV_OUTBOUND__TIMEOUT_MS".to_string(), "0".to_string())];
        let e = Config::load_from(None, &env).unwrap_err().to_string();
        assert!(e.contains("timeout_ms"), "{e}");
    }
}
