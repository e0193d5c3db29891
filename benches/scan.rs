//! Daily inspection over a generated district, against the same run's baseline of one
//! plain SELECT streaming the columns the rules read (goal: the full `daily_scan` ≤ 2×
//! the baseline), and the cost the re-evaluation hook adds to a rotation confirm (goal:
//! ≤ 5 ms at p50).
//!
//! The district is written with direct multi-row INSERTs (fake ciphertext: the scan
//! reads metadata only): 1,000 units and 100,000 accounts by default with a realistic
//! mix — current passwords up to 1.2× their class's maximum age (about one in six
//! overdue), half with a previous version, 2 % sharing a password,
//! 3 % of people departed (bound to or having seen accounts), 1 % pending rotations
//! (some stale), 5 % without a custodian, 3 % weak and 10 % sealed before the strength
//! record (NULL). `CREDGOV_BENCH_ACCOUNTS` sets a smaller size for quick runs (units:
//! one per 100 accounts).
//!
//! `cargo bench --bench scan` (PostgreSQL too when `CREDGOV_TEST_DATABASE_URL` is set).

mod common;

use std::time::{Duration, Instant};

use common::{Harness, ms, percentile};
use credgov::app::AppState;
use credgov::clock::{Clock, SystemClock};
use credgov::db::new_id;
use credgov::inspection::{Targets, daily_scan, reevaluate};
use futures::TryStreamExt;
use serde_json::json;
use sqlx::Row;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Rows per INSERT statement (at most 13 columns: far below both engines' limits).
const ROWS: usize = 400;
/// Timed rotation confirms (after a few untimed ones) and hook evaluations.
const CONFIRMS: usize = 40;
const WARM_UP: usize = 5;

/// A small deterministic generator (the district is the same on both engines).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True with probability `percent` %.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(1000) < percent * 10
    }
    fn hex(&mut self) -> String {
        format!("{:016x}{:016x}", self.next(), self.next())
    }
}

/// One multi-row INSERT per `ROWS` rows; every value bound as TEXT or BIGINT.
#[derive(Clone)]
enum V {
    T(String),
    N(Option<String>),
    I(i64),
    O(Option<i64>),
    B(Vec<u8>),
}

struct Table {
    sql_head: String,
    cols: usize,
    rows: Vec<Vec<V>>,
}

impl Table {
    fn new(table: &str, cols: &[&str]) -> Table {
        Table {
            sql_head: format!("INSERT INTO {table} ({}) VALUES ", cols.join(", ")),
            cols: cols.len(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: Vec<V>) {
        assert_eq!(row.len(), self.cols);
        self.rows.push(row);
    }

    async fn write(self, conn: &mut sqlx::AnyConnection) {
        for chunk in self.rows.chunks(ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let ps: Vec<String> = (1..=self.cols)
                        .map(|c| format!("${}", r * self.cols + c))
                        .collect();
                    format!("({})", ps.join(", "))
                })
                .collect();
            let sql = format!("{}{}", self.sql_head, values.join(", "));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for v in row {
                    q = match v.clone() {
                        V::T(s) => q.bind(s),
                        V::N(s) => q.bind(s),
                        V::I(i) => q.bind(i),
                        V::O(i) => q.bind(i),
                        V::B(b) => q.bind(b),
                    };
                }
            }
            q.execute(&mut *conn).await.expect("insert");
        }
    }
}

struct District {
    /// The unit whose admin rotates, and its active accounts without a pending rotation.
    unit: String,
    accounts: Vec<String>,
    versions: usize,
}

