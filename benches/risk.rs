//! Risk ranking and drill-down over a generated province-sized tree, against the same
//! run's baseline of one plain covering-index `SELECT unit_id, COUNT(*) FROM accounts …
//! GROUP BY unit_id` over the same subtree (goal: `rank_children` ≤ 1.5× the baseline;
//! `detail` of one leaf unit p99 ≤ 50 ms).
//!
//! The tree is written with set-based SQL (`generate_series` on PostgreSQL, a recursive
//! CTE on SQLite), not through the API: a root, then three levels below it — by default
//! 10 level-1 units, 303 level-2 and 9,687 leaf units (10,000 in all) holding 1,000,000
//! accounts (about 103 per leaf, 1 in 37 suspended). One account in ten has an open
//! finding (six rules, four severities, about one in 200 of them a veto), one in thirty a
//! second one; as many findings again are resolved history. A third of the first
//! findings have a live rectification item (open, submitted or returned), half the
//! resolved ones a closed item; one leaf in five has a handover case (open, acknowledged,
//! or closed on time or late).
//!
//! The ranking reads the per-unit counters the triggers keep (`src/db/counters/`).
//! The tree is written with those triggers dropped, then `counters::install` recreates
//! them and fills the counters from the rows (the cost of migration 0025 on a database
//! of this size, reported), and `counters::repair` recounts (the daily safety net,
//! reported; it must find nothing). Each timing is the median of `CREDGOV_BENCH_REPS`
//! (5) repetitions, baseline and ranking interleaved; the drill-down is timed over
//! `CREDGOV_BENCH_DRILLS` (200) calls spread over 20 leaves. Finally the write cost of
//! the indexes of `migrations/0024_risk_indexes.sql` and of the counter triggers: the
//! same batch (a tenth of the accounts, 100,000 by default, one finding per ten of them,
//! then those findings resolved) written with neither, with the indexes, and with both.
//!
//! `cargo bench --bench risk` (PostgreSQL too when `CREDGOV_TEST_DATABASE_URL` is set).
//! `CREDGOV_BENCH_ACCOUNTS` (1,000,000) and `CREDGOV_BENCH_UNITS` (one per 100 accounts)
//! set a smaller tree for quick runs; `CREDGOV_BENCH_ENGINES=sqlite|postgres` runs one;
//! `CREDGOV_BENCH_PLANS=1` prints the plans of the ranking's queries.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, ms, percentile};
use credgov::app::AppState;
use credgov::authz::{AuthContext, Grant, Principal, Role};
use credgov::clock::{Clock, SystemClock};
use credgov::db::counters;
use credgov::http::Paging;
use credgov::identity::SessionKind;
use credgov::ids::UnitId;
use credgov::inspection::{Rule, Severity};
use credgov::risk::drill::detail;
use credgov::risk::ranking::{RankSort, rank_children};
use credgov::tenancy::{Unit, get_unit};
use sqlx::Row;

const DAY_MS: i64 = 86_400_000;
const RISK_INDEXES: &str = include_str!("../migrations/0024_risk_indexes.sql");
/// The 0024 indexes that a later migration dropped.
const DROPPED_LATER: &str = include_str!("../migrations/0026_account_key_lookups.sql");
/// The open-finding rules generated (all count in the score).
const RULES: [&str; 6] = [
    "weak_password",
    "reused_password",
    "rotation_overdue",
    "no_custodian",
    "binding_holder_departed",
    "content_stale",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    /// `body` with `{s}` standing for a row source of `x` = 0 … n−1 (BIGINT).
    fn series(self, n: usize, body: &str) -> String {
        match self {
            Engine::Sqlite => format!(
                "WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x < {}) {}",
                n as i64 - 1,
                body.replace("{s}", "s")
            ),
            Engine::Postgres => body.replace(
                "{s}",
                &format!(
                    "generate_series(0::bigint, {}::bigint) AS s(x)",
                    n as i64 - 1
                ),
            ),
        }
    }
}

/// The tree's shape: units per level below the root, accounts per leaf.
struct Shape {
    accounts: usize,
    l1: usize,
    l2: usize,
    leaves: usize,
    per_leaf: usize,
}

