//! DNS resolution that applies the destination rule: the client connects only to the
//! addresses returned here, each of them checked, so there is no second lookup an
//! attacker's DNS could answer differently (rebinding).

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::destination::DestinationRule;
use super::error::OutboundError;

/// The client's resolver: system DNS, then the destination rule on every address.
pub(super) struct CheckingResolver {
    rule: Arc<DestinationRule>,
}

impl CheckingResolver {
    pub(super) fn new(rule: Arc<DestinationRule>) -> Self {
        CheckingResolver { rule }
    }
}

/// Resolves `host` and checks every address. Port 0 in the result is replaced by the
/// URL's port by the connector.
pub(super) async fn resolve_checked(
    rule: &DestinationRule,
    host: &str,
) -> Result<Vec<SocketAddr>, OutboundError> {
    let unresolvable = || OutboundError::Unresolvable {
        host: host.to_string(),
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|_| unresolvable())?
        .collect();
    if addrs.is_empty() {
        return Err(unresolvable());
    }
    rule.check_resolved(host, &addrs)?;
    Ok(addrs)
}

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let rule = Arc::clone(&self.rule);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve_checked(&rule, &host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn localhost_is_refused_unless_listed_by_name() {
        let strict = DestinationRule::new(&["127.0.0.1".to_string()]);
        assert!(matches!(
            resolve_checked(&strict, "localhost").await,
            Err(OutboundError::DestinationRefused { .. })
        ));
        let listed = DestinationRule::new(&["localhost".to_string()]);
        let addrs = resolve_checked(&listed, "localhost").await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }

    #[tokio::test]
    async fn unknown_names_are_unresolvable() {
        let rule = DestinationRule::default();
        assert!(matches!(
            resolve_checked(&rule, "no-such-host.invalid").await,
            Err(OutboundError::Unresolvable { .. })
        ));
    }
}
