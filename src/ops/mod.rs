//! Operations: backups and checking a restored database (`credgov backup`,
//! `credgov restore-check`). The backup itself is the db module's (how depends on the
//! engine).

mod restore_check;

pub use crate::db::{BackupReport, backup};
pub use restore_check::{CheckReport, restore_check};
