//! argon2id hashing on a small pool of dedicated threads, off the async executor. The
//! pool has `max_concurrent` workers (default: cores − 1) running at a lower CPU
//! priority, so a login storm queues instead of starving every other request of CPU:
//! interactive requests keep their latency while logins wait their turn. The queue is
//! bounded (`max_queue`, default 64 per worker): when it is full a request is refused at
//! once with 503 `busy` instead of waiting behind a flood.
//!
//! Each worker keeps its argon2id working memory (`m_kib`, 19 MiB by default) from one
//! verification to the next while logins keep coming, wiped after each use, and gives
//! it back after [`KEEP_WARM`] without one ([`WorkerMemory`]). Allocating it afresh for
//! every login cost 6 ms of page faults on a 16.5 ms verification (the server maps
//! large buffers on their own and unmaps them on free: `crate::server_memory`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::phc::Output;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _,
    Version,
};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::config::Argon2Config;
use crate::error::InternalError;

/// Niceness of hashing threads (Linux: 0 normal … 19 lowest).
const HASH_NICENESS: i32 = 19;
/// Time slice the kernel is asked to give hashing threads (its minimum).
const HASH_SLICE: Duration = Duration::from_micros(100);
/// Default queue length per worker.
const QUEUE_PER_WORKER: usize = 64;
/// What a refused request is told to wait, in seconds.
const BUSY_RETRY_SECONDS: u64 = 1;
/// A worker idle this long gives its argon2 working memory back to the system.
pub const KEEP_WARM: Duration = Duration::from_secs(2);

type Job = Box<dyn FnOnce(&mut WorkerMemory) + Send + 'static>;

/// One hashing worker's argon2 blocks, kept between verifications so that a login
/// does not fault in `m_kib` of fresh pages. Wiped after every use (the blocks are
/// derived from the password); dropped, and so unmapped, when the worker idles.
#[derive(Default)]
struct WorkerMemory {
    blocks: Vec<Block>,
    dirty: bool,
}

impl WorkerMemory {
    /// At least `n` blocks, kept for the next use.
    fn blocks(&mut self, n: usize) -> &mut [Block] {
        if self.blocks.len() < n {
            self.blocks = Vec::new();
            self.blocks.resize(n, Block::default());
        }
        self.dirty = true;
        &mut self.blocks[..n]
    }

    /// Zeroes what the last use left.
    fn wipe(&mut self) {
        if std::mem::take(&mut self.dirty) {
            self.blocks.iter_mut().for_each(zeroize::Zeroize::zeroize);
        }
    }

    fn is_held(&self) -> bool {
        !self.blocks.is_empty()
    }

    fn release(&mut self) {
        self.wipe();
        self.blocks = Vec::new();
    }
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    jobs: flume::Sender<Job>,
    /// Jobs queued or running, and how many may be at once (workers + queue).
    in_pool: Arc<AtomicUsize>,
    capacity: usize,
    /// argon2 verifications computed (real and dummy), for tests and metrics.
    verifications: Arc<AtomicU64>,
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
            .field("capacity", &self.capacity)
            .finish()
    }
}

fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // Niceness 19 and, where the kernel takes one (Linux ≥ 6.12's EEVDF), a short
        // time slice: a request that wakes while a worker hashes waits at most
        // `HASH_SLICE` instead of the rest of the worker's default slice.
        let attr = libc::sched_attr {
            size: std::mem::size_of::<libc::sched_attr>() as u32,
            sched_policy: libc::SCHED_OTHER as u32,
            sched_flags: 0,
            sched_nice: HASH_NICENESS,
            sched_priority: 0,
            sched_runtime: HASH_SLICE.as_nanos() as u64,
            sched_deadline: 0,
            sched_period: 0,
        };
        // SAFETY: sched_setattr on the calling thread (pid 0) reads `attr`, which lives
        // across the call and whose `size` is its own; setpriority (who = the calling
        // thread) only changes its scheduling weight. Neither has other preconditions.
        unsafe {
            if libc::syscall(
                libc::SYS_sched_setattr,
                0,
                &attr as *const libc::sched_attr,
                0,
            ) != 0
            {
                let tid = libc::gettid();
                let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, HASH_NICENESS);
            }
        }
    }
}

