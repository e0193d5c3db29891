//! `credgov keys rotate --new-key-file F`: re-wraps every data key under a new master
//! key. Resumable: a crash midway leaves every key readable under one of the two keys,
//! and running the command again finishes.

use std::path::Path;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::{KeyringError, MasterKey, rotate_master_key};
use crate::db::Db;
use crate::error::CliError;

/// Exit 0 when every key is re-wrapped, 2 at the test crash point, 1 when refused.
pub async fn rotate(config: Config, new_key_file: &Path) -> Result<i32, CliError> {
    let db = Db::connect(&config.database_url, config.database_max_connections)
        .await
        .map_err(|e| CliError::from(e.to_string()))?;
    db.migrate()
        .await
        .map_err(|e| CliError::from(e.to_string()))?;
    let old = MasterKey::load(&config.master_key_file).map_err(KeyringError::from)?;
    let new = MasterKey::load(new_key_file).map_err(KeyringError::from)?;
    let crash_after = std::env::var("CREDGOV_TEST_CRASH_AFTER")
        .ok()
        .and_then(|v| v.parse().ok());
    let report = rotate_master_key(&db, &old, &new, SystemClock.now_ms(), crash_after).await?;
    db.close().await;
    if !report.finished {
        println!(
            "stopped after re-wrapping {} keys (test crash point); run the command again to finish",
            report.rewrapped
        );
        return Ok(2);
    }
    println!(
        "master key rotated: {} keys re-wrapped (recorded as keys.rotate in the root unit's audit trail). Now point CREDGOV_MASTER_KEY_FILE at {} (or replace {} with it) and restart every running server (until then they refuse to create new unit keys), keep the old key offline until backups taken before today have expired.",
        report.rewrapped,
        new_key_file.display(),
        config.master_key_file.display()
    );
    Ok(0)
}
