//! argon2id hashing off the async executor. A semaphore caps how many hashes run at
//! once (default: cores − 1), so a login storm cannot starve other requests of CPU.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::config::Argon2Config;
use crate::error::{AppError, AppResult};

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// Hash of a random password, verified against when the user does not exist so
    /// that timing does not reveal which usernames exist.
    dummy_hash: Arc<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("m_kib", &self.params.m_cost())
            .field("t", &self.params.t_cost())
            .field("p", &self.params.p_cost())
            .finish()
    }
}

impl PasswordHasher {
    pub fn new(cfg: &Argon2Config) -> Result<Self, String> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
            .map_err(|e| format!("argon2 parameters: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let permits = cfg
            .max_concurrent
            .unwrap_or(cores.saturating_sub(1).max(1))
            .max(1);
        let mut hasher = PasswordHasher {
            params,
            permits: Arc::new(Semaphore::new(permits)),
            dummy_hash: Arc::new(String::new()),
        };
        let dummy = Zeroizing::new(crate::crypto::random_token(""));
        hasher.dummy_hash = Arc::new(hasher.hash_blocking(dummy.as_bytes())?);
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The raw hash computation, for benchmarks and start-up.
    pub fn hash_blocking(&self, password: &[u8]) -> Result<String, String> {
        self.argon2()
            .hash_password(password)
            .map(|h| h.to_string())
            .map_err(|e| format!("argon2: {e}"))
    }

    /// The raw verification, for benchmarks.
    pub fn verify_blocking(&self, password: &[u8], hash: &str) -> bool {
        self.argon2().verify_password(password, hash).is_ok()
    }

    pub async fn hash(&self, password: Zeroizing<String>) -> AppResult<String> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(password.as_bytes()))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)
    }

    /// Verifies against `hash`, or against the dummy hash when there is no user.
    pub async fn verify(
        &self,
        password: Zeroizing<String>,
        hash: Option<String>,
    ) -> AppResult<bool> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || match hash {
            Some(h) => this.verify_blocking(password.as_bytes(), &h),
            None => {
                let _ = this.verify_blocking(password.as_bytes(), &this.dummy_hash);
                false
            }
        })
        .await
        .map_err(AppError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let cfg = Argon2Config {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
            max_concurrent: Some(1),
            insecure_allow_weak_params_for_tests: true,
        };
        let h = PasswordHasher::new(&cfg).unwrap();
        let hash = h
            .hash(Zeroizing::new("correct horse".into()))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert!(
            h.verify(Zeroizing::new("correct horse".into()), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !h.verify(Zeroizing::new("wrong".into()), Some(hash))
                .await
                .unwrap()
        );
        assert!(!h.verify(Zeroizing::new("x".into()), None).await.unwrap());
    }
}