fn spawn_workers(n: usize) -> Result<flume::Sender<Job>, String> {
    let (tx, rx) = flume::unbounded::<Job>();
    for i in 0..n {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("credgov-argon2-{i}"))
            .spawn(move || {
                lower_priority();
                let mut memory = WorkerMemory::default();
                loop {
                    let job = if memory.is_held() {
                        match rx.recv_timeout(KEEP_WARM) {
                            Err(flume::RecvTimeoutError::Timeout) => {
                                memory.release();
                                continue;
                            }
                            job => job.ok(),
                        }
                    } else {
                        rx.recv().ok()
                    };
                    match job {
                        Some(job) => job(&mut memory),
                        None => return, // every sender dropped: shut down
                    }
                }
            })
            .map_err(|e| format!("cannot start hashing threads: {e}"))?;
    }
    Ok(tx)
}

impl PasswordHasher {
    pub fn new(cfg: &Argon2Config) -> Result<Self, String> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
            .map_err(|e| format!("argon2 parameters: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = cfg
            .max_concurrent
            .unwrap_or(cores.saturating_sub(1).max(1))
            .max(1);
        let queue = cfg
            .max_queue
            .unwrap_or(workers.saturating_mul(QUEUE_PER_WORKER))
            .max(1);
        let mut hasher = PasswordHasher {
            params,
            jobs: spawn_workers(workers)?,
            in_pool: Arc::new(AtomicUsize::new(0)),
            capacity: workers.saturating_add(queue),
            verifications: Arc::new(AtomicU64::new(0)),
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

    /// The raw verification (argon2's own, memory allocated for the call), for
    /// benchmarks.
    pub fn verify_blocking(&self, password: &[u8], hash: &str) -> bool {
        self.argon2().verify_password(password, hash).is_ok()
    }

    /// The verification of [`Self::verify_blocking`] (algorithm, version, parameters
    /// and salt from the stored hash; outputs compared in constant time) in a worker's
    /// kept memory.
    fn verify_in(&self, password: &[u8], stored: &str, memory: &mut WorkerMemory) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return false;
        };
        let (Ok(algorithm), Ok(params)) = (
            Algorithm::try_from(hash.algorithm.as_str()),
            Params::try_from(&hash),
        ) else {
            return false;
        };
        let Ok(version) = hash
            .version
            .map_or(Ok(Version::default()), Version::try_from)
        else {
            return false;
        };
        let blocks = params.block_count();
        let mut out = Zeroizing::new([0u8; Output::MAX_LENGTH]);
        let Some(out) = out.get_mut(..expected.len()) else {
            return false;
        };
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password, salt, out, memory.blocks(blocks))
            .is_ok()
            && Output::new(out).is_ok_and(|computed| computed == *expected)
    }

    /// How many argon2 verifications this hasher has computed (dummy ones included).
    /// Hashes running or waiting for a hashing thread now (the queue's depth).
    pub fn in_flight(&self) -> usize {
        self.in_pool.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Runs `f` on the hashing pool and waits for its result. Refuses at once with 503
    /// `busy` when every worker is busy and the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&PasswordHasher, &mut WorkerMemory) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let place = self.take_place()?;
        self.run_in(place, f).await
    }

    /// A place in the pool for one job, or `busy` at once when every worker is busy and
    /// the queue is full. A login takes it before touching the database, so a storm of
    /// logins the pool cannot take is refused having read and written nothing. Dropped
    /// unused, it is given back.
    pub fn take_place(&self) -> Result<HashPlace, HashError> {
        PoolSlot::take(&self.in_pool, self.capacity)
            .map(HashPlace)
            .ok_or(HashError::Busy)
    }