impl Shape {
    fn new(accounts: usize, units: usize) -> Shape {
        let l1 = (units / 1000).max(2);
        let l2 = (units / 33).max(2 * l1);
        let leaves = units.saturating_sub(l1 + l2).max(l2);
        Shape {
            accounts,
            l1,
            l2,
            leaves,
            per_leaf: accounts.div_ceil(leaves),
        }
    }
    fn units(&self) -> usize {
        self.l1 + self.l2 + self.leaves
    }
}

/// `CASE` over the rule list, picked by `expr` mod 6.
fn rule_case(expr: &str) -> String {
    let arms: Vec<String> = RULES
        .iter()
        .enumerate()
        .map(|(i, r)| format!("WHEN {i} THEN '{r}'"))
        .collect();
    format!("CASE ({expr}) % 6 {} END", arms.join(" "))
}

/// The severity of the first finding of account `a`.
fn severity1(a: &str) -> String {
    format!(
        "CASE WHEN ({a} / 10) % 211 = 0 THEN 'veto' WHEN ({a} / 10) % 3 = 0 THEN 'high' \
         WHEN ({a} / 10) % 3 = 1 THEN 'medium' ELSE 'low' END"
    )
}

async fn exec(conn: &mut sqlx::AnyConnection, sql: String) -> u64 {
    // Not kept prepared: every statement here runs once (and a kept `CREATE INDEX`
    // would outlive the schema it was prepared against).
    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .persistent(false)
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
        .rows_affected()
}