/// Writes the district under the root unit in one transaction.
async fn generate(state: &AppState, root: &str, units: usize, accounts: usize) -> District {
    let now = SystemClock.now_ms();
    let root_path: String = sqlx::query("SELECT path FROM units WHERE id = $1")
        .bind(root)
        .fetch_one(state.db.pool())
        .await
        .expect("root")
        .get(0);
    let mut rng = Rng(0x2026_1128_0230_0001);
    let mut t_units = Table::new(
        "units",
        &[
            "id",
            "parent_id",
            "path",
            "depth",
            "kind",
            "name",
            "created_at",
        ],
    );
    let mut t_users = Table::new(
        "users",
        &[
            "id",
            "unit_id",
            "username",
            "display_name",
            "status",
            "password_hash",
            "created_at",
            "updated_at",
        ],
    );
    let mut t_members = Table::new("memberships", &["unit_id", "user_id", "role", "created_at"]);
    let mut t_events = Table::new(
        "hr_events",
        &[
            "unit_id",
            "id",
            "actor_key",
            "idempotency_key",
            "request_hash",
            "event_type",
            "user_id",
            "effective_at",
            "handover_id",
            "created_at",
        ],
    );
    let mut t_accounts = Table::new(
        "accounts",
        &[
            "unit_id",
            "id",
            "name",
            "platform",
            "login_name",
            "classification",
            "status",
            "binding_holder_id",
            "created_at",
            "updated_at",
        ],
    );
    let mut t_versions = Table::new(
        "credential_versions",
        &[
            "unit_id",
            "account_id",
            "version",
            "state",
            "sealed",
            "score",
            "weak",
            "fingerprint",
            "char_classes",
            "char_count",
            "created_at",
            "confirmed_at",
        ],
    );
    let mut t_custodians = Table::new(
        "account_custodians",
        &["unit_id", "account_id", "user_id", "created_at"],
    );
    let mut t_exposures = Table::new(
        "exposures",
        &[
            "unit_id",
            "id",
            "account_id",
            "version",
            "user_id",
            "actor_kind",
            "kind",
            "at",
        ],
    );
    let mut t_rotations = Table::new(
        "rotations",
        &[
            "unit_id",
            "id",
            "account_id",
            "version",
            "state",
            "created_at",
        ],
    );
    let shared: Vec<String> = (0..(accounts / 200).max(1)).map(|_| rng.hex()).collect();
    let platforms = [
        "weibo",
        "wechat_official",
        "douyin",
        "gov_website_cms",
        "email",
    ];
    let per_unit = accounts.div_ceil(units);
    let mut first_unit = String::new();
    let mut rotatable = Vec::new();
    let mut versions = 0;
    for u in 0..units {
        let unit = new_id();
        if u == 0 {
            first_unit = unit.clone();
        }
        t_units.push(vec![
            V::T(unit.clone()),
            V::T(root.to_string()),
            V::T(format!("{root_path}{unit}/")),
            V::I(1),
            V::T("department".into()),
            V::T(format!("基准单位{u:04}")),
            V::I(now - 800 * DAY_MS),
        ]);
        let mut people = Vec::new();
        for p in 0..3 {
            let user = new_id();
            let departed = rng.chance(3);
            t_users.push(vec![
                V::T(user.clone()),
                V::T(unit.clone()),
                V::T(format!("u{u:04}p{p}")),
                V::T(format!("人员{u}-{p}")),
                V::T(if departed { "departed" } else { "active" }.into()),
                V::T("$argon2id$bench".into()),
                V::I(now - 700 * DAY_MS),
                V::I(now - 700 * DAY_MS),
            ]);
            if departed {
                t_events.push(vec![
                    V::T(unit.clone()),
                    V::T(new_id()),
                    V::T("bench".into()),
                    V::T(format!("leave-{user}")),
                    V::T("-".into()),
                    V::T("departure".into()),
                    V::T(user.clone()),
                    V::I(now - 30 * DAY_MS),
                    V::T(new_id()),
                    V::I(now - 30 * DAY_MS),
                ]);
            } else {
                t_members.push(vec![
                    V::T(unit.clone()),
                    V::T(user.clone()),
                    V::T("custodian".into()),
                    V::I(now - 700 * DAY_MS),
                ]);
            }
            people.push(user);
        }
        for i in 0..per_unit.min(accounts.saturating_sub(u * per_unit)) {
            let account = new_id();
            // Ages up to 1.2× the class's maximum (district preset 90/180/365 days):
            // most rotated on time, about one in six overdue.
            let (class, max_days) = match rng.below(10) {
                0 | 1 => ("core", 90),
                2..=6 => ("important", 180),
                _ => ("general", 365),
            };
            let active = !rng.chance(3);
            let holder = rng
                .chance(30)
                .then(|| people[rng.below(3) as usize].clone());
            t_accounts.push(vec![
                V::T(unit.clone()),
                V::T(account.clone()),
                V::T(format!("账号{i:03}")),
                V::T(platforms[rng.below(5) as usize].into()),
                V::T(format!("login{u}-{i}")),
                V::T(class.into()),
                V::T(if active { "active" } else { "suspended" }.into()),
                V::N(holder),
                V::I(now - 700 * DAY_MS),
                V::I(now - 700 * DAY_MS),
            ]);
            let since = now
                - rng.below(max_days * 12 / 10) as i64 * DAY_MS
                - rng.below(DAY_MS as u64) as i64;
            let fingerprint = if rng.chance(2) {
                shared[rng.below(shared.len() as u64) as usize].clone()
            } else {
                rng.hex()
            };
            let (score, classes, length) = if rng.chance(10) {
                (3, None, None)
            } else if rng.chance(3) {
                (1, Some(5), Some(9))
            } else {
                (3 + rng.below(2) as i64, Some(15), Some(20))
            };
            let mut version = 1;
            if rng.chance(50) {
                t_versions.push(vec![
                    V::T(unit.clone()),
                    V::T(account.clone()),
                    V::I(1),
                    V::T("previous".into()),
                    V::B(rng.hex().into_bytes()),
                    V::I(3),
                    V::I(0),
                    V::T(rng.hex()),
                    V::O(Some(15)),
                    V::O(Some(20)),
                    V::I(since - 200 * DAY_MS),
                    V::O(Some(since - 200 * DAY_MS)),
                ]);
                version = 2;
            }
            t_versions.push(vec![
                V::T(unit.clone()),
                V::T(account.clone()),
                V::I(version),
                V::T("current".into()),
                V::B(rng.hex().into_bytes()),
                V::I(score),
                V::I(0),
                V::T(fingerprint),
                V::O(classes),
                V::O(length),
                V::I(since),
                V::O(Some(since)),
            ]);
            if !rng.chance(5) {
                t_custodians.push(vec![
                    V::T(unit.clone()),
                    V::T(account.clone()),
                    V::T(people[rng.below(3) as usize].clone()),
                    V::I(now - 600 * DAY_MS),
                ]);
            }
            t_exposures.push(vec![
                V::T(unit.clone()),
                V::T(new_id()),
                V::T(account.clone()),
                V::I(version),
                V::T(people[rng.below(3) as usize].clone()),
                V::T("user".into()),
                V::T("reveal".into()),
                V::I(since + HOUR_MS),
            ]);
            let pending = active && rng.chance(1);
            if pending {
                t_rotations.push(vec![
                    V::T(unit.clone()),
                    V::T(new_id()),
                    V::T(account.clone()),
                    V::I(version + 1),
                    V::T("pending".into()),
                    V::I(now - rng.below(200) as i64 * HOUR_MS),
                ]);
                t_versions.push(vec![
                    V::T(unit.clone()),
                    V::T(account.clone()),
                    V::I(version + 1),
                    V::T("pending".into()),
                    V::B(rng.hex().into_bytes()),
                    V::I(4),
                    V::I(0),
                    V::T(rng.hex()),
                    V::O(Some(15)),
                    V::O(Some(20)),
                    V::I(now),
                    V::O(None),
                ]);
            }
            if u == 0 && active && !pending {
                rotatable.push(account);
            }
        }
    }
    versions += t_versions.rows.len();
    let mut tx = state.db.begin_write().await.expect("tx");
    for t in [
        t_units,
        t_users,
        t_members,
        t_events,
        t_accounts,
        t_versions,
        t_custodians,
        t_exposures,
        t_rotations,
    ] {
        t.write(&mut tx).await;
    }
    tx.commit().await.expect("commit");
    // Fresh statistics, as a maintained database has (autovacuum / ANALYZE).
    sqlx::query("ANALYZE")
        .execute(state.db.pool())
        .await
        .expect("analyze");
    District {
        unit: first_unit,
        accounts: rotatable,
        versions,
    }
}