    /// Runs `f` in the place taken for it and waits for its result.
    async fn run_in<T: Send + 'static>(
        &self,
        HashPlace(slot): HashPlace,
        f: impl FnOnce(&PasswordHasher, &mut WorkerMemory) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (tx, rx) = oneshot::channel();
        let this = self.clone();
        self.jobs
            .send(Box::new(move |memory| {
                // Held until the job is done, even when the waiting request went away.
                let out = f(&this, memory);
                let _ = tx.send(out);
                // After the answer: the caller does not wait for the wipe.
                memory.wipe();
                drop(slot);
            }))
            .map_err(|_| HashError::internal("hashing pool stopped"))?;
        rx.await
            .map_err(|_| HashError::internal("hashing job dropped"))
    }

    pub async fn hash(&self, password: Zeroizing<String>) -> Result<String, HashError> {
        self.run(move |h, _| h.hash_blocking(password.as_bytes()))
            .await?
            .map_err(HashError::internal)
    }

    /// Verifies against `hash`, or against the dummy hash when there is no user.
    pub async fn verify(
        &self,
        password: Zeroizing<String>,
        hash: Option<String>,
    ) -> Result<bool, HashError> {
        let place = self.take_place()?;
        self.verify_in_place(place, password, hash).await
    }

    /// [`Self::verify`] in a place taken earlier ([`Self::take_place`]).
    pub async fn verify_in_place(
        &self,
        place: HashPlace,
        password: Zeroizing<String>,
        hash: Option<String>,
    ) -> Result<bool, HashError> {
        self.run_in(place, move |h, memory| {
            h.verifications.fetch_add(1, Ordering::Relaxed);
            match hash {
                Some(stored) => h.verify_in(password.as_bytes(), &stored, memory),
                None => {
                    let _ = h.verify_in(password.as_bytes(), &h.dummy_hash, memory);
                    false
                }
            }
        })
        .await
    }
}

/// Other CPU-heavy work (zxcvbn strength estimates) on the same pool, so that it
/// queues behind a cap instead of blocking the async executor.
impl PasswordHasher {
    pub async fn run_cpu<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        self.run(move |_, _| f()).await
    }
}

crate::error_enum! {
    /// Why the hashing pool did not compute: full (retry later) or broken.
    #[derive(Debug, thiserror::Error)]
    pub enum HashError {
        /// Every worker is busy and the queue is full; nothing was computed.
        #[error("the server is busy checking other passwords; try again in a moment")]
        Busy => (Busy, "busy"),
    }
    #[error(transparent)]
    nested {
        Internal(InternalError),
    }
    retry_after = retry_after;
}

impl HashError {
    fn internal(cause: impl std::fmt::Display) -> Self {
        HashError::Internal(InternalError::new(cause))
    }
}

/// A full pool is worth retrying after [`BUSY_RETRY_SECONDS`].
fn retry_after(e: &HashError) -> Option<u64> {
    match e {
        HashError::Busy => Some(BUSY_RETRY_SECONDS),
        HashError::Internal(_) => None,
    }
}

/// One place in the pool (queued or running), given back when dropped.
struct PoolSlot(Arc<AtomicUsize>);

/// A place taken in the hashing pool ([`PasswordHasher::take_place`]), given back when
/// its job is done or when it is dropped unused.
pub struct HashPlace(PoolSlot);

