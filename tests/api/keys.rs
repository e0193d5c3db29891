//! Master key rotation: re-wraps every data key, survives a crash midway (every value
//! stays readable under one of the two keys; the command finishes on a second run),
//! and the service refuses to start on a half-rotated or mismatched keyring.

use std::process::{Command, Stdio};

use credgov::app::AppState;
use credgov::crypto::{MasterKey, rotate_master_key};
use reqwest::StatusCode;
use sqlx::Row;

use crate::both_engines;
use crate::common::TestApp;
use crate::vault::{account, vault};

both_engines!(master_key_rotation_resumes_after_a_crash);

async fn master_key_rotation_resumes_after_a_crash(app: TestApp) {
    let v = vault(&app, "区财政局").await;
    let w = vault(&app, "区审计局").await;
    let a = account(&app, &v, "财政局公众号", "Peregrine-Basalt-Lumen-38").await;
    let b = account(&app, &w, "审计局公众号", "Peregrine-Basalt-Lumen-39").await;
    let wrapped_before: Vec<Vec<u8>> =
        sqlx::query("SELECT wrapped FROM unit_keys ORDER BY unit_id")
            .fetch_all(app.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert_eq!(wrapped_before.len(), 2, "one data key per unit");

    let old = MasterKey::load(&app.config.master_key_file).unwrap();
    let new_path = app.dir.path().join("new-master.key");
    let new = MasterKey::generate();
    new.write_new(&new_path).unwrap();

    // Crash after the first re-wrap: the system key moved, the unit keys did not.
    let report = rotate_master_key(&app.state.db, &old, &new, app.now(), Some(1))
        .await
        .unwrap();
    assert!(!report.finished);
    assert_eq!(report.rewrapped, 1);
    assert_eq!(
        keys_under(&app, old.check_value()).await + keys_under(&app, new.check_value()).await,
        2,
        "every key under one of the two"
    );

    // Neither key starts the service while the rotation is unfinished.
    let mut with_new = app.config.clone();
    with_new.master_key_file = new_path.clone();
    for config in [app.config.clone(), with_new.clone()] {
        let e = AppState::start(config, app.clock.clone())
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("unfinished"), "{e}");
    }

    // The CLI finishes the job.
    let out = Command::new(TestApp::binary())
        .args([
            "keys",
            "rotate",
            "--new-key-file",
            new_path.to_str().unwrap(),
        ])
        .env_clear()
        .env("CREDGOV_DATABASE_URL", &app.config.database_url)
        .env("CREDGOV_MASTER_KEY_FILE", &app.config.master_key_file)
        .env("CREDGOV_LOG_LEVEL", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("2 keys re-wrapped"), "{text}");
    assert_eq!(keys_under(&app, new.check_value()).await, 2);

    // The old key is now refused, the new one serves every secret, including the
    // admin's TOTP (sealed under a key derived from the re-wrapped system key).
    let e = AppState::start(app.config.clone(), app.clock.clone())
        .await
        .err()
        .expect("old key refused")
        .to_string();
    assert!(e.contains("does not match"), "{e}");
    let rotated = AppState::start(with_new, app.clock.clone())
        .await
        .expect("new key starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(credgov::server::serve(
        rotated,
        listener,
        std::future::pending(),
    ));
    for (token, id, pw) in [
        (&v.admin.token, &a, "Peregrine-Basalt-Lumen-38"),
        (&w.admin.token, &b, "Peregrine-Basalt-Lumen-39"),
    ] {
        let r = app
            .client
            .post(format!("{base}/api/v1/accounts/{id}/reveal"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "reason": "换钥后核对" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["password"], pw);
    }
    let code = app.fresh_code(&app.admin_totp);
    let r = app
        .client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": crate::common::ADMIN, "password": crate::common::ADMIN_PASSWORD, "totp_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "TOTP still verifies after the key rotation"
    );
    // Running it again is a no-op error, not damage.
    let again = Command::new(TestApp::binary())
        .args([
            "keys",
            "rotate",
            "--new-key-file",
            new_path.to_str().unwrap(),
        ])
        .env_clear()
        .env("CREDGOV_DATABASE_URL", &app.config.database_url)
        .env("CREDGOV_MASTER_KEY_FILE", &new_path)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
}

async fn keys_under(app: &TestApp, check: String) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM unit_keys WHERE key_check = $1")
        .bind(check)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get(0)
}

both_engines!(rotation_while_serving_strands_no_secret);