/// Writes the tree under the root in one transaction.
async fn generate(state: &AppState, engine: Engine, rp: &str, root: &str, s: &Shape) {
    let now = SystemClock.now_ms();
    let old = now - 800 * DAY_MS;
    // Typed, so `200 * {day}` is BIGINT arithmetic on PostgreSQL too.
    let day = format!("CAST({DAY_MS} AS BIGINT)");
    let (l1, l2, n3, per, a_n) = (s.l1, s.l2, s.leaves, s.per_leaf, s.accounts);
    let mut tx = state.db.begin_write().await.expect("tx");
    let units = "INSERT INTO units (id, parent_id, path, depth, kind, name, created_at)";
    exec(
        &mut tx,
        engine.series(
            l1,
            &format!(
                "{units} SELECT 'ua' || x, '{root}', '{rp}ua' || x || '/', 1, 'department', \
                 '一级单位' || x, {old} FROM {{s}}"
            ),
        ),
    )
    .await;
    exec(
        &mut tx,
        engine.series(
            l2,
            &format!(
                "{units} SELECT 'ub' || x, 'ua' || (x % {l1}), \
                 '{rp}ua' || (x % {l1}) || '/ub' || x || '/', 2, 'department', \
                 '二级单位' || x, {old} FROM {{s}}"
            ),
        ),
    )
    .await;
    exec(
        &mut tx,
        engine.series(
            n3,
            &format!(
                "{units} SELECT 'uc' || x, 'ub' || (x % {l2}), \
                 '{rp}ua' || ((x % {l2}) % {l1}) || '/ub' || (x % {l2}) || '/uc' || x || '/', 3, \
                 'department', '基层单位' || x, {old} FROM {{s}}"
            ),
        ),
    )
    .await;
    insert_accounts(&mut tx, engine, "ac", a_n, &format!("x / {per}"), old).await;
    let findings = "INSERT INTO findings (unit_id, id, rule, target_kind, target_id, severity, \
                    details, state, first_seen, last_seen, resolved_at, resolved_how)";
    // First open finding: accounts 3, 13, 23, … (one in ten).
    exec(
        &mut tx,
        engine.series(
            a_n / 10 + 1,
            &format!(
                "{findings} SELECT 'uc' || (a / {per}), 'f1_' || a, {}, 'account', 'ac' || a, {}, \
                 '{{}}', 'open', {now} - ((a / 10) % 90) * {day}, {now}, NULL, NULL \
                 FROM (SELECT x * 10 + 3 AS a FROM {{s}}) t WHERE a < {a_n}",
                rule_case("a / 10"),
                severity1("a")
            ),
        ),
    )
    .await;
    // A second one, of another rule, for one account in thirty.
    exec(
        &mut tx,
        engine.series(
            a_n / 30 + 1,
            &format!(
                "{findings} SELECT 'uc' || (a / {per}), 'f2_' || a, {}, 'account', 'ac' || a, \
                 'medium', '{{}}', 'open', {now} - ((a / 30) % 60) * {day}, {now}, NULL, NULL \
                 FROM (SELECT x * 30 + 3 AS a FROM {{s}}) t WHERE a < {a_n}",
                rule_case("a / 10 + 1")
            ),
        ),
    )
    .await;
    // Resolved history: as many again.
    exec(
        &mut tx,
        engine.series(
            a_n / 10 + 1,
            &format!(
                "{findings} SELECT 'uc' || (a / {per}), 'f3_' || a, 'rotation_due', 'account', \
                 'ac' || a, 'low', '{{}}', 'resolved', {now} - 200 * {day}, \
                 {now} - 100 * {day}, {now} - 100 * {day}, 'rotated' \
                 FROM (SELECT x * 10 + 7 AS a FROM {{s}}) t WHERE a < {a_n}"
            ),
        ),
    )
    .await;
    let items = "INSERT INTO rectifications (unit_id, id, finding_id, rule, severity, state, \
                 opened_at, deadline_at, submitted_at, closed_at, closed_how)";
    // Live items for a third of the first findings; opened 0–39 days ago, 10 days each.
    exec(
        &mut tx,
        engine.series(
            a_n / 30 + 1,
            &format!(
                "{items} SELECT 'uc' || (a / {per}), 'rx' || a, 'f1_' || a, {}, {}, \
                 CASE (a / 30) % 4 WHEN 1 THEN 'submitted' WHEN 2 THEN 'returned' ELSE 'open' END, \
                 {now} - ((a / 30) % 40) * {day}, {now} - ((a / 30) % 40 - 10) * {day}, \
                 CASE (a / 30) % 4 WHEN 1 THEN {now} - ((a / 30) % 40 - 1) * {day} END, \
                 NULL, NULL \
                 FROM (SELECT x * 30 + 3 AS a FROM {{s}}) t WHERE a < {a_n}",
                rule_case("a / 10"),
                severity1("a")
            ),
        ),
    )
    .await;
    // Closed items for half the resolved findings.
    exec(
        &mut tx,
        engine.series(
            a_n / 20 + 1,
            &format!(
                "{items} SELECT 'uc' || (a / {per}), 'ry' || a, 'f3_' || a, 'rotation_due', 'low', \
                 'accepted', {now} - 110 * {day}, {now} - 100 * {day}, NULL, \
                 {now} - (100 + (a / 20) % 3) * {day}, 'accepted' \
                 FROM (SELECT x * 20 + 7 AS a FROM {{s}}) t WHERE a < {a_n}"
            ),
        ),
    )
    .await;
    // One leaf in five: a departed person and a handover case.
    exec(
        &mut tx,
        engine.series(
            n3 / 5 + 1,
            &format!(
                "INSERT INTO users (id, unit_id, username, display_name, status, password_hash, \
                 created_at, updated_at) SELECT 'us' || a, 'uc' || a, 'bench_u' || a, \
                 '离岗人员' || a, 'departed', '-', {old}, {old} \
                 FROM (SELECT x * 5 AS a FROM {{s}}) t WHERE a < {n3}"
            ),
        ),
    )
    .await;
    exec(
        &mut tx,
        engine.series(
            n3 / 5 + 1,
            &format!(
                "INSERT INTO handovers (unit_id, id, event_id, event_type, leaver_id, state, \
                 deadline_at, signed_off_at, created_at, updated_at) \
                 SELECT 'uc' || a, 'ho' || a, 'ev' || a, 'departure', 'us' || a, \
                 CASE (a / 5) % 4 WHEN 1 THEN 'open' WHEN 2 THEN 'acknowledged' ELSE 'closed' END, \
                 c + 10 * {day}, \
                 CASE (a / 5) % 4 WHEN 0 THEN c + 3 * {day} WHEN 3 THEN c + 20 * {day} END, \
                 c, c FROM (SELECT x * 5 AS a, {now} - ((x * 5 / 5) % 300) * {day} AS c \
                 FROM {{s}}) t WHERE a < {n3}"
            ),
        ),
    )
    .await;
    tx.commit().await.expect("commit");
}

