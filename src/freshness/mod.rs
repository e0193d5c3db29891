//! Content freshness of new-media and website accounts (内容更新): which accounts
//! publish content, publications reported through the API or imported from a CSV log,
//! and the `freshness_probe` job that reads each account's feed or page. Their dates
//! move `accounts.last_published_at`, which the inspection rules `content_stale`,
//! `zombie_account` and `account_unreachable` judge against the unit's `[freshness]`
//! policy.

mod content;
mod error;
mod import;
mod job;
pub mod probe;
mod publications;
pub(crate) mod routes;

pub use content::{CONTENT_PLATFORMS, parse_http_url, publishes_content};
pub use error::FreshnessError;
pub use import::{PublicationImport, import_publications};
pub use job::{FreshnessProbe, probe_due};
pub use publications::{NewPublication, Publication, recent_publications, report_publication};
pub use routes::router;
