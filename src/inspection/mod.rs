//! Daily inspection (每日巡检): rules defined once (`rules`), detectors that find where
//! they hold with set-based queries (`detect`), the findings table keyed by (rule,
//! target) (`store`), the daily scan over the district and the re-evaluation that
//! write paths call inside their transaction (`scan`), the scheduled job (`job`) and
//! the findings list.
//!
//! "发现一起、整改一起": a rescan refreshes what still holds and resolves what is gone;
//! a write that fixes a condition (rotation confirm, custodian change, HR event, policy
//! change) resolves its finding in the same transaction.

mod detect;
mod error;
mod escalations;
mod job;
mod list;
mod notices;
pub(crate) mod routes;
mod rules;
mod scan;
mod scope;
mod store;
mod summary;

pub use error::InspectionError;
pub use job::DailyScan;
pub(crate) use list::readable_prefixes;
pub use list::{Finding, FindingFilter, Localized, list_findings, my_rotation_findings};
pub use routes::router;
pub use rules::{FindingState, Rule, RuleDef, Severity, TargetKind, render};
pub use scan::{RESOLVED_BY_SCAN, ScanCounts, daily_scan, reevaluate};
pub(crate) use scope::Scope;
pub use scope::Targets;
