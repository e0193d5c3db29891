//! Content freshness of new-media and website accounts.

pub mod probe;