/// The baseline: one plain SELECT streaming the columns the rules read (account,
/// unit path, current version's age, fingerprint and strength record).
async fn baseline(state: &AppState) -> (Duration, usize) {
    let started = Instant::now();
    let mut rows = sqlx::query(
        "SELECT a.id, a.unit_id, n.path, a.name, a.classification, a.binding_holder_id, \
         v.version, v.created_at, v.confirmed_at, v.fingerprint, v.score, v.char_classes, v.char_count \
         FROM accounts a JOIN units n ON n.id = a.unit_id \
         JOIN credential_versions v ON v.unit_id = a.unit_id AND v.account_id = a.id AND v.state = 'current' \
         WHERE a.status = 'active'",
    )
    .fetch(state.db.pool());
    let mut n = 0;
    while let Some(row) = rows.try_next().await.expect("baseline") {
        let _: String = row.get(0);
        n += 1;
    }
    (started.elapsed(), n)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn run_engine(name: &str, url: Option<String>, accounts: usize) -> Vec<String> {
    let h = Harness::start(url).await;
    let units = (accounts / 100).max(10);
    let t = Instant::now();
    let district = generate(&h.state, &h.root_id, units, accounts).await;
    println!(
        "{name}: generated {units} units, {accounts} accounts, {} versions in {:.1} s",
        district.versions,
        t.elapsed().as_secs_f64()
    );

    // Warm the caches once each, then the median of three.
    let (_, rows) = baseline(&h.state).await;
    let mut base = Vec::new();
    for _ in 0..3 {
        base.push(baseline(&h.state).await.0);
    }
    let base = median(base);
    // Four days of daily scans ending now: the first opens every finding, the next
    // ones rewrite what changed overnight (ages, days left) and touch the rest.
    let now = SystemClock.now_ms();
    let first = Instant::now();
    let counts = daily_scan(&h.state, now - 3 * DAY_MS).await.expect("scan");
    let first = first.elapsed();
    // Statistics for the findings just written, as autovacuum gathers them on a
    // running database (without them PostgreSQL plans the re-evaluation's resolve
    // step for an empty table).
    sqlx::query("ANALYZE")
        .execute(h.state.db.pool())
        .await
        .expect("analyze");
    let mut steady = Vec::new();
    for day in (0..3).rev() {
        let t = Instant::now();
        daily_scan(&h.state, now - day * DAY_MS)
            .await
            .expect("scan");
        steady.push(t.elapsed());
    }
    let steady = median(steady);
    println!(
        "{name}: {rows} rows in the baseline; first scan {:.0} ms opened {} finding(s): {:?}",
        ms(first),
        counts.opened,
        counts.by_rule
    );

    // Rotation confirm through the API, and the re-evaluation hook on its own.
    let token = h
        .user(
            &district.unit,
            "bench-scan-admin",
            "Bench-Scan-Admin-Heron-42",
            "unit_admin",
        )
        .await;
    let mut confirms = Vec::new();
    let mut targets = district.accounts.iter();
    for i in 0..WARM_UP + CONFIRMS {
        let account = targets.next().expect("enough accounts in the first unit");
        let (s, r) = h
            .post(
                &format!("/api/v1/accounts/{account}/rotations"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(s, 201, "{r}");
        let rotation = r["rotation_id"].as_str().expect("rotation").to_string();
        let t = Instant::now();
        let (s, v) = h
            .post(
                &format!("/api/v1/rotations/{rotation}/confirm"),
                &token,
                json!({}),
            )
            .await;
        let took = t.elapsed();
        assert_eq!(s, 204, "{v}");
        if i >= WARM_UP {
            confirms.push(took);
        }
    }
    let mut hooks = Vec::new();
    for account in targets.take(CONFIRMS) {
        let mut tx = h.state.db.begin_write().await.expect("tx");
        let t = Instant::now();
        reevaluate(
            &h.state,
            &mut tx,
            SystemClock.now_ms(),
            &Targets::account(account.as_str(), "bench"),
        )
        .await
        .expect("reevaluate");
        hooks.push(t.elapsed());
        drop(tx); // rolled back
    }
    confirms.sort();
    hooks.sort();
    let confirm_p50 = percentile(&confirms, 0.5);
    let hook_p50 = percentile(&hooks, 0.5);
    let ratio = steady.as_secs_f64() / base.as_secs_f64();
    let first_ratio = first.as_secs_f64() / base.as_secs_f64();
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    vec![
        format!(
            "| {name} | {accounts} / {units} | {:.0} ms | {:.0} ms ({first_ratio:.1}×) | {:.0} ms | {ratio:.2}× | ≤ 2× | {} |",
            ms(base),
            ms(first),
            ms(steady),
            verdict(ratio <= 2.0)
        ),
        format!(
            "| {name} | confirm p50 {:.2} ms (with hook) | hook p50 {:.2} ms | ≈ {:.2} ms without | | | ≤ 5 ms | {} |",
            ms(confirm_p50),
            ms(hook_p50),
            ms(confirm_p50.saturating_sub(hook_p50)),
            verdict(hook_p50 <= Duration::from_millis(5))
        ),
    ]
}

fn main() {
    let accounts: usize = std::env::var("CREDGOV_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!(
            "credgov scan benchmark — daily_scan vs one plain SELECT of the columns the rules read; \
             {accounts} accounts (CREDGOV_BENCH_ACCOUNTS)"
        );
        let mut rows = run_engine("sqlite", None, accounts).await;
        match common::pg_url("scan").await {
            Some(url) => rows.extend(run_engine("postgres", Some(url), accounts).await),
            None => println!("(CREDGOV_TEST_DATABASE_URL not set: PostgreSQL skipped)"),
        }
        println!();
        println!(
            "| engine | accounts / units | baseline SELECT | first scan (opens findings) | next days' scan (median) | ratio | goal | |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        for r in rows {
            println!("{r}");
        }
    });
}
