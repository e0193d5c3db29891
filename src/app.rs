//! Application state and start-up: configuration → database → migrations → master
//! key → policies → HTTP router.

use std::sync::Arc;

use sqlx::Row;
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::{KeyError, MasterKey};
use crate::db::Db;
use crate::identity::PasswordHasher;
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
    pub policy: Policy,
    pub hasher: PasswordHasher,
    pub master_key: MasterKey,
    /// Seals users' TOTP secrets.
    pub totp_key: Zeroizing<[u8; 32]>,
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
    Key(#[from] KeyError),
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
        let master_key = load_master_key(&db, &config, clock.now_ms()).await?;
        let hasher = PasswordHasher::new(&config.argon2).map_err(StartError::Other)?;
        let totp_key = master_key.derive("user-totp");
        Ok(AppState {
            inner: Arc::new(Inner {
                db,
                clock,
                config,
                policy,
                hasher,
                master_key,
                totp_key,
            }),
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Loads the master key and checks it against the database. On a database that has
/// never seen a key, a missing key file is generated (mode 0600) with a warning.
async fn load_master_key(db: &Db, config: &Config, now: i64) -> Result<MasterKey, StartError> {
    let path = &config.master_key_file;
    let stored: Option<String> = sqlx::query("SELECT key_check FROM keyring WHERE id = 'master'")
        .fetch_optional(db.pool())
        .await?
        .map(|r| r.try_get("key_check"))
        .transpose()?;
    match stored {
        Some(check) => {
            if !path.exists() {
                return Err(KeyError::MissingForExistingData {
                    path: path.display().to_string(),
                }
                .into());
            }
            let key = MasterKey::load(path)?;
            if key.check_value() != check {
                return Err(KeyError::Mismatch {
                    path: path.display().to_string(),
                }
                .into());
            }
            Ok(key)
        }
        None => {
            let key = if path.exists() {
                MasterKey::load(path)?
            } else {
                let key = MasterKey::generate();
                key.write_new(path)?;
                tracing::warn!(
                    path = %path.display(),
                    "generated a new master key (mode 0600). Production must supply its own key via \
                     CREDGOV_MASTER_KEY_FILE and back it up: without it no stored secret can ever be read"
                );
                key
            };
            sqlx::query(
                "INSERT INTO keyring (id, key_check, created_at, updated_at) VALUES ('master', $1, $2, $2)",
            )
            .bind(key.check_value())
            .bind(now)
            .execute(db.pool())
            .await?;
            Ok(key)
        }
    }
}
