//! `credgov restore-check --database-url URL`: is a restored database whole and
//! readable with the configured master key? Verifies the migrations, every audit
//! chain, and that every sealed value opens (unit data keys, credential versions,
//! account and user TOTP seeds, notification channel secrets, the SMTP password).
//! Reads only; stops at the first failure, naming it.

use std::sync::Arc;

use sqlx::Row;

use crate::app::AppState;
use crate::audit::{VerifyReport, verify_all};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::db::Db;

/// What a passing check counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub migrations: usize,
    pub chains: usize,
    pub events: u64,
    /// Sealed values opened, by kind.
    pub sealed: Vec<(&'static str, u64)>,
}

/// Checks the database at `config.database_url` with `config`'s master key. `Err` is
/// one sentence naming the first failure.
pub async fn restore_check(mut config: Config) -> Result<CheckReport, String> {
    config.database_url = without_create(&config.database_url);
    let db = Db::connect(&config.database_url, 2)
        .await
        .map_err(|e| e.to_string())?;
    let found = preflight(&db).await;
    db.close().await;
    let migrations = found?;
    // Nothing is pending (checked above), so starting migrates nothing and the
    // keyring exists, so it only loads and checks the key.
    let state = AppState::start(config, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    let result = check_state(&state, migrations).await;
    state.db.close().await;
    result
}

async fn check_state(state: &AppState, migrations: usize) -> Result<CheckReport, String> {
    let (chains, events) = match verify_all(&state.db).await.map_err(|e| e.to_string())? {
        VerifyReport::Intact { chains, events } => (chains, events),
        VerifyReport::Broken {
            unit_id,
            seq,
            reason,
        } => {
            return Err(format!(
                "the audit chain of unit {unit_id} is broken at event {seq}: {reason}"
            ));
        }
    };
    let unit_keys = state
        .keyring
        .check_unit_keys(state.db.pool())
        .await
        .map_err(|e| format!("a unit data key does not open: {e}"))?;
    let (versions, account_totp) = crate::vault::check_sealed(state).await?;
    let user_totp = crate::identity::check_sealed_totp(state).await?;
    let channels = crate::notify::check_sealed_channels(state).await?;
    let smtp = crate::notify::check_sealed_smtp(state).await?;
    Ok(CheckReport {
        migrations,
        chains,
        events,
        sealed: vec![
            ("unit data keys", unit_keys),
            ("credential versions", versions),
            ("account TOTP seeds", account_totp),
            ("user TOTP seeds", user_totp),
            ("notification channel secrets", channels),
            ("SMTP password", smtp),
        ],
    })
}

/// The migrations are exactly this build's, and the database holds credgov data.
async fn preflight(db: &Db) -> Result<usize, String> {
    let applied = db.check_migrations().await?;
    let keyring = sqlx::query("SELECT COUNT(*) FROM keyring")
        .fetch_one(db.pool())
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .map_err(|e| format!("reading the keyring: {e}"))?;
    if keyring == 0 {
        return Err("the database holds no keyring: it is empty or not a credgov backup".into());
    }
    Ok(applied)
}

/// A SQLite URL opened read-write without creating the file (a mistyped path is an
/// error, not a new empty database).
fn without_create(url: &str) -> String {
    if !url.starts_with("sqlite:") || url.contains("mode=") {
        return url.to_string();
    }
    if url.contains('?') {
        format!("{url}&mode=rw")
    } else {
        format!("{url}?mode=rw")
    }
}
