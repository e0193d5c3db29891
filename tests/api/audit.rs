//! The audit trail: hash chains that catch edits, deletions and reordering; reading by
//! auditors only; fail-closed writes.

use credgov::audit::{VerifyReport, verify_all};
use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{Engine, TestApp, error_code};

both_engines!(
    chain_verification_catches_edit_delete_and_reorder,
    verification_during_writes_never_reports_a_break,
    only_auditors_read_the_trail,
    audit_failure_blocks_the_change,
    many_events_at_once_chain_as_one_at_a_time,
);

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(app.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn verify(app: &TestApp) -> VerifyReport {
    verify_all(&app.state.db).await.expect("verify runs")
}

async fn chain_verification_catches_edit_delete_and_reorder(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区审计局", "department")
        .await;
    for role in ["custodian", "hr"] {
        app.user_with_role(&dept, role).await;
    }
    let VerifyReport::Intact { chains, events } = verify(&app).await else {
        panic!("fresh chain must verify");
    };
    assert_eq!(chains, 2);
    assert!(events >= 8, "{events}");
    let root = &app.root_id;
    exec(
        &app,
        "CREATE TABLE audit_backup AS SELECT * FROM audit_events",
    )
    .await;
    let restore = "DELETE FROM audit_events";
    let refill = "INSERT INTO audit_events SELECT * FROM audit_backup";

    // 1. An edited field.
    exec(
        &app,
        &format!(
            "UPDATE audit_events SET actor_name = 'mallory' WHERE unit_id = '{root}' AND seq = 2"
        ),
    )
    .await;
    match verify(&app).await {
        VerifyReport::Broken {
            unit_id,
            seq,
            reason,
        } => {
            assert_eq!((unit_id.as_str(), seq), (root.as_str(), 2), "{reason}");
        }
        other => panic!("edit not caught: {other:?}"),
    }
    exec(&app, restore).await;
    exec(&app, refill).await;
    assert!(matches!(verify(&app).await, VerifyReport::Intact { .. }));

    // 2. A deleted event in the middle.
    exec(
        &app,
        &format!("DELETE FROM audit_events WHERE unit_id = '{dept}' AND seq = 2"),
    )
    .await;
    match verify(&app).await {
        VerifyReport::Broken { unit_id, seq, .. } => {
            assert_eq!((unit_id.as_str(), seq), (dept.as_str(), 2))
        }
        other => panic!("deletion not caught: {other:?}"),
    }
    exec(&app, restore).await;
    exec(&app, refill).await;

    // 3. Two events swapped.
    exec(
        &app,
        &format!("UPDATE audit_events SET seq = -1 WHERE unit_id = '{dept}' AND seq = 2"),
    )
    .await;
    exec(
        &app,
        &format!("UPDATE audit_events SET seq = 2 WHERE unit_id = '{dept}' AND seq = 3"),
    )
    .await;
    exec(
        &app,
        &format!("UPDATE audit_events SET seq = 3 WHERE unit_id = '{dept}' AND seq = -1"),
    )
    .await;
    match verify(&app).await {
        VerifyReport::Broken { unit_id, seq, .. } => {
            assert_eq!((unit_id.as_str(), seq), (dept.as_str(), 2))
        }
        other => panic!("reorder not caught: {other:?}"),
    }
    exec(&app, restore).await;
    exec(&app, refill).await;

    // 4. The newest event removed.
    exec(&app, &format!("DELETE FROM audit_events WHERE unit_id = '{dept}' AND seq = (SELECT MAX(seq) FROM audit_backup WHERE unit_id = '{dept}')")).await;
    assert!(
        matches!(verify(&app).await, VerifyReport::Broken { .. }),
        "tail deletion not caught"
    );
    exec(&app, restore).await;
    exec(&app, refill).await;
    assert!(matches!(verify(&app).await, VerifyReport::Intact { .. }));

    // 5. The head moved back one event (so the newest event is outside every head):
    //    the walk up to the head is intact, but the stray event is named.
    exec(
        &app,
        "CREATE TABLE heads_backup AS SELECT * FROM audit_heads",
    )
    .await;
    exec(
        &app,
        &format!(
            "UPDATE audit_heads SET seq = seq - 1, hash = (SELECT e.hash FROM audit_events e \
             WHERE e.unit_id = audit_heads.unit_id AND e.seq = audit_heads.seq - 1) \
             WHERE unit_id = '{dept}'"
        ),
    )
    .await;
    match verify(&app).await {
        VerifyReport::Broken {
            unit_id, reason, ..
        } => {
            assert_eq!(unit_id.as_str(), dept.as_str(), "{reason}");
            assert!(reason.contains("beyond the chain head"), "{reason}");
        }
        other => panic!("event beyond the head not caught: {other:?}"),
    }
    exec(&app, "DELETE FROM audit_heads").await;
    exec(&app, "INSERT INTO audit_heads SELECT * FROM heads_backup").await;
    assert!(matches!(verify(&app).await, VerifyReport::Intact { .. }));
}

/// Verifying while audited writes commit (the console verifies on every audit page)
/// never reports a break: the walk stops at the head it read first.
async fn verification_during_writes_never_reports_a_break(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区档案馆", "department")
        .await;
    let done = std::cell::Cell::new(false);
    let writes = async {
        for i in 0..30 {
            app.create_unit(&dept, &format!("科室{i}"), "institution")
                .await;
        }
        done.set(true);
    };
    let checks = async {
        let mut checks = 0;
        while !done.get() {
            match verify(&app).await {
                VerifyReport::Intact { .. } => checks += 1,
                broken => panic!("a concurrent write was reported as a break: {broken:?}"),
            }
        }
        checks
    };
    let ((), checks) = tokio::join!(writes, checks);
    assert!(checks > 0, "verification never ran during the writes");
    assert!(matches!(verify(&app).await, VerifyReport::Intact { .. }));
}

async fn only_auditors_read_the_trail(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区政务中心", "department")
        .await;
    let other = app
        .create_unit(&app.root_id, "区水利局", "department")
        .await;
    let auditor = app.user_with_role(&dept, "auditor").await;
    let (s, page) = app
        .get(&format!("/api/v1/audit?unit_id={dept}"), &auditor.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let events = page["items"].as_array().unwrap();
    assert!(events.iter().any(|e| e["action"] == "membership.grant"));
    assert_eq!(events[0]["seq"], 1);
    assert!(events[0]["hash"].as_str().unwrap().len() == 64);
    // Default unit and paging.
    let (s, p1) = app.get("/api/v1/audit?limit=2", &auditor.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let next = p1["items"][1]["seq"].as_i64().unwrap();
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (s, p2) = app
        .get(
            &format!("/api/v1/audit?limit=2&cursor={cursor}"),
            &auditor.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p2["items"][0]["seq"], next + 1);
    // `after` (a sequence number) still works instead of the cursor.
    let (s, p3) = app
        .get(
            &format!("/api/v1/audit?limit=2&after={next}"),
            &auditor.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p3["items"], p2["items"]);
    let (s, v) = app.get("/api/v1/audit?limit=0", &auditor.token).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    error_code(&v);
    // Outside the auditor's subtree: not found. Other capabilities: forbidden.
    let (s, _) = app
        .get(&format!("/api/v1/audit?unit_id={other}"), &auditor.token)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/api/v1/units", &auditor.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/api/v1/users", &auditor.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The sysadmin reads no audit trail.
    let (s, v) = app
        .get(&format!("/api/v1/audit?unit_id={dept}"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
}

async fn audit_failure_blocks_the_change(app: TestApp) {
    let (block, unblock) = match app.engine {
        Engine::Sqlite => (
            "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit store down'); END",
            "DROP TRIGGER audit_fail",
        ),
        Engine::Postgres => (
            "ALTER TABLE audit_events ADD CONSTRAINT audit_fail CHECK (false) NOT VALID",
            "ALTER TABLE audit_events DROP CONSTRAINT audit_fail",
        ),
    };
    let before = app.audit_actions(&app.root_id).await.len();
    exec(&app, block).await;
    let (s, v) = app
        .post("/api/v1/users", &app.admin_token, json!({ "username": "ghost", "display_name": "幽灵", "password": "Juniper-Falcon-Opal-58" }))
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    assert_eq!(error_code(&v), "internal");
    assert!(
        !v.to_string().contains("audit store"),
        "5xx says nothing internal: {v}"
    );
    let (s, _) = app
        .post(
            "/api/v1/units",
            &app.admin_token,
            json!({ "name": "幽灵镇", "kind": "town", "parent_id": app.root_id }),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    exec(&app, unblock).await;
    let (s, users) = app.get("/api/v1/users", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !users.to_string().contains("ghost"),
        "the user was not created: {users}"
    );
    let (s, units) = app.get("/api/v1/units", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        units["items"].as_array().unwrap().len(),
        1,
        "the unit was not created"
    );
    assert_eq!(app.audit_actions(&app.root_id).await.len(), before);
    assert!(matches!(verify(&app).await, VerifyReport::Intact { .. }));
    // And the service works again.
    let (s, _) = app
        .post("/api/v1/users", &app.admin_token, json!({ "username": "ghost", "display_name": "幽灵", "password": "Juniper-Falcon-Opal-58" }))
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

/// `Tx::audit_all` (a scan's items, written together) links every unit's events exactly
/// as `Tx::audit` one at a time would: around single events in the same transaction,
/// interleaved units, a unit with no chain yet. The chains verify, each unit's sequence
/// has no gap, and each unit's events keep the order they were given in.
async fn many_events_at_once_chain_as_one_at_a_time(app: TestApp) {
    use credgov::audit::{Actor, Entry, RequestMeta};
    let dept = app
        .create_unit(&app.root_id, "区档案局", "department")
        .await;
    let fresh = app
        .create_unit(&app.root_id, "区统计局", "department")
        .await;
    // A unit whose chain does not exist yet: created, then its head removed with its
    // events (as if no event had ever been written for it).
    exec(
        &app,
        &format!("DELETE FROM audit_events WHERE unit_id = '{fresh}'"),
    )
    .await;
    exec(
        &app,
        &format!("DELETE FROM audit_heads WHERE unit_id = '{fresh}'"),
    )
    .await;
    let root = app.root_id.to_string();
    let (dept, fresh) = (dept.to_string(), fresh.to_string());
    let meta = RequestMeta {
        request_id: Some("req-batch".into()),
        client_addr: Some("10.0.0.9".into()),
    };
    let order = [&dept, &root, &dept, &fresh, &dept, &root, &fresh];
    let targets: Vec<String> = (0..order.len()).map(|i| format!("item-{i}")).collect();
    let mut tx = app.state.db.begin_write().await.unwrap();
    tx.audit(1, &meta, Entry::new(&dept, Actor::system(), "test.before"))
        .await
        .unwrap();
    let entries = order
        .iter()
        .zip(&targets)
        .map(|(unit, target)| {
            Entry::new(unit.as_str(), Actor::system(), "test.batch")
                .target("rectification", target)
                .details(json!({ "target": target }))
        })
        .collect();
    tx.audit_all(2, &meta, entries).await.unwrap();
    tx.audit(3, &meta, Entry::new(&dept, Actor::system(), "test.after"))
        .await
        .unwrap();
    tx.audit_all(4, &meta, Vec::new()).await.unwrap();
    tx.commit().await.unwrap();

    assert!(
        matches!(verify(&app).await, VerifyReport::Intact { .. }),
        "chains must verify after a batch"
    );
    for unit in [&root, &dept, &fresh] {
        let rows = sqlx::query(
            "SELECT seq, action, target_id, request_id, client_addr FROM audit_events \
             WHERE unit_id = $1 ORDER BY seq",
        )
        .bind(unit.as_str())
        .fetch_all(app.pool())
        .await
        .unwrap();
        let seqs: Vec<i64> = rows.iter().map(|r| sqlx::Row::get(r, "seq")).collect();
        let first = seqs.first().copied().unwrap_or(1);
        assert_eq!(first, 1, "{unit}: {seqs:?}");
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{unit}: a gap in {seqs:?}"
        );
        let head: i64 = sqlx::Row::get(
            &sqlx::query("SELECT seq FROM audit_heads WHERE unit_id = $1")
                .bind(unit.as_str())
                .fetch_one(app.pool())
                .await
                .unwrap(),
            0,
        );
        assert_eq!(Some(&head), seqs.last(), "{unit}: the head's sequence");
        // This transaction's events of the unit, in the order they were given.
        let mut expected: Vec<String> = Vec::new();
        if unit == &dept {
            expected.push("test.before:".into());
        }
        for (u, t) in order.iter().zip(&targets) {
            if *u == unit {
                expected.push(format!("test.batch:{t}"));
            }
        }
        if unit == &dept {
            expected.push("test.after:".into());
        }
        let ours: Vec<String> = rows
            .iter()
            .filter(|r| sqlx::Row::get::<String, _>(*r, "action").starts_with("test."))
            .map(|r| {
                format!(
                    "{}:{}",
                    sqlx::Row::get::<String, _>(r, "action"),
                    sqlx::Row::get::<Option<String>, _>(r, "target_id").unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(ours, expected, "{unit}");
        for r in rows
            .iter()
            .filter(|r| sqlx::Row::get::<String, _>(*r, "action") == "test.batch")
        {
            assert_eq!(
                sqlx::Row::get::<Option<String>, _>(r, "request_id").as_deref(),
                Some("req-batch")
            );
            assert_eq!(
                sqlx::Row::get::<Option<String>, _>(r, "client_addr").as_deref(),
                Some("10.0.0.9")
            );
        }
    }
    // An edit inside a batch's events is caught like any other.
    exec(
        &app,
        &format!(
            "UPDATE audit_events SET details = '{{}}' WHERE unit_id = '{dept}' AND action = 'test.batch' AND target_id = 'item-2'"
        ),
    )
    .await;
    assert!(
        matches!(verify(&app).await, VerifyReport::Broken { .. }),
        "an edited batch event must break the chain"
    );
}
