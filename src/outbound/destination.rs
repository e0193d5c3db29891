//! The destination rule: http/https only, and every address a request would reach must
//! be public unless the URL's host is listed in `outbound.allowed_hosts`. IP literals are
//! checked here before anything is sent; host names are checked by the resolver
//! ([`super::resolver`]) on every address DNS returns, and the connection goes to those
//! checked addresses, so a second lookup cannot swap in another one.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

use reqwest::Url;
use url::Host;

use super::address::{AddressClass, classify};
use super::error::OutboundError;

/// Which destinations outgoing requests may reach.
#[derive(Debug, Clone, Default)]
pub struct DestinationRule {
    allowed_names: HashSet<String>,
    allowed_addrs: HashSet<IpAddr>,
}

impl DestinationRule {
    /// A rule that lets the listed hosts (names or IP literals) through whatever they
    /// resolve to.
    pub fn new(allowed_hosts: &[String]) -> Self {
        let mut rule = DestinationRule::default();
        for host in allowed_hosts {
            let host = host.trim().trim_start_matches('[').trim_end_matches(']');
            match host.parse::<IpAddr>() {
                Ok(ip) => {
                    rule.allowed_addrs.insert(ip);
                }
                Err(_) => {
                    rule.allowed_names.insert(normalise_name(host));
                }
            }
        }
        rule
    }

    /// Checks what can be checked before resolving: the scheme, and the address when
    /// the host is an IP literal. Returns the URL's host (lower-case) for the per-host
    /// limit and error messages.
    pub fn check_url(&self, url: &Url) -> Result<String, OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::SchemeNotAllowed {
                scheme: url.scheme().chars().take(32).collect(),
            });
        }
        let host = url.host().ok_or(OutboundError::InvalidUrl)?;
        let shown = host.to_string();
        let ip = match host {
            Host::Domain(_) => return Ok(shown),
            Host::Ipv4(v4) => IpAddr::V4(v4),
            Host::Ipv6(v6) => IpAddr::V6(v6),
        };
        if self.allowed_addrs.contains(&ip) {
            return Ok(shown);
        }
        match classify(ip) {
            AddressClass::Public => Ok(shown),
            class => Err(OutboundError::DestinationRefused { host: shown, class }),
        }
    }

    /// Whether a host name is listed (then its addresses are not checked).
    pub fn allows_name(&self, host: &str) -> bool {
        self.allowed_names.contains(&normalise_name(host))
    }

    /// Whether `host` (a name or an IP literal) is listed.
    pub fn lists(&self, host: &str) -> bool {
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        match host.parse::<IpAddr>() {
            Ok(ip) => self.allowed_addrs.contains(&ip),
            Err(_) => self.allows_name(host),
        }
    }

    /// Checks every address a host name resolved to; one non-public address refuses
    /// the whole host (a name that answers with a mix is not trusted).
    pub fn check_resolved(&self, host: &str, addrs: &[SocketAddr]) -> Result<(), OutboundError> {
        if self.allows_name(host) {
            return Ok(());
        }
        for addr in addrs {
            let class = classify(addr.ip());
            if class != AddressClass::Public {
                return Err(OutboundError::DestinationRefused {
                    host: host.to_string(),
                    class,
                });
            }
        }
        Ok(())
    }
}

fn normalise_name(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(allowed: &[&str]) -> DestinationRule {
        DestinationRule::new(&allowed.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn check(r: &DestinationRule, url: &str) -> Result<String, OutboundError> {
        r.check_url(&Url::parse(url).unwrap())
    }

    #[test]
    fn only_http_and_https() {
        let r = rule(&[]);
        assert!(check(&r, "https://www.gov.cn/feed").is_ok());
        assert!(check(&r, "http://www.gov.cn/").is_ok());
        for url in ["ftp://www.gov.cn/x", "file:///etc/passwd", "gopher://a.cn/"] {
            assert!(
                matches!(check(&r, url), Err(OutboundError::SchemeNotAllowed { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn ip_literals_are_checked_in_every_spelling() {
        let r = rule(&[]);
        for url in [
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:8080/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1]/",
            "http://100.64.0.1/",
        ] {
            assert!(
                matches!(
                    check(&r, url),
                    Err(OutboundError::DestinationRefused { .. })
                ),
                "{url}"
            );
        }
        assert_eq!(check(&r, "http://8.8.8.8/").unwrap(), "8.8.8.8");
    }

    #[test]
    fn listed_hosts_pass_by_name_or_literal() {
        let r = rule(&["127.0.0.1", "Intranet.Example.gov.cn.", "[::1]"]);
        assert!(check(&r, "http://127.0.0.1:9/").is_ok());
        assert!(check(&r, "http://[::1]:9/").is_ok());
        assert!(check(&r, "http://2130706433/").is_ok(), "same address");
        assert!(check(&r, "http://127.0.0.2/").is_err());
        assert!(r.allows_name("intranet.example.gov.cn"));
        assert!(!r.allows_name("localhost"));
    }

    #[test]
    fn every_resolved_address_must_be_public() {
        let r = rule(&["intranet.local"]);
        let public: SocketAddr = "8.8.8.8:0".parse().unwrap();
        let private: SocketAddr = "192.168.0.5:0".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:10.1.2.3]:0".parse().unwrap();
        assert!(r.check_resolved("example.cn", &[public]).is_ok());
        assert!(matches!(
            r.check_resolved("example.cn", &[public, private]),
            Err(OutboundError::DestinationRefused {
                class: AddressClass::Private,
                ..
            })
        ));
        assert!(r.check_resolved("example.cn", &[mapped]).is_err());
        assert!(r.check_resolved("intranet.local", &[private]).is_ok());
    }
}