impl PoolSlot {
    fn take(in_pool: &Arc<AtomicUsize>, capacity: usize) -> Option<PoolSlot> {
        in_pool
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < capacity).then_some(n + 1)
            })
            .ok()
            .map(|_| PoolSlot(in_pool.clone()))
    }
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters and one worker.
    fn weak(memory_kib: u32, max_queue: Option<usize>) -> Argon2Config {
        Argon2Config {
            memory_kib,
            iterations: 1,
            parallelism: 1,
            max_concurrent: Some(1),
            max_queue,
            insecure_allow_weak_params_for_tests: true,
        }
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = PasswordHasher::new(&weak(256, None)).unwrap();
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
        // Many at once through one worker.
        let mut all = Vec::new();
        for i in 0..8 {
            let h = h.clone();
            all.push(tokio::spawn(async move {
                h.hash(Zeroizing::new(format!("pw{i}"))).await
            }));
        }
        for j in all {
            assert!(j.await.unwrap().is_ok());
        }
    }

    #[test]
    fn kept_memory_verifies_as_argon2_does_and_is_wiped() {
        let cfg = weak(64, None);
        let h = PasswordHasher::new(&cfg).unwrap();
        let small = h.hash_blocking(b"correct horse").unwrap();
        // A hash stored under other parameters (before a policy change) needs more memory.
        let other = PasswordHasher::new(&Argon2Config {
            memory_kib: 128,
            iterations: 2,
            ..cfg
        })
        .unwrap()
        .hash_blocking(b"correct horse")
        .unwrap();
        let mut memory = WorkerMemory::default();
        for stored in [&small, &other, &small] {
            for (password, right) in [(&b"correct horse"[..], true), (b"correct horsf", false)] {
                assert_eq!(h.verify_blocking(password, stored), right);
                assert_eq!(h.verify_in(password, stored, &mut memory), right);
            }
        }
        assert_eq!(memory.blocks.len(), 128, "kept at the largest size used");
        assert!(!h.verify_in(b"x", "not a hash", &mut memory));
        assert!(!h.verify_in(b"x", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ", &mut memory));
        let zero = |m: &WorkerMemory| m.blocks.iter().all(|b| b.as_ref().iter().all(|w| *w == 0));
        assert!(!zero(&memory), "used");
        memory.wipe();
        assert!(zero(&memory), "wiped");
        memory.release();
        assert!(!memory.is_held());
    }

    #[tokio::test]
    async fn full_queue_refuses_without_hashing() {
        let h = PasswordHasher::new(&weak(256, Some(1))).unwrap();
        // Block the only worker, then fill the one queue place.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let blocker = {
            let h = h.clone();
            tokio::spawn(async move {
                h.run(move |_, _| {
                    let _ = wait.recv();
                })
                .await
            })
        };
        while h.in_pool.load(Ordering::Acquire) < 1 {
            tokio::task::yield_now().await;
        }
        let queued = {
            let h = h.clone();
            tokio::spawn(async move { h.verify(Zeroizing::new("a".into()), None).await })
        };
        while h.in_pool.load(Ordering::Acquire) < 2 {
            tokio::task::yield_now().await;
        }
        let before = h.verifications();
        let e = crate::error::AppError::from(
            h.verify(Zeroizing::new("b".into()), None)
                .await
                .unwrap_err(),
        );
        assert_eq!(e.code(), "busy");
        assert_eq!(e.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            h.verifications(),
            before,
            "a refused request computes nothing"
        );
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        assert!(!queued.await.unwrap().unwrap());
        assert_eq!(h.verifications(), before + 1);
        // A worker gives its place back after the answer and the wipe that follows it.
        let given_back = async {
            while h.in_pool.load(Ordering::Acquire) != 0 {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        };
        assert!(
            tokio::time::timeout(std::time::Duration::from_secs(5), given_back)
                .await
                .is_ok(),
            "places are given back"
        );
        assert!(!h.verify(Zeroizing::new("c".into()), None).await.unwrap());
    }

    /// The kernel release's (major, minor), e.g. (6, 18) for "6.18.44-…".
    #[cfg(target_os = "linux")]
    fn kernel_release() -> (u32, u32) {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        let mut parts = release
            .trim()
            .split(['.', '-'])
            .map(|p| p.parse().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn workers_hash_at_the_lowest_priority_in_short_slices() {
        let h = PasswordHasher::new(&weak(256, None)).unwrap();
        let (nice, sched) = h
            .run(|_, _| {
                // SAFETY: getpriority on the calling thread reads its niceness only.
                let nice =
                    unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
                (
                    nice,
                    std::fs::read_to_string("/proc/thread-self/sched").unwrap(),
                )
            })
            .await
            .unwrap();
        assert_eq!(nice, HASH_NICENESS);
        // Linux 6.12 and later take a custom slice for SCHED_OTHER threads.
        if kernel_release() >= (6, 12) {
            let slice = sched
                .lines()
                .find(|l| l.starts_with("se.slice"))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string());
            assert_eq!(
                slice.as_deref(),
                Some(HASH_SLICE.as_nanos().to_string().as_str()),
                "{sched}"
            );
        }
    }
}
