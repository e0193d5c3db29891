//! The database: one `AnyPool` over SQLite or PostgreSQL, the migrations, and every
//! place where the two engines differ. Nothing outside this module branches on the
//! backend.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use sqlx::AnyConnection;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};
use zeroize::Zeroizing;

use crate::config::redact_url;

mod backup;
mod checkpoint;
mod compression;
pub mod counters;
mod rows;

pub use backup::{BackupReport, backup};
use rows::OnConflict;
pub use rows::{ROWS_PER_STATEMENT, Values};

/// A write transaction. Derefs to the connection, so `&mut *tx` is an executor.
/// Dropping it without `commit` rolls back. Audit events are written only through its
/// `audit` method (defined beside the event store in `audit/store.rs`), in the same
/// transaction as the change they record.
pub struct Tx {
    tx: Transaction<'static, Any>,
    /// SQLite: this process's write permit, released after the transaction ends.
    _permit: Option<OwnedMutexGuard<()>>,
    backend: Backend,
    chain_key: Arc<OnceLock<ChainKey>>,
}

/// Tables whose rows [`Tx::lock_row_for_update`] may lock (the name goes into SQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockTable {
    Units,
    /// Scheduled jobs (`jobs.id` is the job's name).
    Jobs,
}

impl LockTable {
    fn as_str(self) -> &'static str {
        match self {
            LockTable::Units => "units",
            LockTable::Jobs => "jobs",
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// SQL for the text of the JSON scalar at `key` in `column` (an expression holding
    /// JSON text), NULL when absent: `json_extract` on SQLite, `->>` on PostgreSQL.
    pub fn json_field(&self, column: &str, key: &'static str) -> String {
        json_field(self.backend, column, key)
    }

    /// [`Db::insert_rows`] in this transaction.
    pub async fn insert_rows(
        &mut self,
        table: &str,
        columns: Vec<(&str, Values)>,
    ) -> Result<(), sqlx::Error> {
        rows::insert_rows(self.backend, &mut self.tx, table, columns, OnConflict::Fail).await?;
        Ok(())
    }

    /// Like [`Tx::insert_rows`], but a row whose unique key is taken (a dedupe key
    /// queued before, or twice in `columns`) is skipped; how many rows were written.
    pub async fn insert_new_rows(
        &mut self,
        table: &str,
        columns: Vec<(&str, Values)>,
    ) -> Result<u64, sqlx::Error> {
        rows::insert_rows(self.backend, &mut self.tx, table, columns, OnConflict::Skip).await
    }

    /// A write followed by an update of one more row, as the SQL to run now and
    /// whether `then` must still run on its own: PostgreSQL folds `then` (which may use
    /// `first`'s parameters) into `first` as a data-modifying CTE, one round trip; on
    /// SQLite (no round trips to save) `first` runs alone and the caller runs `then`.
    pub fn write_then(&self, first: &str, then: &str) -> (String, bool) {
        match self.backend {
            Backend::Postgres => (format!("WITH first AS ({first}) {then}"), false),
            Backend::Sqlite => (first.to_string(), true),
        }
    }

    /// Locks one row (by `id`) until this transaction ends, so "check then write"
    /// sequences that serialise on it hold with several servers on one PostgreSQL
    /// (`SELECT … FOR NO KEY UPDATE`). On SQLite the transaction already holds the database
    /// write lock (`BEGIN IMMEDIATE`), so only the row's existence is read. Returns
    /// whether the row exists.
    pub async fn lock_row_for_update(
        &mut self,
        table: LockTable,
        id: &str,
    ) -> Result<bool, sqlx::Error> {
        // NO KEY: inserts whose foreign keys point at the row are not blocked.
        self.lock_row(table, id, "FOR NO KEY UPDATE").await
    }

    /// Locks one row (by `id`) until this transaction ends unless another transaction
    /// holds it: PostgreSQL `FOR UPDATE SKIP LOCKED`, so claimers never queue behind each
    /// other; SQLite's write transaction already holds the database, so only the row's
    /// existence is read. Returns false when the row is absent or locked elsewhere.
    pub async fn try_lock_row(&mut self, table: LockTable, id: &str) -> Result<bool, sqlx::Error> {
        self.lock_row(table, id, "FOR UPDATE SKIP LOCKED").await
    }

    /// `SELECT id … WHERE id = $1` with the PostgreSQL lock clause (none on SQLite).
    async fn lock_row(
        &mut self,
        table: LockTable,
        id: &str,
        pg_clause: &'static str,
    ) -> Result<bool, sqlx::Error> {
        let sql = match self.backend {
            Backend::Postgres => format!(
                "SELECT id FROM {} WHERE id = $1 {pg_clause}",
                table.as_str()
            ),
            Backend::Sqlite => format!("SELECT id FROM {} WHERE id = $1", table.as_str()),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.is_some())
    }

    /// The clause a claiming `SELECT … ` ends with so that claimers never wait for, nor
    /// take, rows another transaction holds: PostgreSQL `FOR UPDATE SKIP LOCKED`;
    /// nothing on SQLite, whose write transaction already holds the whole database.
    pub fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// The audit chain key of this database (see [`Db::set_chain_key`]).
    pub fn chain_key(&self) -> Option<&ChainKey> {
        self.chain_key.get()
    }
}

/// The key that links audit events (HMAC-SHA256), derived from the system key when the
/// keyring loads. Carried by the database handle so every audited write transaction has
/// it; never printed.
#[derive(Clone)]
pub struct ChainKey(Zeroizing<[u8; 32]>);

impl ChainKey {
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        ChainKey(key)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(***)")
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer. Writers of this process queue here in order instead of
    /// polling the file lock through the busy handler (which sleeps in 1–100 ms steps
    /// and turns contention into long tail latency).
    write_lock: Arc<Mutex<()>>,
    chain_key: Arc<OnceLock<ChainKey>>,
    /// The pool of [`Db::begin_write_relaxed`]. SQLite: one connection with
    /// `synchronous = NORMAL` (opened on first use), a pool of its own so the setting
    /// never reaches a connection that commits anything else; PostgreSQL: `pool`.
    relaxed: AnyPool,
    /// SQLite: the background checkpoints of the write-ahead log (see `checkpoint`).
    _checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("migrations failed: {0}")]
    Migrate(String),
}