/// `n` accounts `{prefix}{x}` in the unit `'uc' || ({unit_expr})`.
async fn insert_accounts(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
    prefix: &str,
    n: usize,
    unit_expr: &str,
    at: i64,
) {
    exec(
        conn,
        engine.series(
            n,
            &format!(
                "INSERT INTO accounts (unit_id, id, name, platform, login_name, classification, \
                 status, created_at, updated_at) \
                 SELECT 'uc' || ({unit_expr}), '{prefix}' || x, '账号{prefix}' || x, \
                 CASE x % 5 WHEN 0 THEN 'weibo' WHEN 1 THEN 'wechat_official' WHEN 2 THEN 'douyin' \
                 WHEN 3 THEN 'gov_website_cms' ELSE 'email' END, 'login{prefix}' || x, \
                 CASE WHEN x % 10 < 2 THEN 'core' WHEN x % 10 < 7 THEN 'important' ELSE 'general' END, \
                 CASE WHEN x % 37 = 5 THEN 'suspended' ELSE 'active' END, {at}, {at} FROM {{s}}"
            ),
        ),
    )
    .await;
}

/// Fresh statistics (and on PostgreSQL a visibility map, so index-only scans are
/// index-only), as a maintained database has.
async fn maintain(state: &AppState, engine: Engine) {
    let sql = match engine {
        Engine::Sqlite => "ANALYZE",
        Engine::Postgres => "VACUUM ANALYZE",
    };
    sqlx::raw_sql(sql)
        .execute(state.db.pool())
        .await
        .expect("maintain");
}

/// The statements of a migration, comments left out.
fn statements(sql: &str) -> Vec<String> {
    let lines: Vec<&str> = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect();
    lines
        .join("\n")
        .split(';')
        .map(|s| s.trim().to_string())
        .collect()
}

/// The index a statement `<verb> <name> …` names.
fn index_named(stmt: &str, verb: &str) -> Option<String> {
    Some(
        stmt.strip_prefix(verb)?
            .split_whitespace()
            .next()?
            .to_string(),
    )
}

/// The `CREATE INDEX` statements of migration 0024 whose index still exists after the
/// later migrations, with each index's name.
fn risk_indexes() -> Vec<(String, String)> {
    let dropped: Vec<String> = statements(DROPPED_LATER)
        .iter()
        .filter_map(|s| index_named(s, "DROP INDEX "))
        .collect();
    statements(RISK_INDEXES)
        .into_iter()
        .filter_map(|stmt| Some((index_named(&stmt, "CREATE INDEX ")?, stmt)))
        .filter(|(name, _)| !dropped.contains(name))
        .collect()
}

/// Runs one DDL statement in a write transaction; how long it took.
async fn ddl(state: &AppState, engine: Engine, sql: String) -> Duration {
    let t = Instant::now();
    let mut tx = state.db.begin_write().await.expect("tx");
    if engine == Engine::Sqlite {
        // A pooled connection may hold the schema as it was before another connection
        // changed it, and SQLite checks DDL against that copy ("index … already
        // exists"); reading in the transaction first makes it reload the schema.
        exec(&mut tx, "SELECT COUNT(*) FROM sqlite_master".into()).await;
    }
    exec(&mut tx, sql).await;
    tx.commit().await.expect("commit");
    t.elapsed()
}

/// How many of the 0024 indexes exist.
async fn present(state: &AppState, engine: Engine) -> usize {
    let names: Vec<String> = risk_indexes()
        .into_iter()
        .map(|(n, _)| format!("'{n}'"))
        .collect();
    let sql = match engine {
        Engine::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN",
        Engine::Postgres => "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN",
    };
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("{sql} ({})", names.join(", "))))
        .fetch_one(state.db.pool())
        .await
        .expect("indexes")
        .get(0);
    usize::try_from(n).unwrap_or(0)
}

async fn drop_indexes(state: &AppState, engine: Engine) {
    for (name, _) in risk_indexes() {
        ddl(state, engine, format!("DROP INDEX {name}")).await;
    }
    assert_eq!(present(state, engine).await, 0);
}

/// Builds the indexes; how long each took.
async fn build_indexes(state: &AppState, engine: Engine) -> Vec<(String, Duration)> {
    let mut out = Vec::new();
    for (name, stmt) in risk_indexes() {
        out.push((name, ddl(state, engine, stmt).await));
    }
    assert_eq!(present(state, engine).await, out.len());
    out
}

