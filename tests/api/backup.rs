//! `credgov backup` while the service writes, a restore into a fresh database, and
//! `credgov restore-check` on it (issue 13), on both engines: the check passes with
//! every sealed kind counted, and names a damaged credential or a wrong master key.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::cli::{run, text};
use crate::common::{Engine, TestApp, binary_env, fresh_database};
use crate::notify_email::set_relay;
use crate::web_accounts::setup;

both_engines!(a_backup_taken_while_writing_restores_and_checks);

fn credgov(env: &[(String, String)], args: &[&str]) -> (Option<i32>, String) {
    let o = run(env, args, None);
    (o.status.code(), text(&o))
}

/// Restores `backup` into a new database: the SQLite file itself, or `pg_restore`
/// into a fresh PostgreSQL database (kept alive by the returned guard).
async fn restore(
    engine: Engine,
    dir: &Path,
    backup: &Path,
) -> (String, Option<crate::common::PgDb>) {
    match engine {
        Engine::Sqlite => (format!("sqlite://{}", backup.display()), None),
        Engine::Postgres => {
            let restored = dir.join("restored");
            std::fs::create_dir_all(&restored).unwrap();
            let (url, guard) = fresh_database(engine, &restored).await.expect("PostgreSQL");
            let o = std::process::Command::new("pg_restore")
                .args(["--no-owner", "--exit-on-error", "--dbname", &url])
                .arg(backup)
                .output()
                .expect("pg_restore runs");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            (url, guard)
        }
    }
}

async fn a_backup_taken_while_writing_restores_and_checks(app: TestApp) {
    // Every kind of sealed value: passwords and an account TOTP seed (setup), a
    // person's TOTP seed (the custodian enrolled), a channel, the SMTP password.
    let s = setup(&app).await;
    let (st, v) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/units/{}/channels", s.unit),
            Some(&app.admin_token),
            Some(json!({ "email": { "to": ["office@example.gov.cn"] } })),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    set_relay(&app, 2525).await;

    let env = binary_env(
        &app.config.database_url,
        &app.config.master_key_file,
        "warn",
    );
    let out: PathBuf = app.dir.path().join(match app.engine {
        Engine::Sqlite => "credgov-backup.db",
        Engine::Postgres => "credgov-backup.dump",
    });
    // The backup runs while accounts keep being registered.
    let job = {
        let (env, out) = (env.clone(), out.clone());
        tokio::task::spawn_blocking(move || {
            credgov(&env, &["backup", "--out", out.to_str().unwrap_or("")])
        })
    };
    let mut written = 0;
    while !job.is_finished() || written < 3 {
        let (st, v) = app
            .post(
                &format!("/api/v1/units/{}/accounts", s.unit),
                &s.admin.token,
                json!({ "name": format!("栏目号{written}"), "platform": "weibo", "login_name": format!("col{written}"), "classification": "general", "generate": true }),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        written += 1;
    }
    let (code, said) = job.await.expect("the backup finishes");
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("master key is NOT in it"), "{said}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // A second backup to the same file is refused.
    let (code, said) = credgov(&env, &["backup", "--out", out.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("already exists"), "{said}");

    // Restored into a fresh database, the check passes and counts every kind.
    let (url, _guard) = restore(app.engine, app.dir.path(), &out).await;
    let (code, said) = credgov(&env, &["restore-check", "--database-url", &url]);
    assert_eq!(code, Some(0), "{said}");
    for want in [
        "audit chains intact",
        "credential versions",
        "1 account TOTP seeds",
        "user TOTP seeds",
        "1 notification channel secrets",
        "1 SMTP password",
    ] {
        assert!(said.contains(want), "{want}: {said}");
    }
    assert!(!said.contains(crate::web_accounts::CANARY), "{said}");

    // With another master key: refused, naming the key.
    let other_key = app.dir.path().join("other.key");
    std::fs::write(&other_key, format!("{}\n", "ab".repeat(32))).unwrap();
    let wrong = binary_env(&app.config.database_url, &other_key, "warn");
    let (code, said) = credgov(&wrong, &["restore-check", "--database-url", &url]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("does not match"), "{said}");

    // A credential moved onto another version's row: named, exit 1.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(
        "UPDATE credential_versions SET sealed = (SELECT c.sealed FROM credential_versions c \
         WHERE c.account_id = $1 AND c.version = 1) WHERE account_id = $2 AND version = 1",
    )
    .bind(&s.account)
    .bind(&s.other_account)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let (code, said) = credgov(&env, &["restore-check", "--database-url", &url]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!("account {}", s.other_account)) && said.contains("does not open"),
        "{said}"
    );

    // A path that holds no database is not created.
    if app.engine == Engine::Sqlite {
        let missing = app.dir.path().join("nothing-here.db");
        let (code, said) = credgov(
            &env,
            &[
                "restore-check",
                "--database-url",
                &format!("sqlite://{}", missing.display()),
            ],
        );
        assert_eq!(code, Some(1), "{said}");
        assert!(!missing.exists());
    }
}