impl Db {
    /// Connects, creating the SQLite file and its folder if needed. SQLite runs in WAL
    /// mode with `synchronous=FULL` (a confirmed password must survive power loss),
    /// a busy timeout and foreign keys on, its log checkpointed in the background
    /// (`checkpoint`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        Self::connect_checkpointing(url, max_connections, checkpoint::EVERY).await
    }

    /// [`Db::connect`], SQLite's log checkpointed every `every`.
    async fn connect_checkpointing(
        url: &str,
        max_connections: u32,
        every: Duration,
    ) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let shown = redact_url(url);
        let fail = |reason: String| DbError::Connect {
            url: shown.clone(),
            reason,
        };
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url).map_err(fail)?,
            Backend::Postgres => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(|e| fail(e.to_string()))?;
        let pool = pool_options(backend, max_connections, Durability::Full)
            .connect_with(options.clone())
            .await
            .map_err(|e| fail(e.to_string()))?;
        let relaxed = match backend {
            Backend::Sqlite => {
                pool_options(backend, 1, Durability::Relaxed).connect_lazy_with(options)
            }
            Backend::Postgres => pool.clone(),
        };
        let checkpointer =
            (backend == Backend::Sqlite).then(|| checkpoint::spawn(pool.clone(), every));
        Ok(Db {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
            chain_key: Arc::new(OnceLock::new()),
            relaxed,
            _checkpointer: checkpointer,
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Sets the audit chain key once (the keyring does it when it loads; one database has
    /// one system key, so a second call carries the same key and is ignored).
    pub fn set_chain_key(&self, key: ChainKey) {
        let _ = self.chain_key.set(key);
    }

    pub fn chain_key(&self) -> Option<&ChainKey> {
        self.chain_key.get()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Inserts many rows into `table` in `tx`: `columns` are names and their values, one
    /// per row or one for all (see [`rows`]).
    pub async fn insert_rows(
        &self,
        tx: &mut Tx,
        table: &str,
        columns: Vec<(&str, Values)>,
    ) -> Result<(), sqlx::Error> {
        rows::insert_rows(self.backend, tx, table, columns, OnConflict::Fail).await?;
        Ok(())
    }

    /// SQL for the segment of the unit path `path` (an expression) that starts at
    /// character `from` (1-based) and ends before the next `/`: the id of the unit at
    /// that depth. The character search is `instr` on SQLite and `strpos` on
    /// PostgreSQL; paths are ids and slashes, so characters are bytes.
    pub fn path_segment(&self, path: &str, from: usize) -> String {
        path_segment(self.backend, path, from)
    }

    /// Applies every pending migration, then sets what the shared migrations cannot
    /// express: the engine-specific triggers keeping the risk counters ([`counters`])
    /// and, on PostgreSQL, lz4 for the audit details ([`compression`]).
    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| DbError::Migrate(e.to_string()))?;
        counters::install(self)
            .await
            .map_err(|e| DbError::Migrate(format!("risk counter triggers: {e}")))?;
        compression::prefer_lz4(self)
            .await
            .map_err(|e| DbError::Migrate(format!("audit details compression: {e}")))
    }

    /// The number of migrations applied when they are exactly this build's (the same
    /// versions with the same checksums, each finished); else a sentence saying what
    /// differs. Reads only (a restored backup is checked before anything runs on it).
    pub async fn check_migrations(&self) -> Result<usize, String> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| {
            format!("reading the applied migrations: {e} (is this a credgov database?)")
        })?;
        let mut applied = std::collections::BTreeMap::new();
        for r in &rows {
            let version: i64 = r.try_get(0).map_err(|e| e.to_string())?;
            let checksum: Vec<u8> = r.try_get(1).map_err(|e| e.to_string())?;
            applied.insert(version, checksum);
        }
        let mut known = 0;
        for m in MIGRATOR
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
        {
            known += 1;
            match applied.remove(&m.version) {
                None => {
                    return Err(format!(
                        "migration {} ({}) is not applied: the database is older than this build (run credgov migrate on a copy first)",
                        m.version, m.description
                    ));
                }
                Some(c) if c.as_slice() != m.checksum.as_ref() => {
                    return Err(format!(
                        "migration {} ({}) differs from this build's: the database was changed by another program",
                        m.version, m.description
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(v) = applied.keys().next() {
            return Err(format!(
                "migration {v} is unknown to this build: the database comes from a newer credgov"
            ));
        }
        Ok(known)
    }

    /// A transaction that will write. On SQLite it waits for this process's write
    /// permit, then takes the database write lock up front (`BEGIN IMMEDIATE`), so a
    /// read-then-write transaction cannot fail to upgrade under concurrency; on
    /// PostgreSQL it is a plain `BEGIN` and rows are locked as they are touched. Never
    /// begin a second write transaction while holding one.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.begin_sqlite(&self.pool).await,
            Backend::Postgres => Ok(Tx {
                tx: self.pool.begin().await?,
                _permit: None,
                backend: Backend::Postgres,
                chain_key: self.chain_key.clone(),
            }),
        }
    }

    /// A write transaction whose commit does not wait for the disk flush: on PostgreSQL
    /// `synchronous_commit = off` for this transaction only (sent with its `BEGIN`, one
    /// round trip), on SQLite a connection with `synchronous = NORMAL`. Still atomic, and
    /// in commit order on both engines (one write-ahead log): a power loss or an
    /// operating-system crash can lose the last such transactions whole (changes and
    /// their audit events together), never half of one, and never one committed before
    /// a durable commit that survived. A crash of credgov alone loses nothing. Only for
    /// records that are cheap to lose (a login's attempt slots, a new session), never
    /// for credentials.
    pub async fn begin_write_relaxed(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.begin_sqlite(&self.relaxed).await,
            Backend::Postgres => Ok(Tx {
                tx: self
                    .relaxed
                    .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
                    .await?,
                _permit: None,
                backend: Backend::Postgres,
                chain_key: self.chain_key.clone(),
            }),
        }
    }

    /// A write transaction on `pool`, one of this database's SQLite pools: waits for
    /// this process's write permit, then takes the write lock (`BEGIN IMMEDIATE`).
    async fn begin_sqlite(&self, pool: &AnyPool) -> Result<Tx, sqlx::Error> {
        let permit = self.write_lock.clone().lock_owned().await;
        let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Tx {
            tx,
            _permit: Some(permit),
            backend: Backend::Sqlite,
            chain_key: self.chain_key.clone(),
        })
    }

    pub async fn close(&self) {
        // On PostgreSQL both are the same pool; closing it twice is harmless.
        self.relaxed.close().await;
        self.pool.close().await;
    }
}