/// The baseline: active and inactive accounts counted per unit of the subtree.
async fn baseline(state: &AppState, path: &str) -> (Duration, i64) {
    let t = Instant::now();
    let rows = sqlx::query(
        "SELECT unit_id, COUNT(*) AS n FROM accounts \
         WHERE unit_id IN (SELECT id FROM units WHERE path LIKE $1) GROUP BY unit_id",
    )
    .bind(format!("{path}%"))
    .fetch_all(state.db.pool())
    .await
    .expect("baseline");
    let took = t.elapsed();
    (took, rows.iter().map(|r| r.get::<i64, _>("n")).sum())
}

async fn ranking(state: &AppState, unit: &Unit) -> Duration {
    let paging = Paging::new(Some(500), None).expect("paging");
    let t = Instant::now();
    let page = rank_children(state, unit, RankSort::Score, &paging)
        .await
        .expect("rank");
    let took = t.elapsed();
    assert!(!page.items.is_empty());
    took
}

/// Where the ranking of `root`'s children spends its time: each of `tally::load_children`'s queries alone
/// (median), the whole load (they run at once), and for comparison the counts the
/// counters replaced, over every unit of the subtree.
async fn breakdown(h: &Harness, name: &str, phase: &str, root: &Unit) {
    let like = format!("{}%", root.path);
    let id = root.id.as_str().to_string();
    // As tally/scope.rs rolls a subtree up to the root's children.
    let below = format!("{}_%", root.path);
    let child = h
        .state
        .db
        .path_segment("u.path", root.path.chars().count() + 1);
    let join = if root.parent_id.is_none() {
        ","
    } else {
        " CROSS JOIN"
    };
    let by_child = |table: &str, columns: &str, filter: &str| {
        format!(
            "SELECT {child}, {columns} FROM units u{join} {table} t \
             WHERE t.unit_id = u.id AND u.path LIKE $1 AND {filter} GROUP BY 1"
        )
    };
    // As tally/counts.rs reads the finding counters: by severity and by rule.
    let sum = |cond: String| format!("CAST(SUM(CASE WHEN {cond} THEN t.n ELSE 0 END) AS BIGINT)");
    let pivot: Vec<String> = Severity::ALL
        .iter()
        .map(|s| sum(format!("t.severity = '{s}'")))
        .chain(Rule::ALL.iter().map(|r| sum(format!("t.rule = '{r}'"))))
        .collect();
    let pivot = pivot.join(", ");
    let sub = "unit_id IN (SELECT id FROM units WHERE path LIKE $1)";
    let queries = [
        (
            "children",
            "SELECT id, parent_id, path, depth, name FROM units WHERE parent_id = $1 ORDER BY path"
                .to_string(),
            &id,
        ),
        (
            "account counters",
            by_child(
                "unit_account_counts",
                "CAST(SUM(t.n) AS BIGINT)",
                "t.status = 'active' AND t.n <> 0",
            ),
            &below,
        ),
        (
            "finding counters",
            by_child("unit_finding_counts", &pivot, "t.n <> 0"),
            &below,
        ),
        (
            "handovers",
            by_child("handovers", "COUNT(*)", "t.state <> 'cancelled'"),
            &below,
        ),
        (
            "items",
            by_child(
                "rectifications",
                "COUNT(*), SUM(CASE WHEN COALESCE(t.submitted_at, t.closed_at, 0) <= t.deadline_at THEN 1 ELSE 0 END)",
                "(t.opened_at >= 0 OR t.state IN ('open', 'returned', 'submitted'))",
            ),
            &below,
        ),
        (
            "(before the counters: active accounts counted per unit)",
            format!(
                "SELECT unit_id, COUNT(*) AS n FROM accounts WHERE status = 'active' AND {sub} GROUP BY unit_id"
            ),
            &like,
        ),
        (
            "(open findings counted per unit)",
            format!(
                "SELECT unit_id, rule, severity, COUNT(*) AS n FROM findings WHERE state = 'open' AND {sub} GROUP BY unit_id, rule, severity"
            ),
            &like,
        ),
    ];
    let mut parts = Vec::new();
    for (label, sql, bind) in queries {
        if std::env::var("CREDGOV_BENCH_PLANS").is_ok() {
            let explain = match h.state.db.backend() {
                credgov::db::Backend::Sqlite => "EXPLAIN QUERY PLAN",
                credgov::db::Backend::Postgres => "EXPLAIN",
            };
            let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("{explain} {sql}")))
                .bind(bind)
                .fetch_all(h.state.db.pool())
                .await
                .expect("plan")
                .iter()
                .map(|r| r.try_get::<String, _>(r.len() - 1).unwrap_or_default())
                .collect();
            println!("{name} ({phase}) {label} plan: {}", plan.join(" / "));
        }
        let mut v = Vec::new();
        let mut rows = 0;
        for _ in 0..4 {
            let t = Instant::now();
            rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(bind)
                .fetch_all(h.state.db.pool())
                .await
                .expect("part")
                .len();
            v.push(t.elapsed());
        }
        parts.push(format!("{label} {:.1} ms ({rows} rows)", ms(median(v))));
    }
    let mut loads = Vec::new();
    for _ in 0..4 {
        let t = Instant::now();
        let tallies = credgov::risk::tally::load_children(&h.state.db, root, 0)
            .await
            .expect("load");
        loads.push(t.elapsed());
        assert!(!tallies.children.is_empty());
    }
    println!(
        "{name} ({phase}): where the ranking's time goes — {}; tally::load_children {:.1} ms",
        parts.join(", "),
        ms(median(loads)),
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

async fn unit(state: &AppState, id: &str) -> Unit {
    get_unit(state.db.pool(), &UnitId::new(id.to_string()))
        .await
        .expect("unit")
        .expect("unit exists")
}

struct Settings {
    accounts: usize,
    units: usize,
    reps: usize,
    drills: usize,
}

/// One phase (with or without the 0024 indexes): ranking and drill-down rows.
async fn measure(
    h: &Harness,
    name: &str,
    phase: &str,
    targets: &[(&str, Unit)],
    leaves: &[Unit],
    ctx: &AuthContext,
    set: &Settings,
) -> (Vec<String>, String) {
    let mut out = Vec::new();
    for (label, u) in targets {
        // Warm both once, then interleave.
        let (_, rows) = baseline(&h.state, &u.path).await;
        ranking(&h.state, u).await;
        let (mut base, mut rank) = (Vec::new(), Vec::new());
        for _ in 0..set.reps {
            base.push(baseline(&h.state, &u.path).await.0);
            rank.push(ranking(&h.state, u).await);
        }
        let (base, rank) = (median(base), median(rank));
        let ratio = rank.as_secs_f64() / base.as_secs_f64();
        out.push(format!(
            "| {name} | {phase} | {label} | {rows} | {:.1} | {:.1} | {ratio:.2}× | ≤ 1.5× {} | {} |",
            ms(base),
            ms(rank),
            if ratio <= 1.5 { "met" } else { "MISSED" },
            load()
        ));
        println!("{}", out.last().expect("row"));
    }
    for (label, u) in targets {
        breakdown(h, name, &format!("{phase}, {label}"), u).await;
    }
    let mut drills = Vec::new();
    for i in 0..set.drills + 10 {
        let leaf = &leaves[i % leaves.len()];
        let t = Instant::now();
        let d = detail(&h.state, ctx, leaf).await.expect("detail");
        let took = t.elapsed();
        if i == 0 {
            let accounts = d.accounts.as_ref().map_or(0, Vec::len);
            assert!(accounts > 0, "the leaf has accounts with findings");
            println!(
                "{name}: drill-down of a leaf: {accounts} account(s) with findings, {} live item(s)",
                d.rectifications.len()
            );
        }
        if i >= 10 {
            drills.push(took);
        }
    }
    drills.sort();
    let p99 = percentile(&drills, 0.99);
    let drill = format!(
        "| {name} | {phase} | {} leaves × {} calls | {:.2} | {:.2} | ≤ 50 ms {} | {} |",
        leaves.len(),
        drills.len(),
        ms(percentile(&drills, 0.5)),
        ms(p99),
        if p99 <= Duration::from_millis(50) {
            "met"
        } else {
            "MISSED"
        },
        load()
    );
    println!("{drill}");
    (out, drill)
}

async fn run_engine(engine: Engine, url: Option<String>, set: &Settings) -> [Vec<String>; 3] {
    let name = engine.name();
    let h = Harness::start(url).await;
    let db = &h.state.db;
    let shape = Shape::new(set.accounts, set.units);
    let root = unit(&h.state, &h.root_id).await;
    counters::uninstall(db)
        .await
        .expect("drop the counter triggers");
    let t = Instant::now();
    generate(&h.state, engine, &root.path, &h.root_id, &shape).await;
    let generated = t.elapsed();
    let t = Instant::now();
    counters::install(db)
        .await
        .expect("install the counter triggers");
    let backfill = t.elapsed();
    let t = Instant::now();
    maintain(&h.state, engine).await;
    let maintained = t.elapsed();
    let t = Instant::now();
    let drifts = counters::repair(db).await.expect("recount");
    let recount = t.elapsed();
    assert!(
        drifts.is_empty(),
        "the counters equal a recount: {drifts:?}"
    );
    println!(
        "{name}: generated {} units ({} / {} / {} per level), {} accounts in {:.1} s; \
         counter triggers created and counters filled in {:.0} ms; {} {:.1} s; \
         recount (the daily repair, nothing to repair) {:.0} ms; load {}",
        shape.units(),
        shape.l1,
        shape.l2,
        shape.leaves,
        shape.accounts,
        generated.as_secs_f64(),
        ms(backfill),
        match engine {
            Engine::Sqlite => "ANALYZE",
            Engine::Postgres => "VACUUM ANALYZE",
        },
        maintained.as_secs_f64(),
        ms(recount),
        load()
    );
    let targets = [
        ("root's children", root.clone()),
        ("a level-1 unit's children", unit(&h.state, "ua0").await),
    ];
    let mut leaves = Vec::new();
    for i in 0..20 {
        leaves.push(unit(&h.state, &format!("uc{}", i * shape.leaves / 20)).await);
    }
    let ctx = AuthContext {
        principal: Principal::User {
            id: "bench-supervisor".into(),
            username: "bench-supervisor".into(),
        },
        grants: vec![Grant {
            unit_id: root.id.as_str().to_string(),
            unit_path: root.path.clone(),
            role: Role::Supervisor,
        }],
        session: SessionKind::Full,
        second_factor: true,
        token_hash: String::new(),
    };
    assert_eq!(present(&h.state, engine).await, risk_indexes().len());
    let (ranks, drill) = measure(&h, name, "counters", &targets, &leaves, &ctx, set).await;

    // Write cost: the same batch with neither, with the 0024 indexes, with both.
    let batch = (set.accounts / 10).max(1000);
    let leaves_n = shape.leaves;
    let mut costs = Vec::new();
    let mut built = Vec::new();
    let mut filled = Duration::ZERO;
    for (tag, indexes, triggers) in [
        ("wa", false, false),
        ("wb", true, false),
        ("wc", true, true),
    ] {
        match (indexes, present(&h.state, engine).await > 0) {
            (false, true) => drop_indexes(&h.state, engine).await,
            (true, false) => built = build_indexes(&h.state, engine).await,
            _ => {}
        }
        if triggers {
            let t = Instant::now();
            counters::install(db).await.expect("install");
            filled = t.elapsed();
        } else {
            counters::uninstall(db).await.expect("uninstall");
        }
        maintain(&h.state, engine).await;
        let t = Instant::now();
        let mut tx = db.begin_write().await.expect("tx");
        insert_accounts(&mut tx, engine, tag, batch, &format!("x % {leaves_n}"), 0).await;
        exec(
            &mut tx,
            engine.series(
                batch / 10,
                &format!(
                    "INSERT INTO findings (unit_id, id, rule, target_kind, target_id, severity, \
                     details, state, first_seen, last_seen) \
                     SELECT 'uc' || ((x * 10) % {leaves_n}), 'f{tag}' || x, 'weak_password', \
                     'account', '{tag}' || (x * 10), 'high', '{{}}', 'open', 0, 0 FROM {{s}}"
                ),
            ),
        )
        .await;
        tx.commit().await.expect("commit");
        let inserted = t.elapsed();
        // As the daily scan resolves what cleared (first_seen 0: this batch only).
        let t = Instant::now();
        let mut tx = db.begin_write().await.expect("tx");
        let resolved = exec(
            &mut tx,
            "UPDATE findings SET state = 'resolved', resolved_at = 1, resolved_how = 'bench' \
             WHERE first_seen = 0 AND state = 'open'"
                .into(),
        )
        .await;
        tx.commit().await.expect("commit");
        assert_eq!(resolved as usize, batch / 10);
        costs.push((indexes, triggers, inserted, t.elapsed()));
    }
    assert!(counters::repair(db).await.expect("recount").is_empty());
    let builds: Vec<String> = built
        .iter()
        .map(|(n, d)| format!("{n} {:.0} ms", ms(*d)))
        .collect();
    let (base_in, base_res) = (costs[0].2, costs[0].3);
    let rows = costs
        .iter()
        .map(|(indexes, triggers, inserted, resolved)| {
            let build = match (indexes, triggers) {
                (false, _) => "—".to_string(),
                (true, false) => builds.join(", "),
                (true, true) => format!("counters filled {:.0} ms", ms(filled)),
            };
            format!(
                "| {name} | {} | {} | {batch} accounts + {} findings | {:.0} | {:+.0} % | {:.0} | {:+.0} % | {build} | {} |",
                if *indexes { "with" } else { "without" },
                if *triggers { "with" } else { "without" },
                batch / 10,
                ms(*inserted),
                (inserted.as_secs_f64() / base_in.as_secs_f64() - 1.0) * 100.0,
                ms(*resolved),
                (resolved.as_secs_f64() / base_res.as_secs_f64() - 1.0) * 100.0,
                load()
            )
        })
        .collect::<Vec<_>>();
    for r in &rows {
        println!("{r}");
    }
    [ranks, vec![drill], rows]
}

fn env(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let accounts = env("CREDGOV_BENCH_ACCOUNTS").unwrap_or(1_000_000);
    let set = Settings {
        accounts,
        units: env("CREDGOV_BENCH_UNITS").unwrap_or((accounts / 100).max(20)),
        reps: env("CREDGOV_BENCH_REPS").unwrap_or(5).max(1),
        drills: env("CREDGOV_BENCH_DRILLS").unwrap_or(200).max(1),
    };
    let engines = std::env::var("CREDGOV_BENCH_ENGINES").unwrap_or_default();
    let wants = |e: &str| engines.is_empty() || engines.split(',').any(|x| x.trim() == e);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!(
            "credgov risk benchmark — rank_children vs one covering-index GROUP BY unit count \
             over the same subtree, and the drill-down of a leaf; {} accounts \
             (CREDGOV_BENCH_ACCOUNTS) in {} units (CREDGOV_BENCH_UNITS), median of {} \
             (CREDGOV_BENCH_REPS), {} drill-downs (CREDGOV_BENCH_DRILLS); load {}",
            set.accounts,
            set.units,
            set.reps,
            set.drills,
            load()
        );
        let mut tables: [Vec<String>; 3] = Default::default();
        let mut add = |t: [Vec<String>; 3]| {
            for (all, rows) in tables.iter_mut().zip(t) {
                all.extend(rows);
            }
        };
        if wants("sqlite") {
            add(run_engine(Engine::Sqlite, None, &set).await);
        }
        if wants("postgres") {
            match common::pg_url("risk").await {
                Some(url) => add(run_engine(Engine::Postgres, Some(url), &set).await),
                None => println!("(CREDGOV_TEST_DATABASE_URL not set: PostgreSQL skipped)"),
            }
        }
        println!();
        println!(
            "| engine | read from | ranking | rows | baseline ms | ranking ms | ratio | goal | load |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for r in &tables[0] {
            println!("{r}");
        }
        println!();
        println!("| engine | read from | drill-down | p50 ms | p99 ms | goal | load |");
        println!("|---|---|---|---|---|---|---|");
        for r in &tables[1] {
            println!("{r}");
        }
        println!();
        println!(
            "| engine | 0024 indexes | counter triggers | same batch | insert ms | vs neither | resolve the findings ms | vs neither | built at this size | load |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for r in &tables[2] {
            println!("{r}");
        }
    });
}
