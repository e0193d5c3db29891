//! Keyed audit chain and signed anchors: `credgov audit anchor` signs every chain head;
//! `credgov audit verify --anchor FILE` catches an edited, deleted, reordered, truncated
//! or wholly deleted chain, and one rehashed with plain SHA-256 by someone without the
//! key; a forged anchor is refused. Chains written before keying (v1) continue keyed.

use std::process::{Command, Stdio};

use credgov::audit::{GENESIS_HASH, V_HASHED, VerifyReport, event_hash, verify_all};
use sqlx::Row;

use crate::both_engines;
use crate::common::TestApp;
use crate::vault::{account, vault};

fn cli(app: &TestApp, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(TestApp::binary())
        .args(args)
        .env_clear()
        .env("CREDGOV_DATABASE_URL", &app.config.database_url)
        .env("CREDGOV_MASTER_KEY_FILE", &app.config.master_key_file)
        .env("CREDGOV_LOG_LEVEL", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A department with a few events, and an anchor file taken over it.
async fn anchored(app: &TestApp) -> (String, std::path::PathBuf) {
    let v = vault(app, "区财政局").await;
    account(app, &v, "财政局公众号", "Peregrine-Basalt-Lumen-38").await;
    account(app, &v, "财政局微博", "Peregrine-Basalt-Lumen-39").await;
    let (code, out, err) = cli(app, &["audit", "anchor"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let anchor: serde_json::Value = serde_json::from_str(&out).expect("anchor is JSON");
    assert_eq!(anchor["format"], "credgov-audit-anchor/1");
    assert!(anchor["signature"].as_str().unwrap().len() == 64);
    let heads = anchor["heads"].as_array().unwrap();
    let dept = heads
        .iter()
        .find(|h| h["unit_id"] == v.unit.as_str())
        .expect("the department's chain is anchored");
    assert!(dept["seq"].as_i64().unwrap() >= 4, "{dept}");
    assert!(heads.iter().any(|h| h["unit_id"] == app.root_id.as_str()));
    let path = app.dir.path().join("anchor.json");
    std::fs::write(&path, &out).unwrap();
    (v.unit, path)
}

fn verify_with(app: &TestApp, anchor: &std::path::Path) -> (Option<i32>, String) {
    let (code, out, err) = cli(
        app,
        &["audit", "verify", "--anchor", anchor.to_str().unwrap()],
    );
    (code, out + &err)
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(app.pool())
        .await
        .unwrap();
}

async fn last_seq(app: &TestApp, unit: &str) -> i64 {
    sqlx::query("SELECT seq FROM audit_heads WHERE unit_id = $1")
        .bind(unit)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0)
}

/// Asserts `verify --anchor` exits 1 naming `unit` and a reason containing `needle`.
fn assert_broken(app: &TestApp, anchor: &std::path::Path, unit: &str, needle: &str) {
    let (code, text) = verify_with(app, anchor);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("BROKEN"), "{text}");
    assert!(text.contains(unit), "names the unit: {text}");
    assert!(text.contains(needle), "expected {needle:?}: {text}");
}

both_engines!(
    anchor_untampered_verifies,
    anchor_catches_an_edit,
    anchor_catches_a_deletion,
    anchor_catches_a_reorder,
    anchor_catches_a_truncated_tail,
    anchor_catches_a_deleted_unit_chain,
    anchor_catches_a_sha256_rehash,
    anchor_catches_a_rehash_that_keeps_v2,
    forged_anchor_is_refused,
    pre_keying_chains_continue_keyed,
);

async fn anchor_untampered_verifies(app: TestApp) {
    let (_, path) = anchored(&app).await;
    let (code, text) = verify_with(&app, &path);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("consistent with the anchor"), "{text}");
    // Events after the anchor are fine; plain verify still works.
    vault(&app, "区审计局").await;
    let (code, text) = verify_with(&app, &path);
    assert_eq!(code, Some(0), "{text}");
    let (code, out, err) = cli(&app, &["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");
}

async fn anchor_catches_an_edit(app: TestApp) {
    let (dept, path) = anchored(&app).await;
    exec(
        &app,
        &format!("UPDATE audit_events SET details = '{{}}' WHERE unit_id = '{dept}' AND seq = 2"),
    )
    .await;
    assert_broken(&app, &path, &dept, "keyed link");
}

async fn anchor_catches_a_deletion(app: TestApp) {
    let (dept, path) = anchored(&app).await;
    exec(
        &app,
        &format!("DELETE FROM audit_events WHERE unit_id = '{dept}' AND seq = 2"),
    )
    .await;
    assert_broken(&app, &path, &dept, "missing");
}

async fn anchor_catches_a_reorder(app: TestApp) {
    let (dept, path) = anchored(&app).await;
    for sql in [
        "UPDATE audit_events SET seq = -1 WHERE unit_id = '{dept}' AND seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE unit_id = '{dept}' AND seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE unit_id = '{dept}' AND seq = -1",
    ] {
        exec(&app, &sql.replace("{dept}", &dept)).await;
    }
    assert_broken(&app, &path, &dept, "event 2");
}

/// The newest events deleted and the head moved back to the last one kept: every chain
/// is consistent on its own, only the anchor knows it was longer.
async fn anchor_catches_a_truncated_tail(app: TestApp) {
    let (dept, path) = anchored(&app).await;
    let last = last_seq(&app, &dept).await;
    let keep = last - 2;
    exec(
        &app,
        &format!("DELETE FROM audit_events WHERE unit_id = '{dept}' AND seq > {keep}"),
    )
    .await;
    exec(&app, &format!("UPDATE audit_heads SET seq = {keep}, hash = (SELECT hash FROM audit_events WHERE unit_id = '{dept}' AND seq = {keep}) WHERE unit_id = '{dept}'")).await;
    let (code, out, err) = cli(&app, &["audit", "verify"]);
    assert_eq!(
        code,
        Some(0),
        "a chain walk alone cannot see it: {out}{err}"
    );
    assert_broken(&app, &path, &dept, "truncated");
}

async fn anchor_catches_a_deleted_unit_chain(app: TestApp) {
    let (dept, path) = anchored(&app).await;
    exec(
        &app,
        &format!("DELETE FROM audit_events WHERE unit_id = '{dept}'"),
    )
    .await;
    exec(
        &app,
        &format!("DELETE FROM audit_heads WHERE unit_id = '{dept}'"),
    )
    .await;
    let (code, out, err) = cli(&app, &["audit", "verify"]);
    assert_eq!(
        code,
        Some(0),
        "a chain walk alone cannot see it: {out}{err}"
    );
    assert_broken(&app, &path, &dept, "deleted");
}

/// Recomputes the links of `unit` from `from_seq` on with plain SHA-256 (what an attacker
/// without the key can do), as v1 events or keeping `v = 2`, and moves the head.
async fn rehash(app: &TestApp, unit: &str, from_seq: i64, as_v1: bool) {
    let events = credgov::audit::list(app.pool(), &credgov::ids::UnitId::new(unit), 0, 1000)
        .await
        .unwrap();
    let mut prev = GENESIS_HASH.to_string();
    for e in events {
        if e.seq < from_seq {
            prev = e.hash.clone();
            continue;
        }
        let mut c = e.canonical();
        if as_v1 {
            c.v = V_HASHED;
        }
        let hash = event_hash(&prev, &c);
        sqlx::query("UPDATE audit_events SET v = $1, prev_hash = $2, hash = $3 WHERE unit_id = $4 AND seq = $5")
            .bind(i64::from(c.v))
            .bind(&prev)
            .bind(&hash)
            .bind(unit)
            .bind(e.seq)
            .execute(app.pool())
            .await
            .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE audit_heads SET hash = $1 WHERE unit_id = $2")
        .bind(&prev)
        .bind(unit)
        .execute(app.pool())
        .await
        .unwrap();
}

async fn anchor_catches_a_sha256_rehash(app: TestApp) {
    let (dept, path) = anchored(&app).await;
    exec(
        &app,
        &format!(
            "UPDATE audit_events SET actor_name = 'mallory' WHERE unit_id = '{dept}' AND seq = 2"
        ),
    )
    .await;
    rehash(&app, &dept, 2, true).await;
    assert_broken(&app, &path, &dept, "unkeyed");
    // Even if the attacker also moves the chain's keying boundary, the anchor knows it.
    let last = last_seq(&app, &dept).await;
    exec(
        &app,
        &format!("UPDATE audit_heads SET legacy_seq = {last} WHERE unit_id = '{dept}'"),
    )
    .await;
    assert_broken(&app, &path, &dept, "rewritten");
}

async fn anchor_catches_a_rehash_that_keeps_v2(app: TestApp) {
    let (dept, path) = anchored(&app).await;
    exec(
        &app,
        &format!(
            "UPDATE audit_events SET actor_name = 'mallory' WHERE unit_id = '{dept}' AND seq = 2"
        ),
    )
    .await;
    rehash(&app, &dept, 2, false).await;
    assert!(matches!(
        verify_all(&app.state.db).await.unwrap(),
        VerifyReport::Broken { seq: 2, .. }
    ));
    assert_broken(&app, &path, &dept, "keyed link");
}

async fn forged_anchor_is_refused(app: TestApp) {
    let (dept, path) = anchored(&app).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let mut anchor: serde_json::Value = serde_json::from_str(&text).unwrap();

    // A changed signature.
    let sig = anchor["signature"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    let mut forged = anchor.clone();
    forged["signature"] = format!("{flipped}{}", &sig[1..]).into();
    let forged_path = app.dir.path().join("forged.json");
    std::fs::write(&forged_path, forged.to_string()).unwrap();
    let (code, text) = verify_with(&app, &forged_path);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("refused") && text.contains("signature"),
        "{text}"
    );

    // A head moved back (to cover a truncation) without the key to re-sign.
    let last = last_seq(&app, &dept).await;
    exec(
        &app,
        &format!("DELETE FROM audit_events WHERE unit_id = '{dept}' AND seq = {last}"),
    )
    .await;
    exec(&app, &format!("UPDATE audit_heads SET seq = {}, hash = (SELECT hash FROM audit_events WHERE unit_id = '{dept}' AND seq = {}) WHERE unit_id = '{dept}'", last - 1, last - 1)).await;
    for h in anchor["heads"].as_array_mut().unwrap() {
        if h["unit_id"] == dept.as_str() {
            h["seq"] = (last - 1).into();
            h["hash"] = sqlx::query("SELECT hash FROM audit_heads WHERE unit_id = $1")
                .bind(&dept)
                .fetch_one(app.pool())
                .await
                .unwrap()
                .get::<String, _>(0)
                .into();
        }
    }
    std::fs::write(&forged_path, anchor.to_string()).unwrap();
    let (code, text) = verify_with(&app, &forged_path);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("refused"), "{text}");
    // The genuine anchor still sees the truncation.
    assert_broken(&app, &path, &dept, "truncated");

    // Not an anchor at all.
    std::fs::write(&forged_path, "{}").unwrap();
    let (code, text) = verify_with(&app, &forged_path);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("not a credgov audit anchor"), "{text}");
}

/// A database from before keying: its chains hold v1 (SHA-256) events. New events are
/// keyed (v2) and chain on from the last v1 link; verify accepts the mix, and a v1 event
/// after the boundary is a rewrite.
async fn pre_keying_chains_continue_keyed(app: TestApp) {
    let v = vault(&app, "区财政局").await;
    let dept = v.unit.clone();
    // Turn the chain into what a pre-keying database holds, boundary as the migration sets it.
    rehash(&app, &dept, 1, true).await;
    exec(
        &app,
        &format!("UPDATE audit_heads SET legacy_seq = seq WHERE unit_id = '{dept}'"),
    )
    .await;
    let legacy = last_seq(&app, &dept).await;
    assert!(matches!(
        verify_all(&app.state.db).await.unwrap(),
        VerifyReport::Intact { .. }
    ));
    account(&app, &v, "财政局公众号", "Peregrine-Basalt-Lumen-38").await;
    let rows = sqlx::query(
        "SELECT seq, v, prev_hash FROM audit_events WHERE unit_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(&dept)
    .bind(legacy)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.get::<i64, _>("v") == 2),
        "new events are keyed"
    );
    let boundary_hash: String =
        sqlx::query("SELECT hash FROM audit_events WHERE unit_id = $1 AND seq = $2")
            .bind(&dept)
            .bind(legacy)
            .fetch_one(app.pool())
            .await
            .unwrap()
            .get(0);
    assert_eq!(
        rows[0].get::<String, _>("prev_hash"),
        boundary_hash,
        "chained across v1 → v2"
    );
    let (code, out, err) = cli(&app, &["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");

    // Rewriting the keyed part as v1 (no key needed) is caught without an anchor too.
    rehash(&app, &dept, legacy + 1, true).await;
    match verify_all(&app.state.db).await.unwrap() {
        VerifyReport::Broken { seq, reason, .. } => {
            assert_eq!(seq, legacy + 1);
            assert!(reason.contains("unkeyed"), "{reason}");
        }
        other => panic!("not caught: {other:?}"),
    }
}
