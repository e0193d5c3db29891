//! Risk ranking for supervisors (issue 11): unit scores built from visible components
//! (`model`), measured per unit in grouped queries (`tally`), ranked within a subtree
//! (`ranking`), drilled into (`drill`), and kept as daily snapshots for trends
//! (`snapshots`), written out as the circular (通报, `circular`); `routes` serves
//! `/risk/*`, `circular` serves `/reports/circular`. Aggregates, names and dates only:
//! nothing here reads a secret.

pub mod circular;
pub mod drill;
mod error;
pub mod model;
pub mod ranking;
mod routes;
pub mod snapshots;
pub mod tally;

pub use error::RiskError;
pub use routes::router;