/// Locks one user's row until `tx` ends, so that two transactions deciding on the
/// same user's roles (check the roles held, then insert one) run one after the other.
/// PostgreSQL: the UPDATE takes the row lock; SQLite: the write transaction already
/// holds the single database write lock. Returns false when there is no such user.
pub async fn lock_user(tx: &mut Tx, user_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// True when the error is a unique or primary-key violation (both engines).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                || d.code()
                    .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}

/// True when the statement lost a race it may simply retry: a PostgreSQL deadlock
/// victim or serialisation failure, or SQLite busy.
pub fn is_retryable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c == "40P01" || c == "40001" || c == "5" || c == "517"),
        _ => false,
    }
}

/// How a pool's connections commit on SQLite: `Full` syncs the write-ahead log at every
/// commit (a confirmed password survives power loss), `Relaxed` only at checkpoints.
enum Durability {
    Full,
    Relaxed,
}

/// The settings of every SQLite connection, syncing as `$synchronous` says.
macro_rules! sqlite_pragmas {
    ($synchronous:literal) => {
        concat!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = ",
            $synchronous,
            "; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; ",
            // Checkpoints run in the background (`checkpoint`), not inside commits.
            "PRAGMA wal_autocheckpoint = 0;"
        )
    };
}

/// After this long unused, a pooled connection is checked with a round trip before it
/// is handed out (a database restart meanwhile would have closed it). A connection in
/// steady use is not: the check was one more round trip in every transaction (a
/// login has three).
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Each PostgreSQL session's settings. `jit = off`: the server compiles a query to
/// machine code once its estimated cost passes `jit_above_cost`, which the daily scan's
/// set-based statements over a district do; compiling took 20 ms and more per
/// statement for statements that run in a few, and turning it off took the next-day
/// scan at 10,000 accounts from 1,092 to 669 ms (`cargo bench --bench scan`). This
/// service runs short statements only, the workload JIT is not meant for.
const POSTGRES_SESSION: &str = "SET jit = off";

