//! One freshness probe of a source URL: fetch it through the [`OutboundClient`] and
//! say when it last published. A feed (RSS, Atom, JSON Feed) gives its newest item
//! date; any other page its `Last-Modified`, else a content hash that the caller
//! compares with the previous probe's. Failures (refused destination, timeout, too
//! large, non-2xx status…) are part of the outcome, for `account_unreachable` to count.

mod feed;
mod page;

pub use feed::{FeedKind, newest_item};
pub use page::{content_hash, last_modified};

use crate::clock::Millis;
use crate::error::DomainError;
use crate::outbound::{OutboundClient, OutboundError};

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// HTTP status of the final response; `None` when there was no response.
    pub status: Option<u16>,
    /// The newest publication date the source states (feed item or `Last-Modified`),
    /// Unix ms. May lie in the future on a misconfigured site; see
    /// [`ProbeOutcome::published_at`].
    pub newest_published_at: Option<Millis>,
    /// How the date (or its absence) was established; `None` on failure.
    pub evidence: Option<Evidence>,
    /// Hex SHA-256 of the body of a successful response, to keep for the next probe.
    pub content_hash: Option<String>,
    pub failure: Option<ProbeFailure>,
}

/// Where a probe's answer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The newest dated item of a feed.
    Feed(FeedKind),
    /// The page's `Last-Modified` header.
    LastModified,
    /// No date; the content differs from the previous probe's.
    ContentChanged,
    /// No date; the same content as the previous probe.
    ContentUnchanged,
    /// No date and no previous hash to compare with.
    FirstSeen,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Feed(kind) => kind.as_str(),
            Evidence::LastModified => "last_modified",
            Evidence::ContentChanged => "content_changed",
            Evidence::ContentUnchanged => "content_unchanged",
            Evidence::FirstSeen => "first_seen",
        }
    }
}

/// Why a probe did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeFailure {
    /// The exchange did not complete: refused destination, timeout, body too large,
    /// too many redirects, unreachable host…
    #[error(transparent)]
    Fetch(OutboundError),
    /// The server answered, but not with a 2xx status.
    #[error("the server answered with HTTP status {0}")]
    Status(u16),
}

impl ProbeFailure {
    /// Stable code to store with the probe result (`timeout`, `destination_refused`,
    /// `too_large`, `http_status`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ProbeFailure::Fetch(e) => e.code(),
            ProbeFailure::Status(_) => "http_status",
        }
    }
}

impl ProbeOutcome {
    fn failed(status: Option<u16>, failure: ProbeFailure) -> Self {
        ProbeOutcome {
            status,
            newest_published_at: None,
            evidence: None,
            content_hash: None,
            failure: Some(failure),
        }
    }

    pub fn is_failure(&self) -> bool {
        self.failure.is_some()
    }

    /// The source's latest publication as this probe shows it, given the time of the
    /// probe: the stated date (never later than `probed_at`), or `probed_at` itself
    /// when the content changed since the previous probe; `None` when the probe says
    /// nothing (failure, unchanged or first-seen content).
    pub fn published_at(&self, probed_at: Millis) -> Option<Millis> {
        match self.evidence? {
            Evidence::Feed(_) | Evidence::LastModified => {
                self.newest_published_at.map(|t| t.min(probed_at))
            }
            Evidence::ContentChanged => Some(probed_at),
            Evidence::ContentUnchanged | Evidence::FirstSeen => None,
        }
    }
}

/// Probes `url` once. `previous_hash` is the `content_hash` of the last successful
/// probe of the same source, if any.
pub async fn probe(
    client: &OutboundClient,
    url: &str,
    previous_hash: Option<&str>,
) -> ProbeOutcome {
    let fetched = match client.get(url).await {
        Ok(fetched) => fetched,
        Err(e) => return ProbeOutcome::failed(None, ProbeFailure::Fetch(e)),
    };
    let status = fetched.status.as_u16();
    if !fetched.status.is_success() {
        return ProbeOutcome::failed(Some(status), ProbeFailure::Status(status));
    }
    let hash = content_hash(&fetched.body);
    let (evidence, newest) = if let Some((kind, newest)) = newest_item(&fetched.body) {
        (Evidence::Feed(kind), Some(newest))
    } else if let Some(modified) =
        last_modified(fetched.header("last-modified"), fetched.header("date"))
    {
        (Evidence::LastModified, Some(modified))
    } else {
        let evidence = match previous_hash {
            None => Evidence::FirstSeen,
            Some(previous) if previous == hash => Evidence::ContentUnchanged,
            Some(_) => Evidence::ContentChanged,
        };
        (evidence, None)
    };
    ProbeOutcome {
        status: Some(status),
        newest_published_at: newest,
        evidence: Some(evidence),
        content_hash: Some(hash),
        failure: None,
    }
}
