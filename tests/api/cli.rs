//! The operator CLI: `init` runs once, `audit verify` exits 0 or 1, errors are one
//! sentence with the exit code of their kind.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use sqlx::Row;

use crate::common::{Engine, TestApp, fresh_database};

pub(crate) fn run(env: &[(String, String)], args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(TestApp::binary());
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("credgov runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("credgov exits")
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn cli_scenario(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _guard)) = fresh_database(engine, dir.path()).await else {
        return;
    };
    let env = crate::common::binary_env(&url, &dir.path().join("master.key"), "warn");
    let o = run(&env, &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &env,
        &["init", "--admin", "root-admin", "--password-stdin"],
        Some("Saffron-Glacier-Tundra-42\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !text(&o).contains("Saffron-Glacier"),
        "a piped password is never printed"
    );
    let o = run(&env, &["init", "--admin", "someone-else"], None);
    assert_eq!(o.status.code(), Some(1), "init runs once: {}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("already initialised"), "{err}");
    let o = run(&env, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("intact: 2 events"),
        "{}",
        text(&o)
    );
    // An HR officer files a staff change from the console.
    {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let root: String = sqlx::query("SELECT id FROM units WHERE parent_id IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        pool.close().await;
        let args = [
            "handover",
            "open",
            "--type",
            "departure",
            "--username",
            "root-admin",
            "--unit",
            root.as_str(),
        ];
        let o = run(&env, &args, None);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("handover case"),
            "{}",
            text(&o)
        );
        let o = run(&env, &args, None);
        assert_eq!(
            o.status.code(),
            Some(0),
            "the same command again is idempotent: {}",
            text(&o)
        );
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("already recorded"),
            "{}",
            text(&o)
        );
        let o = run(
            &env,
            &[
                "handover",
                "open",
                "--type",
                "departure",
                "--username",
                "nobody-here",
                "--unit",
                root.as_str(),
            ],
            None,
        );
        // Not found: exit 3 and the plain sentence, no HTTP-ish code.
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .any(|l| l == "credgov: user not found"),
            "{}",
            text(&o)
        );
    }
    // Tamper with the trail and verify again.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE audit_events SET outcome = 'failure' WHERE seq = 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let o = run(&env, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("BROKEN"),
        "{}",
        text(&o)
    );
    // A weak piped password is refused with a reason.
    let dir2 = tempfile::tempdir().unwrap();
    let mut env2 = env.clone();
    env2[0].1 = format!("sqlite://{}", dir2.path().join("x.db").display());
    env2[1].1 = dir2.path().join("master.key").display().to_string();
    let o = run(
        &env2,
        &["init", "--admin", "root-admin", "--password-stdin"],
        Some("123456\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("password policy"),
        "{}",
        text(&o)
    );
    // A configuration file with an unknown key is one clear line.
    let cfg = dir.path().join("credgov.toml");
    std::fs::write(&cfg, "listen = \"127.0.0.1:0\"\nlisten_port = 8080\n").unwrap();
    let o = run(&env, &["--config", cfg.to_str().unwrap(), "migrate"], None);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("listen_port") && err.lines().count() == 1,
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sqlite() {
    cli_scenario(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_postgres() {
    cli_scenario(Engine::Postgres).await;
}

/// Text logs written to a file or a pipe (not a terminal) carry no ANSI colour codes,
/// and a new SQLite database is private (mode 0600).
#[test]
fn text_logs_to_a_pipe_are_plain_and_a_new_database_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("credgov.db");
    let env = crate::common::binary_env(
        &format!("sqlite://{}", db.display()),
        &dir.path().join("master.key"),
        "warn",
    );
    let o = run(&env, &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("generated a new master key"), "{err}");
    assert!(!err.contains('\u{1b}'), "no colour codes: {err:?}");
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// Every log line of a request names its request id and, once the caller is known, the
/// user id (never a password or token); JSON logs carry them on each line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_of_a_request_name_the_request_and_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = crate::common::binary_env(
        &format!("sqlite://{}", dir.path().join("credgov.db").display()),
        &dir.path().join("master.key"),
        "info",
    );
    env.push(("CREDGOV_LOG_FORMAT".into(), "json".into()));
    let password = "Saffron-Glacier-Tundra-42";
    let o = run(
        &env,
        &["init", "--admin", "root-admin", "--password-stdin"],
        Some(&format!("{password}\n")),
    );
    assert!(o.status.success(), "{}", text(&o));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = Command::new(TestApp::binary())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("credgov serves");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not come up");
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "root-admin", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"]
        .as_str()
        .expect("a session token")
        .to_string();
    let me: serde_json::Value = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .header("x-request-id", "req-log-test-1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_id = me["user"]["id"]
        .as_str()
        .expect("the user's id")
        .to_string();
    let _ = server.kill();
    let _ = server.wait();
    let logged = std::fs::read_to_string(&log_path).unwrap();
    let line = logged
        .lines()
        .find(|l| l.contains("req-log-test-1") && l.contains("\"response\""))
        .unwrap_or_else(|| panic!("no response line for the request:\n{logged}"));
    let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
    assert_eq!(v["span"]["request_id"], "req-log-test-1", "{line}");
    assert_eq!(v["span"]["user_id"], user_id.as_str(), "{line}");
    assert!(!logged.contains(password) && !logged.contains(&token));
    assert!(!logged.contains('\u{1b}'));
}
