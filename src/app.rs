//! Application state and start-up: configuration → database → migrations → master
//! key → policies → holiday calendars → HTTP router.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::calendar::CalendarHandle;
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::{Keyring, KeyringError};
use crate::db::Db;
use crate::identity::PasswordHasher;
use crate::outbound::OutboundClient;
use crate::policy::{Policy, PolicySet};

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

pub struct Inner {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    /// The configured preset: logins, lockout, sessions, and the root of the unit tree.
    pub policy: Policy,
    /// Every preset, for units that choose another one.
    pub policies: PolicySet,
    pub hasher: PasswordHasher,
    pub keyring: Keyring,
    /// Seals users' TOTP secrets.
    pub totp_key: Zeroizing<[u8; 32]>,
    /// Chinese working days (holiday calendars), for deadlines.
    pub calendar: CalendarHandle,
    /// The one outgoing HTTP client (freshness probes, later webhooks), built from
    /// `[outbound]`, so its one-request-per-host limit holds across callers.
    pub outbound: Arc<OutboundClient>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Key(#[from] KeyringError),
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    #[error("database: {0}")]
    Sql(String),
    #[error("{0}")]
    Other(String),
}

impl From<sqlx::Error> for StartError {
    fn from(e: sqlx::Error) -> Self {
        StartError::Sql(e.to_string())
    }
}

impl AppState {
    /// Connects, migrates, loads the key and policies.
    pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<AppState, StartError> {
        config.validate()?;
        let policies = PolicySet::load(config.policies_dir.as_deref())?;
        let policy = policies.get(&config.policy)?.clone();
        let db = Db::connect(&config.database_url, config.database_max_connections).await?;
        db.migrate().await?;
        crate::identity::usernames::warn_about_clashes(db.pool()).await?;
        let keyring = Keyring::load(&db, &config.master_key_file, clock.now_ms()).await?;
        let hasher = PasswordHasher::new(&config.argon2).map_err(StartError::Other)?;
        let totp_key = keyring.derive("user-totp");
        let calendar = CalendarHandle::load(db.pool()).await?;
        let outbound = OutboundClient::new(&config.outbound)
            .map_err(|e| StartError::Other(format!("outbound client: {e}")))?;
        Ok(AppState {
            inner: Arc::new(Inner {
                db,
                clock,
                config,
                policy,
                policies,
                hasher,
                keyring,
                totp_key,
                calendar,
                outbound: Arc::new(outbound),
            }),
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
