//! `credgov import accounts`: the real binary against the test service's database,
//! with good files (UTF-8 with Chinese headers, GB18030, XLSX) and bad ones (missing
//! columns, bad rows, duplicates), on both engines.

use std::path::{Path, PathBuf};
use std::process::Output;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::both_engines;
use crate::common::TestApp;
use crate::vault::{Vault, account, reveal, vault};

both_engines!(
    good_utf8_csv_with_chinese_headers_is_imported,
    gb18030_csv_is_decoded_and_imported,
    xlsx_is_imported_with_numbers_kept_as_digits,
    missing_or_unknown_columns_stop_before_any_row,
    bad_rows_are_all_reported_and_nothing_is_written,
    dry_run_writes_nothing_and_unknown_unit_is_clear,
    awkward_text_survives_the_bulk_insert_exactly,
    two_large_imports_in_one_process_both_land,
);

const STRONG_1: &str = "Violet-Harbor-Quartz-91";
const STRONG_2: &str = "Osmanthus-Ridge-Lantern-47";
const STRONG_3: &str = "Cobalt^Meadow^Tundra^58";
/// Passes length and character classes, fails the zxcvbn score.
const WEAK: &str = "Password123!";
/// Strong, but used by two rows.
const SHARED: &str = "Juniper+Canyon+Ember+63";

const ALL_PASSWORDS: [&str; 5] = [STRONG_1, STRONG_2, STRONG_3, WEAK, SHARED];

/// Header + rows 2..=6. Row 4 is weak, rows 5 and 6 share a password.
fn good_csv() -> String {
    format!(
        "名称,平台,登录名,密码,级别,登录地址,绑定手机,绑定邮箱,备注\n\
         网信办公众号,微信公众号,wxgzh@gov.cn,{STRONG_1},核心,https://mp.weixin.qq.com,13800000000,,\"备注, 含逗号\n第二行\"\n\
         网信办微博,微博,wxb_weibo,{STRONG_2},,,,wxb@gov.cn,\n\
         网信办抖音,抖音,13900000000,{WEAK},一般,,,,\n\
         网信办B站,B站,wxb_bili,{SHARED},important,,,,\n\
         网站后台,政府网站,admin,{SHARED},core,https://www.example.gov.cn/admin,,,\n"
    )
}

fn env(app: &TestApp) -> Vec<(String, String)> {
    let mut env = crate::common::binary_env(
        &app.config.database_url,
        &app.config.master_key_file,
        "warn",
    );
    env.push(("USER".into(), "importer".into()));
    env
}

async fn credgov(app: &TestApp, args: &[&str]) -> Output {
    tokio::process::Command::new(TestApp::binary())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env(app))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("credgov runs")
}

