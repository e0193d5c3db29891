//! Why an outgoing request did not produce a response. Messages name the host at most,
//! never the URL: webhook URLs carry tokens in their path or query.

use serde_json::{Value, json};

use super::address::AddressClass;
use crate::error::{DomainError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("the address is not a valid absolute URL")]
    InvalidUrl,
    #[error("only http and https addresses may be fetched, not {scheme}")]
    SchemeNotAllowed { scheme: String },
    #[error(
        "{host} is a {class} address; outgoing requests go only to public addresses \
         unless the host is listed in outbound.allowed_hosts"
    )]
    DestinationRefused { host: String, class: AddressClass },
    #[error("{host} redirected more than {max} times")]
    TooManyRedirects { host: String, max: usize },
    #[error("{host} answered with a redirect whose Location is missing or not a URL")]
    BadRedirect { host: String },
    #[error("{host} sent more than {max_bytes} bytes; reading stopped there")]
    TooLarge { host: String, max_bytes: usize },
    #[error("{host} did not answer completely within {timeout_ms} ms")]
    Timeout { host: String, timeout_ms: u64 },
    #[error("the host name {host} could not be resolved")]
    Unresolvable { host: String },
    #[error("could not connect to {host}: {detail}")]
    Unreachable { host: String, detail: String },
    #[error("the exchange with {host} failed: {detail}")]
    Transport { host: String, detail: String },
    #[error("the outgoing HTTP client could not be built: {0}")]
    Internal(String),
}

impl OutboundError {
    /// The host the failure is about, when there is one.
    pub fn host(&self) -> Option<&str> {
        match self {
            OutboundError::DestinationRefused { host, .. }
            | OutboundError::TooManyRedirects { host, .. }
            | OutboundError::BadRedirect { host }
            | OutboundError::TooLarge { host, .. }
            | OutboundError::Timeout { host, .. }
            | OutboundError::Unresolvable { host }
            | OutboundError::Unreachable { host, .. }
            | OutboundError::Transport { host, .. } => Some(host),
            OutboundError::InvalidUrl
            | OutboundError::SchemeNotAllowed { .. }
            | OutboundError::Internal(_) => None,
        }
    }
}

impl DomainError for OutboundError {
    fn own_kind(&self) -> ErrorKind {
        match self {
            OutboundError::InvalidUrl
            | OutboundError::SchemeNotAllowed { .. }
            | OutboundError::DestinationRefused { .. } => ErrorKind::Invalid,
            OutboundError::TooLarge { .. } => ErrorKind::TooLarge,
            OutboundError::TooManyRedirects { .. }
            | OutboundError::BadRedirect { .. }
            | OutboundError::Timeout { .. }
            | OutboundError::Unresolvable { .. }
            | OutboundError::Unreachable { .. }
            | OutboundError::Transport { .. } => ErrorKind::Upstream,
            OutboundError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn own_code(&self) -> &'static str {
        match self {
            OutboundError::InvalidUrl => "invalid_url",
            OutboundError::SchemeNotAllowed { .. } => "scheme_not_allowed",
            OutboundError::DestinationRefused { .. } => "destination_refused",
            OutboundError::TooManyRedirects { .. } => "too_many_redirects",
            OutboundError::BadRedirect { .. } => "bad_redirect",
            OutboundError::TooLarge { .. } => "too_large",
            OutboundError::Timeout { .. } => "timeout",
            OutboundError::Unresolvable { .. } => "unresolvable",
            OutboundError::Unreachable { .. } => "unreachable",
            OutboundError::Transport { .. } => "transport",
            OutboundError::Internal(_) => "internal",
        }
    }

    fn own_details(&self) -> Option<Value> {
        match self {
            OutboundError::DestinationRefused { host, class } => {
                Some(json!({ "host": host, "class": class.as_str() }))
            }
            OutboundError::TooLarge { host, max_bytes } => {
                Some(json!({ "host": host, "max_bytes": max_bytes }))
            }
            other => other.host().map(|host| json!({ "host": host })),
        }
    }
}

crate::domain_error!(OutboundError);
