//! Crash soak: the real binary is killed with SIGKILL at a random moment while it
//! rotates passwords (stage and confirm), takes HR events (departures that end roles and
//! open handover cases), imports a spreadsheet (`credgov import`, its own process) and
//! rotates the master key (`credgov keys rotate`, its own process) — all at once. After
//! each kill an unfinished key rotation is finished, the server restarts, and:
//! - `credgov restore-check` passes: migrations, every audit chain, every sealed value;
//! - every account has exactly one current version and at most one pending; every
//!   rotation whose confirm was acknowledged is the current password (revealed);
//! - an import is whole or absent; every HR event has its case and every case its event
//!   and its items; a departed person holds no role or custodianship in the unit.
//!
//! `cargo bench --bench crash` (SQLite; PostgreSQL too when `CREDGOV_TEST_DATABASE_URL` is
//! set). `CREDGOV_CRASH_TRIALS` sets the trials per engine (default 100). Prints one row per
//! engine: trials, what each kill interrupted, lost, broken chains, half-written.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use credgov::crypto::MasterKey;
use rand::Rng;
use serde_json::{Value, json};
use sqlx::Row;

const DEFAULT_TRIALS: usize = 100;
const ACCOUNTS: usize = 4;
const IMPORT_ROWS: usize = 300;
const ROOT_PW: &str = "Soak-Root-Obsidian-Lantern-73";
const UNIT_ADMIN: &str = "soak-unit-admin";
const UNIT_ADMIN_PW: &str = "Soak-Unit-Vermilion-Cascade-64";
const HR_PW: &str = "Soak-Hr-Juniper-Basalt-Orbit-58";

/// The binary under test: this build's, or `CREDGOV_CRASH_BINARY` (a copy, so that a
/// long soak is not disturbed by a rebuild).
fn binary() -> String {
    std::env::var("CREDGOV_CRASH_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_credgov").into())
}

/// A child process killed (SIGKILL) when dropped.
struct Proc(Option<Child>);

impl Proc {
    fn spawn(cmd: &mut Command) -> Proc {
        Proc(Some(
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("credgov starts"),
        ))
    }

    /// Still running (not finished by itself)?
    fn running(&mut self) -> bool {
        self.0
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Finished by itself with a failure?
    fn failed(&mut self) -> bool {
        self.0
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(Some(s)) if !s.success()))
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What one engine's soak saw.
#[derive(Default)]
struct Tally {
    trials: usize,
    killed_mid_import: usize,
    imports_whole: usize,
    imports_refused: usize,
    killed_mid_key_rotation: usize,
    key_rotations_done: usize,
    acknowledged_checked: usize,
    hr_events: usize,
    lost: usize,
    broken_chains: usize,
    half_written: usize,
    failures: Vec<String>,
}

/// What a failed check counts as.
#[derive(Clone, Copy)]
enum Fault {
    /// A password that cannot be retrieved, or an acknowledged change gone.
    Lost,
    BrokenChain,
    HalfWritten,
}

impl Tally {
    fn fail(&mut self, trial: usize, fault: Fault, what: String) {
        match fault {
            Fault::Lost => self.lost += 1,
            Fault::BrokenChain => self.broken_chains += 1,
            Fault::HalfWritten => self.half_written += 1,
        }
        if self.failures.len() < 20 {
            self.failures.push(format!("trial {trial}: {what}"));
        }
    }
}

type Confirmed = Arc<Mutex<HashMap<String, String>>>;

struct Soak {
    url: String,
    dir: tempfile::TempDir,
    key: PathBuf,
    addr: String,
    base: String,
    client: reqwest::Client,
    server: Proc,
    unit: String,
    admin: String,
    unit_admin: String,
    hr: String,
    accounts: Vec<String>,
    confirmed: Confirmed,
    staff: Arc<AtomicUsize>,
    pool: sqlx::AnyPool,
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Result<(u16, Value), reqwest::Error> {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await?;
    let s = r.status().as_u16();
    Ok((s, r.json().await.unwrap_or(Value::Null)))
}

impl Soak {
    fn env(&self) -> Vec<(String, String)> {
        env_for(&self.url, &self.key)
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(binary())
            .args(args)
            .env_clear()
            .envs(self.env())
            .stdin(Stdio::null())
            .output()
            .expect("credgov runs")
    }

    fn start_server(&mut self) {
        self.server = Proc::spawn(
            Command::new(binary())
                .args(["serve", "--listen", &self.addr])
                .env_clear()
                .envs(self.env()),
        );
    }