/// `credgov keys rotate` (another process) while the app serves: keys the server already
/// holds keep working, a new unit's key is refused with 503 `restart_required` instead of
/// being wrapped under the retired key, and after a restart on the new key every secret
/// opens and the new unit gets its key.
async fn rotation_while_serving_strands_no_secret(app: TestApp) {
    let v = vault(&app, "区财政局").await;
    let a = account(&app, &v, "财政局公众号", "Peregrine-Basalt-Lumen-38").await;

    let new_path = app.dir.path().join("new-master.key");
    MasterKey::generate().write_new(&new_path).unwrap();
    let (code, text) = cli_rotate(&app, &new_path);
    assert_eq!(code, Some(0), "{text}");

    // The running server still holds the old KEK.
    let w = vault(&app, "区审计局").await;
    let (s, body) = app
        .post(
            &format!("/api/v1/units/{}/accounts", w.unit),
            &w.admin.token,
            serde_json::json!({ "name": "审计局公众号", "platform": "wechat_official", "login_name": "audit@gov.cn", "classification": "core", "password": "Peregrine-Basalt-Lumen-40" }),
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(crate::common::error_code(&body), "restart_required");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("restart"),
        "{body}"
    );
    assert_eq!(
        sqlx::query("SELECT COUNT(*) FROM unit_keys WHERE unit_id = $1")
            .bind(&w.unit)
            .fetch_one(app.pool())
            .await
            .unwrap()
            .get::<i64, _>(0),
        0,
        "no key wrapped under the retired master key"
    );
    // A unit key the server already holds keeps working (its value never changes).
    let (s, body) = crate::vault::reveal(&app, &v.admin.token, &a).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let a2 = account(&app, &v, "财政局微博", "Peregrine-Basalt-Lumen-41").await;

    // The rotation is in the root chain, by the operator.
    let row = sqlx::query(
        "SELECT actor_kind, details FROM audit_events WHERE unit_id = $1 AND action = 'keys.rotate'",
    )
    .bind(&app.root_id)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>(0), "operator");
    let details: serde_json::Value = serde_json::from_str(&row.get::<String, _>(1)).unwrap();
    assert_eq!(details["epoch"], 2, "{details}");

    // Restart on the new key: everything opens, the new unit gets its key.
    let mut config = app.config.clone();
    config.master_key_file = new_path;
    let restarted = AppState::start(config, app.clock.clone())
        .await
        .expect("new key starts");
    assert_eq!(
        credgov::audit::verify_all(&restarted.db).await.unwrap(),
        credgov::audit::verify_all(&app.state.db).await.unwrap(),
        "one chain key before and after the rotation"
    );
    assert!(matches!(
        credgov::audit::verify_all(&restarted.db).await.unwrap(),
        credgov::audit::VerifyReport::Intact { .. }
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(credgov::server::serve(
        restarted,
        listener,
        std::future::pending(),
    ));
    let reveal = |token: String, id: String| {
        let (client, base) = (app.client.clone(), base.clone());
        async move {
            let r = client
                .post(format!("{base}/api/v1/accounts/{id}/reveal"))
                .bearer_auth(token)
                .json(&serde_json::json!({ "reason": "换钥后核对" }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<serde_json::Value>().await.unwrap()["password"].clone()
        }
    };
    assert_eq!(
        reveal(v.admin.token.clone(), a).await,
        "Peregrine-Basalt-Lumen-38"
    );
    assert_eq!(
        reveal(v.admin.token.clone(), a2).await,
        "Peregrine-Basalt-Lumen-41"
    );
    let r = app
        .client
        .post(format!("{base}/api/v1/units/{}/accounts", w.unit))
        .bearer_auth(&w.admin.token)
        .json(&serde_json::json!({ "name": "审计局公众号", "platform": "wechat_official", "login_name": "audit@gov.cn", "classification": "core", "password": "Peregrine-Basalt-Lumen-40" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        reveal(w.admin.token.clone(), b["id"].as_str().unwrap().to_string()).await,
        "Peregrine-Basalt-Lumen-40"
    );
}

both_engines!(unit_key_created_during_a_rotation_is_rewrapped);

/// Two writers: a server transaction creating a unit key and a rotation in another
/// process. The rotation waits for the server's transaction (keyring row claimed in it)
/// and then re-wraps the new key too, so it opens under the new master key.
async fn unit_key_created_during_a_rotation_is_rewrapped(app: TestApp) {
    let v = vault(&app, "区财政局").await;
    let mut tx = app.state.db.begin_write().await.unwrap();
    let key = app
        .state
        .keyring
        .unit_key(&mut tx, &v.unit, app.now())
        .await
        .unwrap();

    let other = credgov::db::Db::connect(&app.config.database_url, 2)
        .await
        .unwrap();
    let old = MasterKey::load(&app.config.master_key_file).unwrap();
    let new_path = app.dir.path().join("new-master.key");
    let new = MasterKey::generate();
    new.write_new(&new_path).unwrap();
    let now = app.now();
    let rotation = tokio::spawn(async move {
        let r = rotate_master_key(&other, &old, &new, now, None).await;
        other.close().await;
        r
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    tx.commit().await.unwrap();
    let report = rotation.await.unwrap().expect("rotation finishes");
    assert!(report.finished);

    let mut config = app.config.clone();
    config.master_key_file = new_path;
    let restarted = AppState::start(config, app.clock.clone())
        .await
        .expect("new key starts");
    let reopened = restarted
        .keyring
        .existing_unit_key(restarted.db.pool(), &v.unit)
        .await
        .expect("the key created during the rotation opens under the new master key")
        .expect("stored");
    assert_eq!(*reopened, *key);
}

pub(crate) fn cli_rotate(app: &TestApp, new_path: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(TestApp::binary())
        .args([
            "keys",
            "rotate",
            "--new-key-file",
            new_path.to_str().unwrap(),
        ])
        .env_clear()
        .env("CREDGOV_DATABASE_URL", &app.config.database_url)
        .env("CREDGOV_MASTER_KEY_FILE", &app.config.master_key_file)
        .env("CREDGOV_LOG_LEVEL", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}
