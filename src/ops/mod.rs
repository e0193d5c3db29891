//! Operations: backups and checking a restored database (`credgov backup`,
//! `credgov restore-check`).

mod backup;
mod restore_check;

pub use backup::{BackupReport, backup};
pub use restore_check::{CheckReport, restore_check};