    async fn wait_ready(&self) -> bool {
        for _ in 0..600 {
            if let Ok(r) = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                && r.status().is_success()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        common::post(&self.client, self.url(path), Some(token), body).await
    }

    /// Logs in and enrols TOTP; a full session token.
    async fn login_enrolled(&self, user: &str, password: &str) -> String {
        common::login_enrolled(&self.client, &self.base, user, password).await
    }

    /// A user at the unit with `role`; their id.
    async fn member(&self, username: &str, password: &str, role: &str) -> String {
        let (s, u) = self
            .post("/api/v1/users", &self.admin, json!({ "username": username, "display_name": username, "password": password, "unit_id": self.unit }))
            .await;
        assert_eq!(s, 201, "{u}");
        let (s, m) = self
            .post(
                &format!("/api/v1/units/{}/members", self.unit),
                &self.admin,
                json!({ "user_id": u["id"], "role": role }),
            )
            .await;
        assert_eq!(s, 201, "{m}");
        u["id"].as_str().expect("id").to_string()
    }

    async fn start(url: String) -> Soak {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("master-0.key");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut soak = Soak {
            pool: sqlx::AnyPool::connect_lazy(&url).expect("pool"),
            base: format!("http://{addr}"),
            addr,
            url,
            key,
            dir,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            server: Proc(None),
            unit: String::new(),
            admin: String::new(),
            unit_admin: String::new(),
            hr: String::new(),
            accounts: Vec::new(),
            confirmed: Arc::new(Mutex::new(HashMap::new())),
            staff: Arc::new(AtomicUsize::new(0)),
        };
        MasterKey::generate()
            .write_new(&soak.key)
            .expect("master key");
        common::init_database(&binary(), &soak.env(), "soak-root", ROOT_PW);
        soak.start_server();
        assert!(soak.wait_ready().await, "server did not start");
        soak.admin = soak.login_enrolled("soak-root", ROOT_PW).await;
        let units = soak
            .client
            .get(soak.url("/api/v1/units"))
            .bearer_auth(&soak.admin)
            .send()
            .await
            .expect("units")
            .json::<Value>()
            .await
            .expect("units body");
        let root = units["items"][0]["id"].as_str().expect("root").to_string();
        let (s, u) = soak
            .post(
                "/api/v1/units",
                &soak.admin,
                json!({ "name": "区融媒体中心", "kind": "institution", "parent_id": root }),
            )
            .await;
        assert_eq!(s, 201, "{u}");
        soak.unit = u["id"].as_str().expect("unit").to_string();
        soak.member(UNIT_ADMIN, UNIT_ADMIN_PW, "unit_admin").await;
        soak.unit_admin = soak.login_enrolled(UNIT_ADMIN, UNIT_ADMIN_PW).await;
        soak.member("soak-hr", HR_PW, "hr").await;
        soak.hr = soak.login_enrolled("soak-hr", HR_PW).await;
        for i in 0..ACCOUNTS {
            let (s, a) = soak
                .post(&format!("/api/v1/units/{}/accounts", soak.unit), &soak.unit_admin, json!({ "name": format!("融媒体账号{i}"), "platform": "douyin", "login_name": format!("rmt{i}"), "classification": "core", "generate": true }))
                .await;
            assert_eq!(s, 201, "{a}");
            soak.accounts
                .push(a["id"].as_str().expect("id").to_string());
        }
        soak
    }

    /// The spreadsheet of trial `trial`: `IMPORT_ROWS` accounts named `导入{trial}-{i}`.
    fn import_file(&self, trial: usize) -> PathBuf {
        let path = self.dir.path().join(format!("import-{trial}.csv"));
        let mut text = String::from("名称,平台,登录名,密码,级别\n");
        for i in 0..IMPORT_ROWS {
            text.push_str(&format!(
                "导入{trial}-{i},微博,soak{trial}x{i},Soak-{trial}-{i}-Basalt-Quince-Harbor,一般\n"
            ));
        }
        std::fs::write(&path, text).expect("import file");
        path
    }

    /// After a kill: finish a master key rotation the kill interrupted, and make the
    /// key file the database now answers to the current one. Err names what is wrong.
    async fn settle_key(&mut self, new_key: &Path, tally: &mut Tally) -> Result<(), String> {
        let row = sqlx::query("SELECT key_check, next_key_check FROM keyring WHERE id = 'master'")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| format!("keyring row: {e}"))?;
        let check: String = row.get(0);
        let next: Option<String> = row.get(1);
        let old = MasterKey::load(&self.key).map_err(|e| e.to_string())?;
        let new = MasterKey::load(new_key).map_err(|e| e.to_string())?;
        if next.is_some() {
            let key = new_key.display().to_string();
            let out = self.cli(&["keys", "rotate", "--new-key-file", &key]);
            if !out.status.success() {
                return Err(format!(
                    "the interrupted key rotation did not finish: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            self.key = new_key.to_path_buf();
            tally.key_rotations_done += 1;
        } else if check == new.check_value() {
            self.key = new_key.to_path_buf();
            tally.key_rotations_done += 1;
        } else if check != old.check_value() {
            return Err("the database answers to neither master key".into());
        }
        Ok(())
    }

    async fn trial(&mut self, trial: usize, tally: &mut Tally) {
        let import = self.import_file(trial);
        let new_key = self.dir.path().join(format!("master-{}.key", trial + 1));
        MasterKey::generate()
            .write_new(&new_key)
            .expect("new master key");
        let rotations = tokio::spawn(churn(
            self.client.clone(),
            self.base.clone(),
            self.unit_admin.clone(),
            self.accounts.clone(),
            self.confirmed.clone(),
        ));
        let staff = tokio::spawn(hr_churn(
            self.client.clone(),
            self.base.clone(),
            [self.admin.clone(), self.unit_admin.clone(), self.hr.clone()],
            self.unit.clone(),
            self.accounts.clone(),
            self.staff.clone(),
        ));
        // Even trials import a spreadsheet, odd ones rotate the master key (a rotation
        // finishing first would leave the import holding the retired key).
        let mut importer = Proc(None);
        let mut rotator = Proc(None);
        let delay = if trial.is_multiple_of(2) {
            let file = import.display().to_string();
            importer = Proc::spawn(
                Command::new(binary())
                    .args(["import", "accounts", "--unit", &self.unit, &file])
                    .env_clear()
                    .envs(self.env()),
            );
            rand::rng().random_range(20..800)
        } else {
            let key = new_key.display().to_string();
            rotator = Proc::spawn(
                Command::new(binary())
                    .args(["keys", "rotate", "--new-key-file", &key])
                    .env_clear()
                    .envs(self.env()),
            );
            // A rotation over a few data keys takes a few tens of milliseconds.
            rand::rng().random_range(5..200)
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if importer.running() {
            tally.killed_mid_import += 1;
        } else if importer.failed() {
            tally.imports_refused += 1;
        }
        if rotator.running() {
            tally.killed_mid_key_rotation += 1;
        }
        self.server.kill();
        importer.kill();
        rotator.kill();
        let _ = rotations.await;
        if let Ok(n) = staff.await {
            tally.hr_events += n;
        }

        if let Err(e) = self.settle_key(&new_key, tally).await {
            tally.fail(trial, Fault::Lost, e);
            return;
        }
        self.start_server();
        if !self.wait_ready().await {
            tally.fail(trial, Fault::Lost, "the server did not start again".into());
            return;
        }
        self.verify(trial, tally).await;
    }

    async fn verify(&self, trial: usize, tally: &mut Tally) {
        // Migrations, every audit chain, every sealed value.
        let out = self.cli(&["restore-check", "--database-url", &self.url]);
        if !out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            let kind = if text.contains("chain") {
                Fault::BrokenChain
            } else {
                Fault::Lost
            };
            tally.fail(trial, kind, format!("restore-check: {}", text.trim()));
        }
        // One current version per account, at most one pending.
        let rows = sqlx::query(
            "SELECT a.id, \
             (SELECT COUNT(*) FROM credential_versions v WHERE v.account_id = a.id AND v.state = 'current'), \
             (SELECT COUNT(*) FROM credential_versions v WHERE v.account_id = a.id AND v.state = 'pending') \
             FROM accounts a",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap_or_default();
        for r in &rows {
            let (id, current, pending): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
            if current != 1 || pending > 1 {
                tally.fail(
                    trial,
                    Fault::Lost,
                    format!("account {id}: {current} current, {pending} pending versions"),
                );
            }
        }
        // Every acknowledged rotation is the current password.
        let known = self.confirmed.lock().map(|m| m.clone()).unwrap_or_default();
        for id in &self.accounts {
            let (s, r) = self
                .post(
                    &format!("/api/v1/accounts/{id}/reveal"),
                    &self.unit_admin,
                    json!({ "reason": "崩溃后核对" }),
                )
                .await;
            let revealed = r["password"].as_str().unwrap_or_default();
            if s != 200 || revealed.is_empty() {
                tally.fail(trial, Fault::Lost, format!("account {id} reveals {s}: {r}"));
            } else if let Some(p) = known.get(id) {
                tally.acknowledged_checked += 1;
                if p != revealed {
                    tally.fail(
                        trial,
                        Fault::Lost,
                        format!("account {id}: an acknowledged rotation was lost"),
                    );
                }
            }
        }
        // The import: all of it or none.
        let imported: i64 = sqlx::query("SELECT COUNT(*) FROM accounts WHERE name LIKE $1")
            .bind(format!("导入{trial}-%"))
            .fetch_one(&self.pool)
            .await
            .map(|r| r.get(0))
            .unwrap_or(-1);
        if imported == IMPORT_ROWS as i64 {
            tally.imports_whole += 1;
        } else if imported != 0 {
            tally.fail(
                trial,
                Fault::HalfWritten,
                format!("import wrote {imported} of {IMPORT_ROWS} rows"),
            );
        }
        self.verify_cases(trial, tally).await;
    }

    /// Every HR event has its case and every case its event and items; a departed
    /// person holds no role or custodianship in the unit.
    async fn verify_cases(&self, trial: usize, tally: &mut Tally) {
        let checks: [(&str, &str); 4] = [
            (
                "an HR event without its case",
                "SELECT COUNT(*) FROM hr_events e WHERE NOT EXISTS \
                 (SELECT 1 FROM handovers h WHERE h.id = e.handover_id AND h.event_id = e.id)",
            ),
            (
                "a case without its HR event",
                "SELECT COUNT(*) FROM handovers h WHERE NOT EXISTS \
                 (SELECT 1 FROM hr_events e WHERE e.id = h.event_id)",
            ),
            (
                "a case without items (every leaver here was a custodian)",
                "SELECT COUNT(*) FROM handovers h WHERE NOT EXISTS \
                 (SELECT 1 FROM handover_actions x WHERE x.handover_id = h.id)",
            ),
            (
                "a departed person still holding a role or custodianship in the unit",
                "SELECT COUNT(*) FROM handovers h WHERE h.event_type = 'departure' AND \
                 (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = h.leaver_id AND m.unit_id = h.unit_id) \
                  OR EXISTS (SELECT 1 FROM account_custodians c WHERE c.user_id = h.leaver_id AND c.unit_id = h.unit_id))",
            ),
        ];
        for (what, sql) in checks {
            let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&self.pool)
                .await
                .map(|r| r.get(0))
                .unwrap_or(-1);
            if n != 0 {
                tally.fail(trial, Fault::HalfWritten, format!("{what}: {n}"));
            }
        }
    }
}

fn env_for(url: &str, key: &Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("CREDGOV_DATABASE_URL".into(), url.to_string()),
        ("CREDGOV_MASTER_KEY_FILE".into(), key.display().to_string()),
        // Logins are not what this measures: cheap hashes keep trials short.
        ("CREDGOV_ARGON2__MEMORY_KIB".into(), "256".into()),
        ("CREDGOV_ARGON2__ITERATIONS".into(), "1".into()),
        (
            "CREDGOV_ARGON2__INSECURE_ALLOW_WEAK_PARAMS_FOR_TESTS".into(),
            "true".into(),
        ),
        ("CREDGOV_LOG_LEVEL".into(), "error".into()),
    ]
}

/// Stage and confirm rotations round the accounts until the server stops answering.
/// `confirmed` keeps, per account, the password of the last acknowledged confirm.
async fn churn(
    client: reqwest::Client,
    base: String,
    token: String,
    accounts: Vec<String>,
    confirmed: Confirmed,
) {
    loop {
        for id in &accounts {
            let Ok(r) = client
                .get(format!("{base}/api/v1/accounts/{id}"))
                .bearer_auth(&token)
                .send()
                .await
            else {
                return;
            };
            let Ok(a) = r.json::<Value>().await else {
                return;
            };
            let (rotation, password) = match a["pending_rotation_id"].as_str() {
                Some(p) => (p.to_string(), None),
                None => match post(
                    &client,
                    format!("{base}/api/v1/accounts/{id}/rotations"),
                    Some(&token),
                    json!({}),
                )
                .await
                {
                    Ok((201, r)) => (
                        r["rotation_id"].as_str().unwrap_or_default().to_string(),
                        r["password"].as_str().map(str::to_string),
                    ),
                    _ => return,
                },
            };
            // Until the confirm is acknowledged its outcome is unknown.
            if let Ok(mut m) = confirmed.lock() {
                m.remove(id);
            }
            match post(
                &client,
                format!("{base}/api/v1/rotations/{rotation}/confirm"),
                Some(&token),
                json!({}),
            )
            .await
            {
                Ok((204, _)) => {
                    if let (Some(p), Ok(mut m)) = (password, confirmed.lock()) {
                        m.insert(id.clone(), p);
                    }
                }
                _ => return,
            }
        }
    }
}

/// Staff changes until the server stops answering: a new person joins the unit, becomes
/// a custodian of an account, and HR reports their departure (the unit admin succeeds
/// them). Returns the HR events acknowledged.
async fn hr_churn(
    client: reqwest::Client,
    base: String,
    [admin, unit_admin, hr]: [String; 3],
    unit: String,
    accounts: Vec<String>,
    counter: Arc<AtomicUsize>,
) -> usize {
    let mut reported = 0;
    loop {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let username = format!("soak-staff-{n}");
        let Ok((201, u)) = post(
            &client,
            format!("{base}/api/v1/users"),
            Some(&admin),
            json!({ "username": username, "display_name": format!("员工{n}"), "password": format!("Staff-{n}-Quartz-Lantern-Meadow"), "unit_id": unit }),
        )
        .await
        else {
            return reported;
        };
        let Ok((201, _)) = post(
            &client,
            format!("{base}/api/v1/units/{unit}/members"),
            Some(&admin),
            json!({ "user_id": u["id"], "role": "custodian" }),
        )
        .await
        else {
            return reported;
        };
        let account = &accounts[n % accounts.len()];
        let Ok((201, _)) = post(
            &client,
            format!("{base}/api/v1/accounts/{account}/custodians"),
            Some(&unit_admin),
            json!({ "user_id": u["id"] }),
        )
        .await
        else {
            return reported;
        };
        let Ok(res) = client
            .post(format!("{base}/api/v1/hr/events"))
            .bearer_auth(&hr)
            .header("idempotency-key", format!("soak-{n}"))
            .json(&json!({ "type": "departure", "username": username, "unit_id": unit, "successor_username": UNIT_ADMIN, "note": "调往区外" }))
            .send()
            .await
        else {
            return reported;
        };
        if res.status().as_u16() != 201 {
            return reported;
        }
        reported += 1;
    }
}

async fn soak(engine: &str, url: String, trials: usize) -> (Tally, Duration) {
    let started = Instant::now();
    let mut soak = Soak::start(url).await;
    let mut tally = Tally::default();
    for trial in 0..trials {
        soak.trial(trial, &mut tally).await;
        tally.trials += 1;
        if (trial + 1) % 50 == 0 {
            eprintln!("{engine}: {} trials", trial + 1);
        }
    }
    soak.server.kill();
    soak.pool.close().await;
    (tally, started.elapsed())
}

fn main() {
    let trials = std::env::var("CREDGOV_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_TRIALS);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut rows = Vec::new();
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = format!("sqlite://{}", dir.path().join("soak.db").display());
        rows.push(("SQLite", soak("SQLite", sqlite, trials).await));
        if let Some(url) = common::pg_url("crash").await {
            rows.push(("PostgreSQL", soak("PostgreSQL", url, trials).await));
        } else {
            eprintln!("CREDGOV_TEST_DATABASE_URL is not set: PostgreSQL skipped");
        }
        println!(
            "\ncrash soak: SIGKILL at a random moment of password rotations and HR events running with an import (even trials, kill after 20-800 ms) or a master key rotation (odd trials, 5-200 ms)\n"
        );
        println!(
            "| engine | trials | killed mid-import | imports whole | imports refused | killed mid key rotation | key rotations done | acknowledged rotations checked | HR events | lost | broken chains | half-written | time |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        let mut failed = false;
        for (engine, (t, took)) in &rows {
            println!(
                "| {engine} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} s |",
                t.trials,
                t.killed_mid_import,
                t.imports_whole,
                t.imports_refused,
                t.killed_mid_key_rotation,
                t.key_rotations_done,
                t.acknowledged_checked,
                t.hr_events,
                t.lost,
                t.broken_chains,
                t.half_written,
                took.as_secs_f64()
            );
            for f in &t.failures {
                println!("  {engine}: {f}");
                failed = true;
            }
        }
        if failed {
            std::process::exit(1);
        }
    });
}
