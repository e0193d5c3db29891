//! One request per host at a time: a semaphore of one permit per host, created on
//! demand and dropped again when nobody holds or waits for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::OutboundError;

#[derive(Default)]
pub(super) struct HostLimiter {
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostLimiter {
    /// Waits for the host's turn; the request runs while the permit is held.
    pub(super) async fn acquire(&self, host: &str) -> Result<OwnedSemaphorePermit, OutboundError> {
        let semaphore = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            // Nobody else holds a clone: no request running or waiting for that host.
            hosts.retain(|_, s| Arc::strong_count(s) > 1);
            Arc::clone(
                hosts
                    .entry(host.to_string())
                    .or_insert_with(|| Arc::new(Semaphore::new(1))),
            )
        };
        semaphore
            .acquire_owned()
            .await
            .map_err(|e| OutboundError::Internal(format!("host limiter closed: {e}")))
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.hosts.lock().map(|h| h.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_permit_per_host_and_idle_hosts_are_forgotten() {
        let limiter = HostLimiter::default();
        let a = limiter.acquire("a.example").await.unwrap();
        let b = limiter.acquire("b.example").await.unwrap();
        let second_a = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            limiter.acquire("a.example"),
        )
        .await;
        assert!(second_a.is_err(), "a second request to the same host waits");
        drop(a);
        drop(b);
        let _c = limiter.acquire("c.example").await.unwrap();
        assert_eq!(limiter.tracked(), 1, "idle hosts are dropped");
    }
}
