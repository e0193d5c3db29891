//! Outgoing HTTP: the one client credgov uses to reach other servers (content
//! freshness probes now, notification webhooks later), with the destination rule that
//! keeps it away from the internal network.
//!
//! - http/https only; every address a host resolves to must be public (not private,
//!   loopback, link-local, CGNAT, multicast, … nor an IPv6 form of those) unless the
//!   host is listed in `outbound.allowed_hosts`; the connection goes to the checked
//!   address, and every redirect target is checked again;
//! - at most [`MAX_REDIRECTS`] redirects, followed by hand; one deadline
//!   (`outbound.timeout_ms`, default 10 s) for the whole exchange; bodies over
//!   [`MAX_BODY_BYTES`] are cut off and refused; one request per host at a time.

mod address;
mod client;
mod config;
mod destination;
mod error;
mod host_limit;
mod resolver;

pub use address::{AddressClass, classify};
pub use client::{Fetched, MAX_BODY_BYTES, MAX_REDIRECTS, OutboundClient, USER_AGENT};
pub use config::{DEFAULT_TIMEOUT_MS, OutboundConfig};
pub use destination::DestinationRule;
pub use error::OutboundError;
