//! Test harness: `spawn_app` starts the real service on port 0 against a fresh
//! database (a new SQLite file, or a new PostgreSQL database created from
//! `CREDGOV_TEST_DATABASE_URL`), with a movable clock and cheap argon2 parameters.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use credgov::app::AppState;
use credgov::clock::{Clock, ManualClock};
use credgov::config::Config;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs a scenario on both engines: `both_engines!(name);` next to `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::common::spawn_app($crate::common::Engine::Sqlite).await {
                    super::$name(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::common::spawn_app($crate::common::Engine::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
        )*
    };
}

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "Quartz-Lantern-Meadow-2931";

/// Everything the service logged while the test binary ran (for canary checks).
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| Arc::new(Mutex::new(Vec::new())))
}

struct BufWriter;
impl Write for BufWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        log_buffer()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install_log_capture() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_writer(|| BufWriter)
            .json()
            .with_current_span(true)
            .try_init();
    });
}

pub struct TestApp {
    pub engine: Engine,
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub config: Config,
    pub root_id: String,
    pub admin_token: String,
    pub admin_totp: String,
    pub dir: tempfile::TempDir,
    _pg: Option<PgDb>,
}

pub struct PgDb {
    admin_url: String,
    name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                sqlx::any::install_default_drivers();
                if let Ok(pool) = sqlx::AnyPool::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

pub fn pg_admin_url() -> Option<String> {
    std::env::var("CREDGOV_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Swaps the database name at the end of a PostgreSQL URL.
pub fn pg_url_with_db(admin_url: &str, db: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let cut = base.rfind('/').unwrap_or(base.len());
    let mut url = format!("{}/{db}", &base[..cut]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// A fresh database URL for `engine` (and the guard that drops it), or None when
/// PostgreSQL is not configured.
pub async fn fresh_database(
    engine: Engine,
    dir: &std::path::Path,
) -> Option<(String, Option<PgDb>)> {
    match engine {
        Engine::Sqlite => Some((
            format!("sqlite://{}", dir.join("credgov.db").display()),
            None,
        )),
        Engine::Postgres => {
            let Some(admin_url) = pg_admin_url() else {
                eprintln!(
                    "CREDGOV_TEST_DATABASE_URL is not set: skipping the PostgreSQL half of this test"
                );
                return None;
            };
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("CREDGOV_TEST_DATABASE_URL does not answer: {e}"));
            let name = format!("credgov_t_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let url = pg_url_with_db(&admin_url, &name);
            Some((url, Some(PgDb { admin_url, name })))
        }
    }
}

pub fn test_config(dir: &std::path::Path, database_url: String) -> Config {
    let mut config = Config {
        database_url,
        database_max_connections: 5,
        master_key_file: dir.join("master.key"),
        ..Config::default()
    };
    config.argon2.memory_kib = 256;
    config.argon2.iterations = 1;
    config.argon2.parallelism = 1;
    config.argon2.max_concurrent = Some(2);
    config.argon2.insecure_allow_weak_params_for_tests = true;
    // Probes and webhooks in tests reach local servers on 127.0.0.1.
    config.outbound.allowed_hosts = vec!["127.0.0.1".into()];
    config
}

/// Starts the service on a fresh database with an initialised root unit and a
/// sysadmin who is logged in with TOTP enrolled.
pub async fn spawn_app(engine: Engine) -> Option<TestApp> {
    spawn_app_with(engine, |_| {}).await
}

pub async fn spawn_app_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
    install_log_capture();
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = fresh_database(engine, dir.path()).await?;
    let mut config = test_config(dir.path(), url);
    tweak(&mut config);
    let clock = ManualClock::new();
    let state = AppState::start(config.clone(), clock.clone())
        .await
        .expect("app starts");
    let (root, _, _) = credgov::identity::create_first_admin(
        &state,
        "测试区人民政府",
        ADMIN,
        Some(zeroize::Zeroizing::new(ADMIN_PASSWORD.to_string())),
    )
    .await
    .expect("init");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(credgov::server::serve(
        state.clone(),
        listener,
        std::future::pending(),
    ));
    let mut app = TestApp {
        engine,
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        clock,
        state,
        config,
        root_id: root.id.into_string(),
        admin_token: String::new(),
        admin_totp: String::new(),
        dir,
        _pg: pg,
    };
    let (token, secret) = app.login_and_enroll(ADMIN, ADMIN_PASSWORD).await;
    app.admin_token = token;
    app.admin_totp = secret;
    Some(app)
}

/// A user made for a test.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub password: String,
    pub token: String,
    pub totp_secret: Option<String>,
}

impl TestApp {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        self.state.db.pool()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    /// Sends a prepared request; 4xx/5xx answers are checked for the error shape.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        // Every 4xx and 5xx anywhere in the suite carries the documented error shape.
        if status.is_client_error() || status.is_server_error() {
            error_code(&value);
        }
        (status, value)
    }

    /// `POST /hr/events` with its idempotency key.
    pub async fn hr_event(&self, token: &str, key: &str, body: Value) -> (StatusCode, Value) {
        let req = self
            .client
            .post(format!("{}/api/v1/hr/events", self.base))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&body);
        self.send(req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login_raw(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut body = json!({ "username": username, "password": password });
        if let Some(c) = code {
            body["totp_code"] = json!(c);
        }
        self.call(Method::POST, "/api/v1/auth/login", None, Some(body))
            .await
    }

    /// The current code for `secret`, after moving the clock to a fresh 30 s step so a
    /// code is never reused by accident.
    pub fn fresh_code(&self, secret: &str) -> String {
        self.clock.advance_ms(30_000);
        credgov::identity::code_at(secret, self.now()).expect("code")
    }

    /// Logs in a user who has to enrol TOTP, enrols, and returns a full token and the secret.
    pub async fn login_and_enroll(&self, username: &str, password: &str) -> (String, String) {
        let (s, v) = self.login_raw(username, password, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["mfa_enrollment_required"], true, "{v}");
        let token = v["token"].as_str().expect("token").to_string();
        let (s, e) = self
            .post("/api/v1/auth/totp/enroll", &token, json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        let secret = e["secret"].as_str().expect("secret").to_string();
        let code = credgov::identity::code_at(&secret, self.now()).expect("code");
        let (s, v) = self
            .post("/api/v1/auth/totp/confirm", &token, json!({ "code": code }))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        (token, secret)
    }

    /// Enrols TOTP for a user whose role does not force it (the session then counts as
    /// two-factor, which seeing a password needs). Does nothing when already enrolled.
    pub async fn enroll_totp(&self, user: &mut TestUser) {
        if user.totp_secret.is_some() {
            return;
        }
        let (s, e) = self
            .post("/api/v1/auth/totp/enroll", &user.token, json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        let secret = e["secret"].as_str().expect("secret").to_string();
        let code = credgov::identity::code_at(&secret, self.now()).expect("code");
        let (s, v) = self
            .post(
                "/api/v1/auth/totp/confirm",
                &user.token,
                json!({ "code": code }),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        user.totp_secret = Some(secret);
    }

    /// Logs in with password and (if enrolled) a fresh TOTP code.
    pub async fn login(&self, user: &TestUser) -> String {
        let code = user.totp_secret.as_deref().map(|s| self.fresh_code(s));
        let (s, v) = self
            .login_raw(&user.username, &user.password, code.as_deref())
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().expect("token").to_string()
    }

    pub async fn create_unit(&self, parent_id: &str, name: &str, kind: &str) -> String {
        let (s, v) = self
            .post(
                "/api/v1/units",
                &self.admin_token,
                json!({ "name": name, "kind": kind, "parent_id": parent_id }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().expect("id").to_string()
    }

    /// Creates a user whose home is `unit_id`, gives them `role` there, and logs them in
    /// (enrolling TOTP when the role requires it).
    pub async fn user_with_role(&self, unit_id: &str, role: &str) -> TestUser {
        let username = format!("{role}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let password = format!(
            "Tidal-Granite-{}-Orchid7",
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        let (s, v) = self
            .post(
                "/api/v1/users",
                &self.admin_token,
                json!({ "username": username, "display_name": format!("测试{role}"), "password": password, "unit_id": unit_id }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().expect("id").to_string();
        let (s, v) = self
            .post(
                &format!("/api/v1/units/{unit_id}/members"),
                &self.admin_token,
                json!({ "user_id": id, "role": role }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let needs_mfa = matches!(role, "sysadmin" | "supervisor" | "unit_admin" | "auditor");
        let (token, totp_secret) = if needs_mfa {
            let (t, s) = self.login_and_enroll(&username, &password).await;
            (t, Some(s))
        } else {
            let (s, v) = self.login_raw(&username, &password, None).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(v["mfa_enrollment_required"], false);
            (v["token"].as_str().expect("token").to_string(), None)
        };
        TestUser {
            id,
            username,
            password,
            token,
            totp_secret,
        }
    }

    /// Actions recorded on a unit's chain, read straight from the database.
    pub async fn audit_actions(&self, unit_id: &str) -> Vec<(String, String)> {
        sqlx::query("SELECT action, outcome FROM audit_events WHERE unit_id = $1 ORDER BY seq")
            .bind(unit_id)
            .fetch_all(self.pool())
            .await
            .expect("audit rows")
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect()
    }

    /// Every table of the service (read from the catalog, so a new table is never left
    /// out), without sqlx's own bookkeeping.
    pub async fn tables(&self) -> Vec<String> {
        let sql = match self.engine {
            Engine::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name"
            }
            Engine::Postgres => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx%' ORDER BY table_name"
            }
        };
        sqlx::query(sql)
            .fetch_all(self.pool())
            .await
            .expect("table list")
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect()
    }

    /// Every value of every row of every table, as text: a stand-in for a database dump
    /// when looking for leaked plaintext.
    pub async fn dump(&self) -> String {
        let mut out = String::new();
        let tables = self.tables().await;
        for must in ["users", "audit_events", "accounts", "credential_versions"] {
            assert!(
                tables.iter().any(|t| t == must),
                "the dump misses table {must}: {tables:?}"
            );
        }
        for table in &tables {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
                .fetch_all(self.pool())
                .await
                .expect("dump");
            for r in &rows {
                for i in 0..r.len() {
                    if let Ok(Some(s)) = r.try_get::<Option<String>, _>(i) {
                        out.push_str(&s);
                    } else if let Ok(Some(b)) = r.try_get::<Option<Vec<u8>>, _>(i) {
                        out.push_str(&String::from_utf8_lossy(&b));
                        out.push_str(&hex::encode(&b));
                    } else if let Ok(Some(n)) = r.try_get::<Option<i64>, _>(i) {
                        out.push_str(&n.to_string());
                    }
                    out.push('|');
                }
                out.push('\n');
            }
        }
        out
    }

    pub fn binary() -> PathBuf {
        PathBuf::from(env!("CARGO_BIN_EXE_credgov"))
    }
}

/// Asserts the documented error shape and returns the code.
pub fn error_code(v: &Value) -> &str {
    let code = v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not the error shape: {v}"));
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error without message: {v}"
    );
    code
}

/// The environment a `credgov` child process (CLI or server) runs with in tests: the
/// database, the master key file, cheap argon2 and the log level; callers add their own.
pub fn binary_env(
    database_url: &str,
    master_key_file: &std::path::Path,
    log: &str,
) -> Vec<(String, String)> {
    vec![
        ("CREDGOV_DATABASE_URL".into(), database_url.to_string()),
        (
            "CREDGOV_MASTER_KEY_FILE".into(),
            master_key_file.display().to_string(),
        ),
        ("CREDGOV_ARGON2__MEMORY_KIB".into(), "256".into()),
        ("CREDGOV_ARGON2__ITERATIONS".into(), "1".into()),
        (
            "CREDGOV_ARGON2__INSECURE_ALLOW_WEAK_PARAMS_FOR_TESTS".into(),
            "true".into(),
        ),
        ("CREDGOV_LOG_LEVEL".into(), log.into()),
    ]
}
