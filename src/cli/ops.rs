//! `credgov backup --out FILE` and `credgov restore-check --database-url URL`.

use std::path::Path;

use crate::config::Config;
use crate::error::CliError;

/// Exit 0 with where the backup went and a reminder about the key; 1 when refused.
pub async fn backup(config: &Config, out: &Path) -> Result<i32, CliError> {
    let report = crate::ops::backup(&config.database_url, out).await?;
    println!(
        "backup written to {} ({} bytes, {}, mode 0600). The master key is NOT in it: without {} (or enough of its shares from `credgov keys split`) the backup cannot be opened, so keep a copy of the key apart from the backups. Check a restore with `credgov restore-check --database-url …`.",
        out.display(),
        report.bytes,
        report.how,
        config.master_key_file.display()
    );
    Ok(0)
}

/// Exit 0 with the counts; 1 naming the first failure.
pub async fn restore_check(mut config: Config, database_url: String) -> Result<i32, CliError> {
    config.database_url = database_url;
    let r = crate::ops::restore_check(config).await?;
    let sealed: Vec<String> = r.sealed.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!(
        "restore check passed: {} migrations as this build expects; {} audit chains intact ({} events); opened {}",
        r.migrations,
        r.chains,
        r.events,
        sealed.join(", ")
    );
    Ok(0)
}
