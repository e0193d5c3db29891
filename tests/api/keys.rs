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