async fn import(app: &TestApp, unit: &str, file: &Path, extra: &[&str]) -> Output {
    let file = file.display().to_string();
    let mut args = vec!["import", "accounts", "--unit", unit];
    args.extend_from_slice(extra);
    args.push(&file);
    credgov(app, &args).await
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
fn both(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

fn assert_no_password(o: &Output, passwords: &[&str]) {
    let text = both(o);
    for p in passwords {
        assert!(!text.contains(p), "a password was printed: {text}");
    }
}

fn write(app: &TestApp, name: &str, bytes: &[u8]) -> PathBuf {
    let path = app.dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

async fn count(app: &TestApp, sql: &str, unit: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(unit)
        .fetch_one(app.pool())
        .await
        .expect("count")
        .get::<i64, _>(0)
}

async fn accounts_in(app: &TestApp, unit: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM accounts WHERE unit_id = $1",
        unit,
    )
    .await
}

async fn import_events(app: &TestApp, unit: &str) -> Vec<Value> {
    sqlx::query(
        "SELECT details, actor_kind, actor_name FROM audit_events WHERE unit_id = $1 AND action = 'account.import' ORDER BY seq",
    )
    .bind(unit)
    .fetch_all(app.pool())
    .await
    .expect("audit rows")
    .iter()
    .map(|r| {
        let mut v: Value = serde_json::from_str(&r.get::<String, _>(0)).expect("details json");
        v["actor_kind"] = Value::String(r.get(1));
        v["actor_name"] = Value::String(r.get(2));
        v
    })
    .collect()
}

/// `name → (weak, score, state, version)` of every stored version of the unit.
async fn versions(app: &TestApp, unit: &str) -> Vec<(String, i64, i64, String, i64)> {
    sqlx::query(
        "SELECT a.name, v.weak, v.score, v.state, v.version FROM credential_versions v \
         JOIN accounts a ON a.id = v.account_id WHERE v.unit_id = $1 ORDER BY a.name",
    )
    .bind(unit)
    .fetch_all(app.pool())
    .await
    .expect("versions")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
    .collect()
}

async fn account_id(app: &TestApp, v: &Vault, name: &str) -> Value {
    let (s, list) = app
        .get(
            &format!("/api/v1/units/{}/accounts", v.unit),
            &v.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no account {name} in {list}"))
        .clone()
}

async fn revealed_password(app: &TestApp, v: &Vault, name: &str) -> String {
    let a = account_id(app, v, name).await;
    let id = a["id"].as_str().expect("id");
    let (s, r) = reveal(app, &v.admin.token, id).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r["password"].as_str().expect("password").to_string()
}

/// The checks every successful import of `good_csv()` must pass.
async fn assert_good_import(app: &TestApp, v: &Vault, o: &Output, format: &str) {
    assert_eq!(o.status.code(), Some(0), "{}", both(o));
    let out = stdout(o);
    assert!(out.contains("imported 5 accounts"), "{out}");
    assert!(out.contains(format), "{out}");
    assert!(
        out.contains("3 flagged weak, 2 with a reused password"),
        "{out}"
    );
    // Row 4 weak; rows 5 and 6 name each other.
    assert!(
        out.contains("第 4 行 / row 4, 密码/password: weak password"),
        "{out}"
    );
    assert!(
        out.contains("row 5, 密码/password: the same password is used in row 6"),
        "{out}"
    );
    assert!(
        out.contains("row 6, 密码/password: the same password is used in row 5"),
        "{out}"
    );
    assert!(!out.contains("row 2,") && !out.contains("row 3,"), "{out}");
    assert_no_password(o, &ALL_PASSWORDS);

    assert_eq!(accounts_in(app, &v.unit).await, 5);
    // Bulk import records each version's strength, so inspection judges it later
    // without decrypting: the weak row is reported by the next scan.
    let unrecorded = "SELECT COUNT(*) FROM credential_versions WHERE unit_id = $1 \
                      AND (char_classes IS NULL OR char_count IS NULL)";
    assert_eq!(count(app, unrecorded, &v.unit).await, 0);
    credgov::inspection::daily_scan(&app.state, app.now())
        .await
        .expect("scan");
    let weak = "SELECT COUNT(*) FROM findings f JOIN accounts a ON a.id = f.target_id \
                WHERE f.rule = 'weak_password' AND f.state = 'open' AND a.unit_id = $1 AND a.name = '网信办抖音'";
    assert_eq!(count(app, weak, &v.unit).await, 1);
    let vs = versions(app, &v.unit).await;
    assert_eq!(vs.len(), 5, "{vs:?}");
    for (name, weak, score, state, version) in &vs {
        assert_eq!((state.as_str(), *version), ("current", 1), "{name}");
        let expect_weak = match name.as_str() {
            "网信办抖音" => {
                assert!(*score < 3, "{name} score {score}");
                1
            }
            // The district policy forbids one password for two accounts.
            "网信办B站" | "网站后台" => 1,
            _ => 0,
        };
        assert_eq!(*weak, expect_weak, "{name}: {vs:?}");
    }
    let events = import_events(app, &v.unit).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["rows"], 5);
    assert_eq!(e["imported"], 5);
    assert_eq!(e["weak"], 3);
    assert_eq!(e["reused"], 2);
    assert_eq!(e["actor_kind"], "operator");
    assert_eq!(e["actor_name"], "cli:importer");
    assert!(
        e["file"].as_str().is_some_and(|f| f.ends_with(".csv")),
        "{e}"
    );
    let details = e.to_string();
    for p in ALL_PASSWORDS {
        assert!(!details.contains(p));
    }
    // One import event names every account it created (no per-row events).
    let listed = e["accounts"].as_array().map_or(0, |a| a.len());
    assert_eq!(listed, 5, "{e}");

    // The vault opens what the import sealed.
    assert_eq!(revealed_password(app, v, "网信办抖音").await, WEAK);
    assert_eq!(revealed_password(app, v, "网信办公众号").await, STRONG_1);
    let a = account_id(app, v, "网信办公众号").await;
    assert_eq!(a["platform"], "wechat_official");
    assert_eq!(a["classification"], "core");
    assert_eq!(a["bound_phone"], "13800000000");
    assert_eq!(a["login_url"], "https://mp.weixin.qq.com");
    assert_eq!(a["notes"], "备注, 含逗号\n第二行");
    let a = account_id(app, v, "网信办微博").await;
    assert_eq!(a["classification"], "important", "empty means important");
    assert_eq!(a["bound_email"], "wxb@gov.cn");
    assert!(a["bound_phone"].is_null());
    let a = account_id(app, v, "网信办B站").await;
    assert_eq!(a["platform"], "bilibili");
    let a = account_id(app, v, "网站后台").await;
    assert_eq!(a["platform"], "gov_website_cms");
    let a = account_id(app, v, "网信办抖音").await;
    assert_eq!(a["login_name"], "13900000000");
    assert_eq!(a["classification"], "general");

    // The chain the CLI extended still verifies.
    let o = credgov(app, &["audit", "verify"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
}

async fn good_utf8_csv_with_chinese_headers_is_imported(app: TestApp) {
    let v = vault(&app, "区网信办").await;
    let mut bytes = vec![0xEF, 0xBB, 0xBF]; // as Excel's "CSV UTF-8" writes it
    bytes.extend_from_slice(good_csv().as_bytes());
    let file = write(&app, "accounts.csv", &bytes);
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_good_import(&app, &v, &o, "CSV, UTF-8 (BOM)").await;
    // The same file again: every name now exists in the unit; all rows are refused,
    // and the passwords match current ones (warned, not refused).
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let err = stderr(&o);
    for row in 2..=6 {
        assert!(
            err.contains(&format!(
                "row {row}, 名称/name: the unit already has an account named"
            )),
            "{err}"
        );
    }
    assert!(
        err.contains("is the current password of 「网信办公众号」"),
        "{err}"
    );
    assert!(
        err.contains("5 problem(s) in 5 row(s); nothing was imported"),
        "{err}"
    );
    assert_no_password(&o, &ALL_PASSWORDS);
    assert_eq!(accounts_in(&app, &v.unit).await, 5);
    assert_eq!(import_events(&app, &v.unit).await.len(), 1);
}

async fn gb18030_csv_is_decoded_and_imported(app: TestApp) {
    let v = vault(&app, "区教委").await;
    let text = good_csv();
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let file = write(&app, "accounts-gbk.csv", &bytes);
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_good_import(&app, &v, &o, "CSV, GB18030").await;
}

fn xlsx_bytes() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
        "Name",
        "Platform",
        "Login Name",
        "Password",
        "classification",
        "绑定手机",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("cell");
    }
    // Row 2: numbers typed into General cells, as people do.
    sheet.write_string(1, 0, "区政府头条号").expect("cell");
    sheet.write_string(1, 1, "今日头条").expect("cell");
    sheet.write_number(1, 2, 13_800_000_000.0).expect("cell");
    sheet.write_string(1, 3, STRONG_3).expect("cell");
    sheet.write_string(1, 4, "核心").expect("cell");
    sheet.write_number(1, 5, 13_900_000_001.0).expect("cell");
    // Row 3: a numeric password (weak).
    sheet.write_string(2, 0, "区政府快手").expect("cell");
    sheet.write_string(2, 1, "kuaishou").expect("cell");
    sheet.write_string(2, 2, "ks_admin").expect("cell");
    sheet.write_number(2, 3, 20_240_101.0).expect("cell");
    // Row 4 left empty; row 5 a third account.
    sheet.write_string(4, 0, "区政府邮箱").expect("cell");
    sheet.write_string(4, 1, "邮箱").expect("cell");
    sheet
        .write_string(4, 2, "office@example.gov.cn")
        .expect("cell");
    sheet.write_string(4, 3, STRONG_1).expect("cell");
    sheet.write_string(4, 4, "general").expect("cell");
    book.save_to_buffer().expect("xlsx")
}

async fn xlsx_is_imported_with_numbers_kept_as_digits(app: TestApp) {
    let v = vault(&app, "区融媒体中心").await;
    let file = write(&app, "accounts.xlsx", &xlsx_bytes());
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let out = stdout(&o);
    assert!(out.contains("imported 3 accounts"), "{out}");
    assert!(out.contains("XLSX"), "{out}");
    assert!(out.contains("row 3, 密码/password: weak password"), "{out}");
    assert_no_password(&o, &[STRONG_3, STRONG_1, "20240101"]);
    let a = account_id(&app, &v, "区政府头条号").await;
    assert_eq!(a["login_name"], "13800000000");
    assert_eq!(a["bound_phone"], "13900000001");
    assert_eq!(a["platform"], "toutiao");
    assert_eq!(a["classification"], "core");
    assert_eq!(
        account_id(&app, &v, "区政府邮箱").await["platform"],
        "email"
    );
    assert_eq!(revealed_password(&app, &v, "区政府快手").await, "20240101");
    assert_eq!(revealed_password(&app, &v, "区政府头条号").await, STRONG_3);
    let weak: Vec<(String, i64)> = versions(&app, &v.unit)
        .await
        .into_iter()
        .map(|(n, w, ..)| (n, w))
        .collect();
    assert!(weak.contains(&("区政府快手".to_string(), 1)), "{weak:?}");
    assert!(weak.contains(&("区政府头条号".to_string(), 0)), "{weak:?}");
    let events = import_events(&app, &v.unit).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["format"], "XLSX");
    assert_eq!(events[0]["weak"], 1);
}

async fn missing_or_unknown_columns_stop_before_any_row(app: TestApp) {
    let v = vault(&app, "区财政局").await;
    let file = write(
        &app,
        "no-password.csv",
        format!("名称,平台,登录名,备注\n财政局公众号,微信公众号,czj,{STRONG_1}\n").as_bytes(),
    );
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let err = stderr(&o);
    assert!(
        err.contains("missing required column(s) 密码/password"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one clear error: {err}");
    assert_no_password(&o, &[STRONG_1]);

    let file = write(
        &app,
        "unknown.csv",
        format!("名称,平台,账号,口令\n财政局公众号,微信公众号,czj,{STRONG_1}\n").as_bytes(),
    );
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let err = stderr(&o);
    assert!(
        err.contains("missing required column(s) 登录名/login_name, 密码/password"),
        "{err}"
    );
    assert!(
        err.contains("unknown column(s) 账号 (C), 口令 (D)"),
        "{err}"
    );
    assert!(err.contains("known columns: 名称/name (required)"), "{err}");
    assert!(err.contains("备注/notes"), "{err}");

    // Neither UTF-8 nor GB18030.
    let file = write(&app, "binary.csv", &[b'a', b',', 0xFF, 0xFF, b'\n']);
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        stderr(&o).contains("neither UTF-8 nor GBK/GB18030"),
        "{}",
        both(&o)
    );

    // A header and nothing else.
    let file = write(
        &app,
        "empty.csv",
        "name,platform,login_name,password\n".as_bytes(),
    );
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(stderr(&o).contains("no data rows"), "{}", both(&o));

    assert_eq!(accounts_in(&app, &v.unit).await, 0);
    assert!(import_events(&app, &v.unit).await.is_empty());
}

async fn bad_rows_are_all_reported_and_nothing_is_written(app: TestApp) {
    let v = vault(&app, "区卫健委").await;
    account(&app, &v, "卫健委公众号", STRONG_2).await;
    let csv = format!(
        "name,platform,login_name,password,classification\n\
         卫健委微博,微博,wjw_weibo,{STRONG_1},core\n\
         卫健委脸书,脸书,wjw_fb,{STRONG_3},core\n\
         卫健委抖音,抖音,wjw_douyin,,core\n\
         卫健委微博,weibo,wjw_weibo2,{SHARED},core\n\
         卫健委公众号,wechat_official,wjw,{WEAK},core\n\
         卫健委快手,快手,1.38E+10,{STRONG_2},绝密\n\
         卫健委小红书,小红书,wjw_xhs,{WEAK},general\n"
    );
    let file = write(&app, "bad.csv", csv.as_bytes());
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let err = stderr(&o);
    let expected = [
        "第 3 行 / row 3, 平台/platform: unknown platform 「脸书」",
        "第 4 行 / row 4, 密码/password: is required",
        "第 5 行 / row 5, 名称/name: duplicate name 「卫健委微博」: row 2 has the same name",
        "第 6 行 / row 6, 名称/name: the unit already has an account named 「卫健委公众号」",
        "第 7 行 / row 7, 登录名/login_name: 「1.38E+10」 is a number Excel shortened",
        "第 7 行 / row 7, 级别/classification: unknown classification 「绝密」",
    ];
    for line in expected {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    assert!(
        err.contains("6 problem(s) in 5 row(s); nothing was imported"),
        "{err}"
    );
    // Good rows are not reported as problems; warnings are still shown.
    let problems: Vec<&str> = err
        .lines()
        .take_while(|l| !l.starts_with("warnings"))
        .collect();
    assert!(
        !problems
            .iter()
            .any(|l| l.contains("row 2,") || l.contains("row 8,")),
        "{err}"
    );
    assert!(
        err.contains(
            "row 7, 密码/password: the same password is the current password of 「卫健委公众号」"
        ),
        "{err}"
    );
    assert!(err.contains("row 8, 密码/password: weak password"), "{err}");
    assert_no_password(&o, &ALL_PASSWORDS);
    assert_eq!(accounts_in(&app, &v.unit).await, 1, "nothing written");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM credential_versions WHERE unit_id = $1",
            &v.unit
        )
        .await,
        1
    );
    assert!(import_events(&app, &v.unit).await.is_empty());
}

async fn dry_run_writes_nothing_and_unknown_unit_is_clear(app: TestApp) {
    let v = vault(&app, "区人社局").await;
    let file = write(&app, "accounts.csv", good_csv().as_bytes());
    let o = import(&app, &v.unit, &file, &["--dry-run"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let out = stdout(&o);
    assert!(out.contains("dry run: 5 rows checked"), "{out}");
    assert!(out.contains("nothing written"), "{out}");
    assert!(
        out.contains("3 flagged weak, 2 with a reused password"),
        "{out}"
    );
    assert!(out.contains("row 4, 密码/password: weak password"), "{out}");
    assert_no_password(&o, &ALL_PASSWORDS);
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
    assert!(import_events(&app, &v.unit).await.is_empty());
    let audit_rows = count(
        &app,
        "SELECT COUNT(*) FROM audit_events WHERE unit_id = $1",
        &v.unit,
    )
    .await;

    let o = import(&app, "no-such-unit", &file, &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let err = stderr(&o);
    assert!(err.contains("unit no-such-unit not found"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let o = import(&app, &v.unit, &app.dir.path().join("missing.csv"), &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(stderr(&o).contains("cannot read"), "{}", both(&o));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE unit_id = $1",
            &v.unit
        )
        .await,
        audit_rows
    );
}

/// The bulk insert sends PostgreSQL each column as one array in text form and SQLite
/// 40-row statements: quotes, backslashes, braces, commas, the word NULL, empty and
/// absent cells come back exactly, across a statement boundary (45 rows).
async fn awkward_text_survives_the_bulk_insert_exactly(app: TestApp) {
    let v = vault(&app, "区档案馆").await;
    let awkward = [
        r#"引号"内"容"#,
        r#"反斜杠\和\"引号"#,
        "{大括号,逗号}",
        "NULL",
        "  前后空格  ",
    ];
    let mut csv = String::from("名称,平台,登录名,密码,级别,登录地址,绑定手机,绑定邮箱,备注\n");
    let cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for i in 0..45 {
        let text = awkward[i % awkward.len()];
        let notes = if i % 3 == 0 {
            cell(&format!("{text}\n第二行 {{}}\\"))
        } else {
            String::new()
        };
        csv.push_str(&format!(
            "{},微博,{},{},一般,,,,{notes}\n",
            cell(&format!("{text}{i}")),
            cell(&format!(r"DOMAIN\user{i}")),
            cell(&format!(r#"Q"uartz\Harbor{{}}-{i}"#)),
        ));
    }
    let file = write(&app, "awkward.csv", csv.as_bytes());
    let o = import(&app, &v.unit, &file, &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert_eq!(accounts_in(&app, &v.unit).await, 45);
    let (s, list) = app
        .get(
            &format!("/api/v1/units/{}/accounts?limit=100", v.unit),
            &v.admin.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 45, "{list}");
    for i in 0..45 {
        let text = awkward[i % awkward.len()];
        // Names are trimmed, as the vault does for every name.
        let name = format!("{text}{i}").trim().to_string();
        let a = items
            .iter()
            .find(|a| a["name"] == name.as_str())
            .unwrap_or_else(|| panic!("no account 「{name}」 in {list}"));
        assert_eq!(a["login_name"], format!(r"DOMAIN\user{i}"), "{a}");
        assert!(
            a["login_url"].is_null() && a["bound_phone"].is_null(),
            "{a}"
        );
        if i % 3 == 0 {
            let notes = format!("{text}\n第二行 {{}}\\");
            assert_eq!(a["notes"], notes.trim(), "{a}");
        } else {
            assert!(a["notes"].is_null(), "{a}");
        }
    }
    let name = format!("{}7", awkward[2]);
    assert_eq!(
        revealed_password(&app, &v, &name).await,
        r#"Q"uartz\Harbor{}-7"#
    );
}

/// Two imports at once in one server process share its scoring threads (rayon's pool)
/// and, on SQLite, its one write permit: each is larger than the scores the writer takes
/// at a time, and both must land whole, whichever starts scoring or writing first.
async fn two_large_imports_in_one_process_both_land(app: TestApp) {
    use credgov::vault::import::{FileKind, ImportOpts, import_accounts, parse_bytes};
    let a = vault(&app, "区统计局").await;
    let b = vault(&app, "区审计局").await;
    let file = |tag: &str| {
        let mut csv = String::from("名称,平台,登录名,密码,级别\n");
        for i in 0..1500 {
            csv.push_str(&format!(
                "{tag}账号{i},微博,{tag}user{i},Lantern-{tag}-Quartz-{i}!,一般\n"
            ));
        }
        parse_bytes(csv.as_bytes(), FileKind::Csv)
            .expect("parse")
            .rows
    };
    let opts = ImportOpts {
        dry_run: false,
        progress: false,
        file_name: Some("big.csv".into()),
        format: Some("CSV".into()),
        meta: Default::default(),
    };
    let ctx = credgov::authz::AuthContext::operator();
    let (unit_a, unit_b) = (
        credgov::ids::UnitId::new(a.unit.as_str()),
        credgov::ids::UnitId::new(b.unit.as_str()),
    );
    let both = async {
        tokio::join!(
            import_accounts(&app.state, &ctx, &unit_a, file("甲"), &opts),
            import_accounts(&app.state, &ctx, &unit_b, file("乙"), &opts),
        )
    };
    let (ra, rb) = tokio::time::timeout(std::time::Duration::from_secs(300), both)
        .await
        .expect("both imports finish");
    assert_eq!(ra.expect("import a").imported, 1500);
    assert_eq!(rb.expect("import b").imported, 1500);
    assert_eq!(accounts_in(&app, &a.unit).await, 1500);
    assert_eq!(accounts_in(&app, &b.unit).await, 1500);
}
