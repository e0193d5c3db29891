//! Canary secrets never reach the logs, error bodies or the database in plaintext.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::common::{TestApp, captured_logs};

both_engines!(
    canaries_stay_out_of_logs_and_database,
    the_dump_reads_every_table_the_migrations_create,
);

async fn canaries_stay_out_of_logs_and_database(app: TestApp) {
    let canary = format!("Canary-{}-Pw!", uuid::Uuid::new_v4().simple());
    let username = format!("canary-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (s, v) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({ "username": username, "display_name": "金丝雀", "password": canary }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, login) = app.login_raw(&username, &canary, None).await;
    assert_eq!(s, StatusCode::OK);
    let token = login["token"].as_str().unwrap().to_string();
    let (s, e) = app
        .post("/api/v1/auth/totp/enroll", &token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let totp_secret = e["secret"].as_str().unwrap().to_string();
    // A failed login with a different canary.
    let wrong = format!("Wrong-{}-Pw", uuid::Uuid::new_v4().simple());
    let (s, v) = app.login_raw(&username, &wrong, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(!v.to_string().contains(&wrong));
    let (s, t) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({ "name": "canary", "role": "hr", "unit_id": app.root_id }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let api_token = t["token"].as_str().unwrap().to_string();
    let (s, _) = app.get("/api/v1/me", &api_token).await;
    assert_eq!(s, StatusCode::OK);

    let logs = captured_logs();
    let dump = app.dump().await;
    assert!(dump.contains(&username), "the dump helper sees the data");
    for (what, secret) in [
        ("password", &canary),
        ("wrong password", &wrong),
        ("TOTP secret", &totp_secret),
        ("session token", &token),
        ("API token", &api_token),
    ] {
        assert!(
            !logs.contains(secret.as_str()),
            "{what} leaked into the logs"
        );
        assert!(
            !dump.contains(secret.as_str()),
            "{what} stored in plaintext"
        );
    }
    assert!(logs.contains("/api/v1/auth/login"), "the log capture works");
}

/// The plaintext checks are only as good as the dump: it must read every table the
/// migrations create, and it must see a value planted in a vault table.
async fn the_dump_reads_every_table_the_migrations_create(app: TestApp) {
    let tables = app.tables().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut created = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let sql = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in sql.lines() {
            if let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") {
                let name = rest
                    .trim_start_matches("IF NOT EXISTS ")
                    .split([' ', '('])
                    .next()
                    .unwrap()
                    .to_string();
                created.push(name);
            }
        }
    }
    assert!(created.len() >= 18, "{created:?}");
    for t in &created {
        assert!(tables.contains(t), "the dump skips table {t}: {tables:?}");
    }
    let unit = app
        .create_unit(&app.root_id, "区档案馆", "institution")
        .await;
    let admin = app.user_with_role(&unit, "unit_admin").await;
    let planted = format!("Planted-{}", uuid::Uuid::new_v4().simple());
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{unit}/accounts"),
            &admin.token,
            json!({ "name": "档案馆网站", "platform": "gov_website_cms", "login_name": "daj", "classification": "general", "generate": true, "notes": planted }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(
        app.dump().await.contains(&planted),
        "the dump does not read accounts"
    );
}