/// The pool settings: PostgreSQL sessions as [`POSTGRES_SESSION`] says; SQLite
/// connections in WAL mode with a busy timeout and foreign keys on, syncing as
/// `durability` says.
fn pool_options(backend: Backend, max_connections: u32, durability: Durability) -> AnyPoolOptions {
    let options = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        });
    if backend == Backend::Postgres {
        return options.after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(POSTGRES_SESSION).await?;
                Ok(())
            })
        });
    }
    let pragmas = match durability {
        Durability::Full => sqlite_pragmas!("FULL"),
        Durability::Relaxed => sqlite_pragmas!("NORMAL"),
    };
    options.after_connect(move |conn, _meta| {
        Box::pin(async move {
            conn.execute(pragmas).await?;
            Ok(())
        })
    })
}

/// Adds `mode=rwc` so a missing file is created, and creates its folder.
fn prepare_sqlite_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.is_empty() || path == ":memory:" {
        return Err("an on-disk SQLite file is required (sqlite://./data/credgov.db)".into());
    }
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create folder {}: {e}", parent.display()))?;
    }
    if query.is_none_or(|q| !q.contains("mode=") || q.contains("mode=rwc")) {
        create_private(Path::new(path))?;
    }
    let query = match query {
        Some(q) if q.contains("mode=") => q.to_string(),
        Some(q) => format!("{q}&mode=rwc"),
        None => "mode=rwc".to_string(),
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Creates a new, empty SQLite file readable by its owner only (mode 0600, like the
/// key file): SQLite then gives its `-wal` and `-shm` files the same mode. An existing
/// file is left as it is.
fn create_private(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

/// Finds the root unit and locks its row until the transaction ends (see
/// [`Tx::lock_row_for_update`]): every change that could remove the last root sysadmin
/// serialises on it. None when the database is not initialised.
pub async fn lock_root_unit(tx: &mut Tx) -> Result<Option<String>, sqlx::Error> {
    use sqlx::Row;
    let row = sqlx::query("SELECT id FROM units WHERE parent_id IS NULL")
        .fetch_optional(&mut **tx)
        .await?;
    let Some(id) = row.map(|r| r.try_get::<String, _>(0)).transpose()? else {
        return Ok(None);
    };
    tx.lock_row_for_update(LockTable::Units, &id).await?;
    Ok(Some(id))
}

/// Converts a stored 0/1 flag.
pub fn flag(v: i64) -> bool {
    v != 0
}

/// New id: UUIDv7 text (time-ordered, so indexes stay append-mostly).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn path_segment(backend: Backend, path: &str, from: usize) -> String {
    let find = match backend {
        Backend::Sqlite => "instr",
        Backend::Postgres => "strpos",
    };
    format!("substr({path}, {from}, {find}(substr({path}, {from}), '/') - 1)")
}

fn json_field(backend: Backend, column: &str, key: &'static str) -> String {
    debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    match backend {
        Backend::Sqlite => format!("json_extract({column}, '$.{key}')"),
        Backend::Postgres => format!("(CAST({column} AS jsonb) ->> '{key}')"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_use_each_engines_operator() {
        assert_eq!(
            json_field(Backend::Sqlite, "f.details", "due_at"),
            "json_extract(f.details, '$.due_at')"
        );
        assert_eq!(
            json_field(Backend::Postgres, "f.details", "due_at"),
            "(CAST(f.details AS jsonb) ->> 'due_at')"
        );
    }

    #[test]
    fn path_segments_use_each_engines_search() {
        assert_eq!(
            path_segment(Backend::Sqlite, "u.path", 5),
            "substr(u.path, 5, instr(substr(u.path, 5), '/') - 1)"
        );
        assert_eq!(
            path_segment(Backend::Postgres, "u.path", 5),
            "substr(u.path, 5, strpos(substr(u.path, 5), '/') - 1)"
        );
    }

    #[test]
    fn sqlite_url_gets_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/x.db");
        let url = format!("sqlite://{}", p.display());
        let out = prepare_sqlite_url(&url).unwrap();
        assert!(out.ends_with("?mode=rwc"));
        assert!(dir.path().join("a/b").is_dir());
        assert!(prepare_sqlite_url("sqlite::memory:").is_err());
    }

    #[tokio::test]
    async fn sqlite_checkpoints_in_the_background_not_in_commits() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("credgov.db");
        let url = format!("sqlite://{}", p.display());
        let db = Db::connect_checkpointing(&url, 2, Duration::from_secs(3600))
            .await
            .unwrap();
        let every: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(every, 0, "no checkpoint inside a commit");
        sqlx::query("CREATE TABLE t (x BLOB)")
            .execute(db.pool())
            .await
            .unwrap();
        // ~8 MB in one commit: far past SQLite's own 1,000-page threshold.
        let mut tx = db.begin_write().await.unwrap();
        for _ in 0..2000 {
            sqlx::query("INSERT INTO t VALUES (randomblob(4000))")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let size = || std::fs::metadata(&p).unwrap().len();
        assert!(
            size() < 1 << 20,
            "the commit copied the log: {} bytes",
            size()
        );
        // The background task copies it.
        let _checkpoints = checkpoint::spawn(db.pool().clone(), Duration::from_millis(20));
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while size() < 8_000_000 && std::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(size() >= 8_000_000, "not checkpointed: {} bytes", size());
        db.close().await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_sqlite_file_and_its_wal_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("credgov.db");
        let db = Db::connect(&format!("sqlite://{}", p.display()), 1)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(db.pool())
            .await
            .unwrap();
        let wal = dir.path().join("credgov.db-wal");
        assert!(wal.exists(), "WAL mode writes a -wal file");
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(&wal), 0o600);
        db.close().await;
        // A URL that must not create leaves a missing file missing.
        let missing = dir.path().join("missing.db");
        assert!(
            Db::connect(&format!("sqlite://{}?mode=rw", missing.display()), 1)
                .await
                .is_err()
        );
        assert!(!missing.exists());
    }
}
