//! Login cost and request latency under a login storm, each against its baseline
//! measured in the same run:
//!
//! * login over HTTP vs. raw argon2id verification with the same parameters
//!   (goal ≤ 1.10×), under the allocator setting `credgov serve` makes; and vs. the
//!   hashing pool's own verification, which shows what the login adds to the hashing;
//! * p99 of `GET /api/v1/me` while idle vs. while 200 people log in at once
//!   (goal ≤ 2×); logins the full hashing queue refuses answer 503 at once.
//!
//! Runs on SQLite, and on PostgreSQL when `CREDGOV_TEST_DATABASE_URL` is set.
//! `cargo bench --bench auth`

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{Harness, ms, percentile, post};
use credgov::app::AppState;
use credgov::identity::PasswordHasher;
use serde_json::json;

const USER_PW: &str = "Bench-User-Lantern-Harbor-93";
const LOGIN_SAMPLES: usize = 30;
const ME_REQUESTS: usize = 3000;
const ME_CLIENTS: usize = 4;
const STORM: usize = 200;

/// The phases of each login the server logged (`login timing`, microseconds): user
/// read, reservation, checks (hashing), recording the verdict.
static PHASES: Mutex<Vec<[u64; 4]>> = Mutex::new(Vec::new());

/// Collects the server's `login timing` events into [`PHASES`].
struct LoginPhases;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LoginPhases {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Fields([u64; 4]);
        impl tracing::field::Visit for Fields {
            fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                let i = ["user_read_us", "reserve_us", "check_us", "finish_us"]
                    .iter()
                    .position(|n| *n == field.name());
                if let Some(i) = i {
                    self.0[i] = value;
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut fields = Fields([0; 4]);
        event.record(&mut fields);
        if let Ok(mut phases) = PHASES.lock() {
            phases.push(fields.0);
        }
    }
}

/// Median of each login phase logged since the last call, in milliseconds.
fn phase_medians() -> [f64; 4] {
    let mut all = PHASES
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    let mut out = [0.0; 4];
    for (i, o) in out.iter_mut().enumerate() {
        all.sort_by_key(|p| p[i]);
        *o = all.get(all.len() / 2).map_or(0.0, |p| p[i] as f64 / 1000.0);
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    percentile(&v, 0.5)
}

struct Bench {
    base: String,
    client: reqwest::Client,
    state: AppState,
}

async fn start(url: Option<String>) -> (Harness, Bench) {
    let h = Harness::start(url).await;
    // A user with no role: no TOTP needed, so logins measure password checking alone.
    let (s, v) = h
        .post(
            "/api/v1/users",
            &h.admin_token,
            json!({ "username": "bench-user", "display_name": "基准用户", "password": USER_PW }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // The storm's people: one login each (a user's own attempts in flight are capped
    // by the lockout, so one user cannot storm).
    for i in 0..STORM {
        let (s, v) = h
            .post(
                "/api/v1/users",
                &h.admin_token,
                json!({ "username": format!("storm-{i}"), "display_name": format!("风暴用户{i}"), "password": USER_PW }),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let b = Bench {
        base: h.base.clone(),
        client: h.client.clone(),
        state: h.state.clone(),
    };
    (h, b)
}

impl Bench {
    async fn login(&self) -> (u16, String) {
        let (s, v) = post(
            &self.client,
            format!("{}/api/v1/auth/login", self.base),
            None,
            json!({ "username": "bench-user", "password": USER_PW }),
        )
        .await;
        (s, v["token"].as_str().unwrap_or_default().to_string())
    }

    /// Latencies of `ME_REQUESTS` GET /me calls from `ME_CLIENTS` concurrent clients.
    async fn me_latencies(&self, token: &str) -> Vec<Duration> {
        let mut tasks = Vec::new();
        for _ in 0..ME_CLIENTS {
            let client = self.client.clone();
            let url = format!("{}/api/v1/me", self.base);
            let token = token.to_string();
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::with_capacity(ME_REQUESTS / ME_CLIENTS);
                for _ in 0..ME_REQUESTS / ME_CLIENTS {
                    let t = Instant::now();
                    let r = client
                        .get(&url)
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("me");
                    assert_eq!(r.status().as_u16(), 200);
                    let _ = r.bytes().await;
                    out.push(t.elapsed());
                }
                out
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("client task"));
        }
        all.sort();
        all
    }
}

async fn run_engine(name: &str, url: Option<String>) -> Vec<String> {
    let (_harness, bench) = start(url).await;
    let hasher = PasswordHasher::new(&bench.state.config.argon2).expect("hasher");
    let hash = hasher.hash_blocking(USER_PW.as_bytes()).expect("hash");
    // Warm up both paths.
    for _ in 0..3 {
        assert!(hasher.verify_blocking(USER_PW.as_bytes(), &hash));
        assert_eq!(bench.login().await.0, 200);
    }
    phase_medians(); // forget the warm-up's
    // Interleave the baseline and the measured paths so drift hits all alike: the
    // hashing pool's verification alone, raw argon2id (its own verification, memory
    // allocated for the call, under the shipped allocator setting), and a login. The
    // pause lets the pool's worker finish wiping the last login's memory first.
    let (mut raw, mut pooled, mut login) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..LOGIN_SAMPLES {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let t = Instant::now();
        let ok = bench
            .state
            .hasher
            .verify(
                zeroize::Zeroizing::new(USER_PW.to_string()),
                Some(hash.clone()),
            )
            .await
            .expect("verify");
        assert!(ok);
        pooled.push(t.elapsed());
        let t = Instant::now();
        let h = hasher.clone();
        let hash2 = hash.clone();
        tokio::task::spawn_blocking(move || h.verify_blocking(USER_PW.as_bytes(), &hash2))
            .await
            .expect("verify");
        raw.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(bench.login().await.0, 200);
        login.push(t.elapsed());
    }
    let (raw_m, pooled_m, login_m) = (median(raw), median(pooled), median(login));
    let [user_read, reserve, check, finish] = phase_medians();

    let (_, token) = bench.login().await;
    bench.me_latencies(&token).await; // warm-up
    let idle = bench.me_latencies(&token).await;
    let storm = {
        let mut logins = Vec::new();
        for i in 0..STORM {
            let client = bench.client.clone();
            let url = format!("{}/api/v1/auth/login", bench.base);
            // Each from their own desk: per-address throttling is not what this measures.
            let addr = format!("10.20.{}.{}", i / 250, i % 250 + 1);
            logins.push(tokio::spawn(async move {
                client
                    .post(url)
                    .header("x-forwarded-for", addr)
                    .json(&json!({ "username": format!("storm-{i}"), "password": USER_PW }))
                    .send()
                    .await
                    .map_or(0, |r| r.status().as_u16())
            }));
        }
        // Let the storm build up before sampling.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let under = bench.me_latencies(&token).await;
        let still_running = logins.iter().filter(|h| !h.is_finished()).count();
        // A login the full hashing queue refuses answers 503 busy at once (by design);
        // anything else is a failure.
        let (mut ok, mut busy) = (0, 0);
        for h in logins {
            match h.await.expect("login task") {
                200 => ok += 1,
                503 => busy += 1,
                other => panic!("a storm login answered {other}"),
            }
        }
        eprintln!(
            "  [{name}] storm: {ok} logins succeeded, {busy} refused busy (queue full); {still_running} still running when sampling ended"
        );
        under
    };
    let (idle99, storm99) = (percentile(&idle, 0.99), percentile(&storm, 0.99));
    let login_ratio = ms(login_m) / ms(raw_m);
    let p99_ratio = ms(storm99) / ms(idle99);
    vec![
        format!(
            "| {name} | verify on the (niced) hashing pool vs raw argon2id median | {:.2} ms | {:.2} ms | {:.3}× | – | – |",
            ms(pooled_m),
            ms(raw_m),
            ms(pooled_m) / ms(raw_m)
        ),
        format!(
            "| {name} | login phases (server's medians): user read {user_read:.2} ms, reservation {reserve:.2} ms, checks {check:.2} ms, verdict {finish:.2} ms | – | – | – | – | – |"
        ),
        format!(
            "| {name} | login median vs the pool's verification median (all but the hashing) | {:.2} ms | {:.2} ms | {:.3}× | – | – |",
            ms(login_m),
            ms(pooled_m),
            ms(login_m) / ms(pooled_m)
        ),
        format!(
            "| {name} | login median vs raw argon2id median | {:.2} ms | {:.2} ms | {:.3}× | ≤ 1.10× | {} |",
            ms(login_m),
            ms(raw_m),
            login_ratio,
            if login_ratio <= 1.10 { "met" } else { "MISSED" }
        ),
        format!(
            "| {name} | GET /me p99 during {STORM} logins vs idle p99 | {:.2} ms | {:.2} ms | {:.2}× | ≤ 2× | {} |",
            ms(storm99),
            ms(idle99),
            p99_ratio,
            if p99_ratio <= 2.0 { "met" } else { "MISSED" }
        ),
        format!(
            "| {name} | GET /me p50 during storm vs idle p50 | {:.2} ms | {:.2} ms | {:.2}× | – | – |",
            ms(percentile(&storm, 0.5)),
            ms(percentile(&idle, 0.5)),
            ms(percentile(&storm, 0.5)) / ms(percentile(&idle, 0.5))
        ),
    ]
}

fn main() {
    // As `credgov serve` does first thing: the server under test, and the raw baseline
    // beside it, allocate as the shipped binary does (argon2id's 19 MiB in a mapping of
    // its own, returned on free).
    credgov::server_memory::tune_allocator();
    use tracing_subscriber::layer::SubscriberExt;
    let only_login_timing = tracing_subscriber::filter::Targets::new()
        .with_target("credgov::identity::login", tracing::Level::DEBUG);
    let subscriber = tracing_subscriber::registry().with(tracing_subscriber::Layer::with_filter(
        LoginPhases,
        only_login_timing,
    ));
    tracing::subscriber::set_global_default(subscriber).expect("subscriber");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!("credgov auth benchmark — argon2id m=19456 KiB t=2 p=1, {cores} cores, hashing permits = max(cores-1, 1)");
        let mut rows = run_engine("sqlite", None).await;
        match common::pg_url("auth").await {
            Some(url) => rows.extend(run_engine("postgres", Some(url)).await),
            None => println!("(CREDGOV_TEST_DATABASE_URL not set: PostgreSQL skipped)"),
        }
        println!();
        println!("| engine | measure | value | baseline | ratio | goal | |");
        println!("|---|---|---|---|---|---|---|");
        for r in rows {
            println!("{r}");
        }
    });
}
