//! The circular (通报): the district fixture's office ranked as XLSX (cells read back with
//! calamine: title, header, counts as numbers, rank, veto 是 and its red fill, the rate as
//! a percentage, dates as dates, the findings sheet), CSV (BOM, CRLF, the same numbers)
//! and HTML (names escaped); the CLI writes the same file; bad parameters; who may
//! export, and sysadmins without account names; each export audited.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use credgov::calendar::Date;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use sqlx::Row;

use crate::both_engines;
use crate::cli::{run, text};
use crate::common::{TestApp, error_code};
use crate::inspection::DAY;
use crate::risk::{District, SHARED, district};

both_engines!(
    circular_ranks_children_in_three_formats,
    circular_cli_writes_the_same_file,
    circular_refuses_bad_parameters_and_follows_risk_access,
);

const HEADERS: [&str; 14] = [
    "单位",
    "账号数",
    "弱口令",
    "重复使用",
    "超期未修改",
    "待确认修改",
    "绑定人已离岗",
    "无保管人",
    "内容超期未更新",
    "交接超期",
    "整改完成率",
    "得分",
    "排名",
    "单项否决",
];
/// Rows of the ranking sheet: title, note, header, then the units.
const FIRST_ROW: u32 = 3;
const ESCAPED_NAME: &str = "丙<社区>&\"单位\"";

/// The period: the 30 China days up to today.
fn period(app: &TestApp) -> (String, String) {
    (
        Date::in_china(app.now() - 29 * DAY).to_string(),
        Date::in_china(app.now()).to_string(),
    )
}

fn query(under: &str, (from, to): &(String, String), format: &str) -> String {
    format!("/api/v1/reports/circular?under={under}&from={from}&to={to}&format={format}")
}

async fn download(app: &TestApp, path: &str, token: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.bytes().await.expect("body").to_vec();
    if !status.is_success() {
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        error_code(&v);
    }
    (status, headers, body)
}

fn book(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx")
}

/// Every cell of a sheet as text (numbers as Rust prints them), row by row.
fn cells(book: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str) -> Vec<Vec<String>> {
    let range = book.worksheet_range(sheet).expect("sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn cell(range: &calamine::Range<Data>, pos: (u32, u32)) -> &Data {
    range
        .get_value(pos)
        .unwrap_or_else(|| panic!("no cell at {pos:?}"))
}

fn float(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        other => panic!("not a number: {other:?}"),
    }
}

/// The Excel serial number of today's China date (1970-01-01 is 25569).
fn excel_today(app: &TestApp) -> f64 {
    let day = Date::in_china(app.now());
    ((day.midnight_in_china() + 8 * 3_600_000) / DAY + 25_569) as f64
}

/// The fixture plus a third child with a name that needs escaping, and a1's overdue
/// item closed today (so a's 整改完成率 is 1 of its items).
async fn circular_district(app: &TestApp) -> District {
    let d = district(app).await;
    app.create_unit(&d.office, ESCAPED_NAME, "other").await;
    let closed = sqlx::query(
        "UPDATE rectifications SET state = 'accepted', closed_at = $1 \
         WHERE finding_id IN (SELECT id FROM findings WHERE rule = 'rotation_overdue' AND target_id = $2)",
    )
    .bind(app.now())
    .bind(&d.overdue)
    .execute(app.pool())
    .await
    .unwrap();
    assert_eq!(closed.rows_affected(), 1);
    d
}

/// Items of `unit`'s subtree opened so far, and how many are closed.
async fn items(app: &TestApp, unit: &str) -> (i64, i64) {
    let r = sqlx::query(
        "SELECT COUNT(*) AS total, SUM(CASE WHEN r.closed_at IS NULL THEN 0 ELSE 1 END) AS closed \
         FROM rectifications r JOIN units u ON u.id = r.unit_id \
         WHERE u.path LIKE (SELECT path FROM units WHERE id = $1) || '%'",
    )
    .bind(unit)
    .fetch_one(app.pool())
    .await
    .unwrap();
    (
        r.get::<i64, _>("total"),
        r.get::<Option<i64>, _>("closed").unwrap_or(0),
    )
}

async fn circular_ranks_children_in_three_formats(app: TestApp) {
    let d = circular_district(&app).await;
    let p = period(&app);
    let token = &d.supervisor.token;
    let (_, ranking) = app
        .get(&format!("/api/v1/risk/units?under={}", d.office), token)
        .await;
    let ranked = |unit: &str| -> (f64, i64) {
        let r = ranking["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["unit_id"] == unit)
            .unwrap_or_else(|| panic!("{unit} in {ranking}"));
        (r["score"].as_f64().unwrap(), r["rank"].as_i64().unwrap())
    };

    // XLSX.
    let (s, h, bytes) = download(&app, &query(&d.office, &p, "xlsx"), token).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(
        h["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(h["cache-control"], "no-store");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(&format!(
            "attachment; filename=\"circular_{}_{}.xlsx\"; filename*=UTF-8''",
            p.0, p.1
        )),
        "{disposition}"
    );
    // 区网信办 percent-encoded as UTF-8.
    assert!(
        disposition.contains("%E5%8C%BA%E7%BD%91%E4%BF%A1%E5%8A%9E"),
        "{disposition}"
    );
    let mut xlsx = book(&bytes);
    assert_eq!(xlsx.sheet_names(), ["通报", "未整改问题清单"]);
    let range = xlsx.worksheet_range("通报").unwrap();
    let (y, m, _) = Date::in_china(app.now() - 29 * DAY).ymd();
    let title = cell(&range, (0, 0)).to_string();
    assert!(
        title.starts_with(&format!("区网信办政务账号密码安全情况通报（{y}年{m}月")),
        "{title}"
    );
    let header: Vec<String> = (0..14).map(|c| cell(&range, (2, c)).to_string()).collect();
    assert_eq!(header, HEADERS);
    let row_of = |name: &str| -> u32 {
        (FIRST_ROW..FIRST_ROW + 3)
            .find(|r| *cell(&range, (*r, 0)) == name)
            .unwrap_or_else(|| panic!("{name} not in the ranking"))
    };
    let (ra, rb, rc) = (row_of("甲街道"), row_of("乙镇"), row_of(ESCAPED_NAME));
    // Ranked order: the rank column ascends down the sheet.
    let ranks: Vec<f64> = (FIRST_ROW..FIRST_ROW + 3)
        .map(|r| float(cell(&range, (r, 12))))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    for (row, unit) in [(ra, &d.a), (rb, &d.b)] {
        let (score, rank) = ranked(unit);
        assert_eq!(float(cell(&range, (row, 11))), score, "score of {unit}");
        assert_eq!(
            float(cell(&range, (row, 12))),
            rank as f64,
            "rank of {unit}"
        );
    }
    // a's whole subtree: 4 accounts, 2 sharing a password, 1 overdue, none with a custodian.
    assert_eq!(float(cell(&range, (ra, 1))), 4.0);
    assert_eq!(float(cell(&range, (ra, 3))), 2.0, "重复使用");
    assert_eq!(float(cell(&range, (ra, 4))), 1.0, "超期未修改");
    assert_eq!(float(cell(&range, (ra, 7))), 4.0, "无保管人");
    assert_eq!(float(cell(&range, (ra, 2))), 0.0, "弱口令");
    assert_eq!(float(cell(&range, (rb, 8))), 1.0, "内容超期未更新");
    assert_eq!(cell(&range, (rb, 13)).to_string(), "是");
    assert_eq!(cell(&range, (ra, 13)).to_string(), "否");
    // 整改完成率: a's items of the period, one closed.
    let (total, closed) = items(&app, &d.a).await;
    assert_eq!(closed, 1);
    assert!(total >= 2, "{total}");
    assert_eq!(float(cell(&range, (ra, 10))), closed as f64 / total as f64);
    // A unit without items in the period: no rate.
    assert_eq!(cell(&range, (rc, 10)).to_string(), "—");
    assert_eq!(float(cell(&range, (rc, 1))), 0.0);
    // Formats: the rate as a percentage, the veto row filled red, a's not.
    let styles = xlsx.worksheet_style("通报").unwrap();
    let format = |pos| {
        styles
            .get(pos)
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
            .unwrap_or_default()
    };
    assert!(format((ra, 10)).contains('%'), "{}", format((ra, 10)));
    let fill = |pos| {
        styles
            .get(pos)
            .and_then(|s| s.fill.as_ref())
            .filter(|f| f.is_visible())
            .and_then(|f| f.get_color())
            .map(|c| (c.red, c.green, c.blue))
    };
    for col in [0, 5, 13] {
        assert_eq!(
            fill((rb, col)),
            Some((0xFF, 0xC7, 0xCE)),
            "veto row, col {col}"
        );
        assert_eq!(fill((ra, col)), None, "a passes, col {col}");
    }
    // The findings sheet: every open finding, dates as dates, deadlines of live items.
    let list = xlsx.worksheet_range("未整改问题清单").unwrap();
    let heads: Vec<String> = (0..7).map(|c| cell(&list, (0, c)).to_string()).collect();
    assert_eq!(
        heads,
        [
            "单位",
            "账号",
            "平台",
            "问题",
            "严重程度",
            "发现日期",
            "整改期限"
        ]
    );
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM findings f JOIN units u ON u.id = f.unit_id \
         WHERE f.state = 'open' AND u.path LIKE (SELECT path FROM units WHERE id = $1) || '%'",
    )
    .bind(&d.office)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(list.height() as i64 - 1, open);
    let silent = (1..list.height() as u32)
        .find(|r| *cell(&list, (*r, 1)) == "乙镇微博")
        .expect("b's silent account listed");
    assert_eq!(cell(&list, (silent, 0)).to_string(), "乙镇");
    assert_eq!(cell(&list, (silent, 2)).to_string(), "微博");
    assert_eq!(cell(&list, (silent, 3)).to_string(), "内容超期未更新");
    assert_eq!(cell(&list, (silent, 4)).to_string(), "否决");
    let Data::DateTime(seen) = cell(&list, (silent, 5)) else {
        panic!("发现日期 is a date: {:?}", cell(&list, (silent, 5)));
    };
    assert_eq!(seen.as_f64(), excel_today(&app));
    let Data::DateTime(deadline) = cell(&list, (silent, 6)) else {
        panic!("整改期限 is a date: {:?}", cell(&list, (silent, 6)));
    };
    assert!(deadline.as_f64() >= seen.as_f64());
    // The closed item's finding (still open) has no live deadline.
    let overdue = (1..list.height() as u32)
        .find(|r| *cell(&list, (*r, 1)) == "社区微博" && *cell(&list, (*r, 3)) == "超期未修改")
        .expect("a1's overdue account listed");
    assert!(
        matches!(cell(&list, (overdue, 6)), Data::String(s) if s.is_empty())
            || matches!(cell(&list, (overdue, 6)), Data::Empty)
    );

    // CSV: BOM, CRLF, the same figures.
    let (s, h, csv_bytes) = download(&app, &query(&d.office, &p, "csv"), token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    assert!(csv_bytes.starts_with(b"\xEF\xBB\xBF"), "BOM");
    let csv_text = String::from_utf8(csv_bytes[3..].to_vec()).unwrap();
    assert!(csv_text.contains("\r\n") && !csv_text.replace("\r\n", "").contains('\n'));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let head: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(head, HEADERS);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    for rec in &records {
        let row = row_of(&rec[0]);
        for col in [1usize, 2, 3, 4, 5, 6, 7, 8, 9, 12] {
            let n: f64 = rec[col].parse().unwrap();
            assert_eq!(
                n,
                float(cell(&range, (row, col as u32))),
                "{} col {col}",
                &rec[0]
            );
        }
        assert_eq!(
            rec[11].parse::<f64>().unwrap(),
            float(cell(&range, (row, 11)))
        );
        assert_eq!(rec[13], cell(&range, (row, 13)).to_string());
    }
    let a_rate = records.iter().find(|r| &r[0] == "甲街道").unwrap()[10].to_string();
    assert_eq!(
        a_rate,
        format!("{:.1}%", 100.0 * closed as f64 / total as f64)
    );

    // HTML: a printable page, names escaped, the veto row marked, nothing external.
    let (s, h, html) = download(&app, &query(&d.office, &p, "html"), token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("size: A4"), "{html}");
    assert!(html.contains(&format!("未整改问题 {open} 条")), "{html}");
    assert!(
        html.contains("丙&lt;社区&gt;&amp;&quot;单位&quot;"),
        "{html}"
    );
    assert!(!html.contains(ESCAPED_NAME));
    assert!(
        html.contains("<tr class=\"veto\"><td class=\"name\">乙镇</td>"),
        "{html}"
    );
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));

    // Never a secret; each export audited with its parameters.
    assert!(!csv_text.contains(SHARED) && !html.contains(SHARED));
    let all_cells = format!(
        "{:?}{:?}",
        cells(&mut xlsx, "通报"),
        cells(&mut xlsx, "未整改问题清单")
    );
    assert!(!all_cells.contains(SHARED));
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE action = 'report.circular' AND target_id = $1 ORDER BY at, seq",
    )
    .bind(&d.office)
    .fetch_all(app.pool())
    .await
    .unwrap();
    let formats: Vec<String> = events
        .iter()
        .map(|e| serde_json::from_str::<Value>(e).unwrap())
        .inspect(|v| {
            assert_eq!(v["from"], p.0.as_str());
            assert_eq!(v["to"], p.1.as_str());
            assert_eq!(v["under"], d.office.as_str());
        })
        .map(|v| v["format"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(formats, ["xlsx", "csv", "html"]);
}

fn cli_env(app: &TestApp) -> Vec<(String, String)> {
    vec![
        (
            "CREDGOV_DATABASE_URL".into(),
            app.config.database_url.clone(),
        ),
        (
            "CREDGOV_MASTER_KEY_FILE".into(),
            app.config.master_key_file.display().to_string(),
        ),
        ("CREDGOV_LOG_LEVEL".into(), "warn".into()),
    ]
}

async fn circular_cli_writes_the_same_file(app: TestApp) {
    let d = circular_district(&app).await;
    let p = period(&app);
    let env = cli_env(&app);
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let args = |file: &str| {
        vec![
            "report".to_string(),
            "circular".into(),
            "--under".into(),
            d.office.clone(),
            "--from".into(),
            p.0.clone(),
            "--to".into(),
            p.1.clone(),
            "--out".into(),
            out(file),
        ]
    };
    let run_args = |a: &[String]| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        run(&env, &refs, None)
    };
    // XLSX (from the extension): the same cells as the API's, but for the note's time.
    let o = run_args(&args("通报.xlsx"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (s, _, api) = download(&app, &query(&d.office, &p, "xlsx"), &d.supervisor.token).await;
    assert_eq!(s, StatusCode::OK);
    let mut from_cli = book(&std::fs::read(out("通报.xlsx")).unwrap());
    let mut from_api = book(&api);
    for sheet in ["通报", "未整改问题清单"] {
        let mut cli_cells = cells(&mut from_cli, sheet);
        let mut api_cells = cells(&mut from_api, sheet);
        if sheet == "通报" {
            // Row 1 is the note, which says when the figures were read.
            cli_cells.remove(1);
            api_cells.remove(1);
        }
        assert_eq!(cli_cells, api_cells, "{sheet}");
    }
    // CSV: byte for byte; --format wins over the extension.
    let mut a = args("ranking.txt");
    a.extend(["--format".to_string(), "csv".into()]);
    let o = run_args(&a);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (_, _, api_csv) = download(&app, &query(&d.office, &p, "csv"), &d.supervisor.token).await;
    assert_eq!(std::fs::read(out("ranking.txt")).unwrap(), api_csv);
    // The operator's export is audited too.
    let operator: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'report.circular' AND actor_kind = 'operator'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(operator, 2);
    // Refusals: one sentence and the kind's exit code, no file.
    let o = run_args(&args("ranking.pdf"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("xlsx, csv or html"));
    let mut bad = args("bad.csv");
    bad[7] = "2026-02-30".into();
    let o = run_args(&bad);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("YYYY-MM-DD"),
        "{}",
        text(&o)
    );
    let mut unknown = args("unknown.csv");
    unknown[3] = "no-such-unit".into();
    let o = run_args(&unknown);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(!dir.path().join("ranking.pdf").exists() && !dir.path().join("unknown.csv").exists());
}

async fn circular_refuses_bad_parameters_and_follows_risk_access(app: TestApp) {
    let d = district(&app).await;
    let p = period(&app);
    let token = &d.supervisor.token;
    let base = format!("/api/v1/reports/circular?under={}", d.office);
    for (q, status, field) in [
        (
            "&from=2026-13-01&to=2026-12-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("from"),
        ),
        (
            "&from=2026-11-01&to=2026/11/30",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("to"),
        ),
        (
            "&from=2026-11-30&to=2026-11-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("to"),
        ),
        (
            "&from=2025-01-01&to=2026-01-02",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("to"),
        ),
        (
            "&from=2026-11-01&to=2026-11-30&format=pdf",
            StatusCode::BAD_REQUEST,
            None,
        ),
        ("&from=2026-11-01", StatusCode::BAD_REQUEST, None),
        (
            "&from=2026-11-01&to=2026-11-30&unit=x",
            StatusCode::BAD_REQUEST,
            None,
        ),
    ] {
        let (s, v) = app.get(&format!("{base}{q}"), token).await;
        assert_eq!(s, status, "{q}: {v}");
        if let Some(f) = field {
            assert_eq!(error_code(&v), "invalid_input", "{q}");
            assert_eq!(v["error"]["details"]["field"], f, "{q}: {v}");
        }
    }
    // The format defaults to XLSX.
    let (s, h, _) = download(&app, &format!("{base}&from={}&to={}", p.0, p.1), token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );

    // Access as /risk/units: RiskRead on `under`, 404 outside, 403 without.
    let custodian = app.user_with_role(&d.a, "custodian").await;
    let auditor = app.user_with_role(&d.office, "auditor").await;
    for (what, token, under, expected) in [
        (
            "supervisor",
            d.supervisor.token.as_str(),
            &d.office,
            StatusCode::OK,
        ),
        ("auditor", auditor.token.as_str(), &d.office, StatusCode::OK),
        (
            "admin own unit",
            d.a_admin.token.as_str(),
            &d.a,
            StatusCode::OK,
        ),
        (
            "sibling admin",
            d.b_admin.token.as_str(),
            &d.a,
            StatusCode::NOT_FOUND,
        ),
        (
            "admin parent",
            d.a_admin.token.as_str(),
            &d.office,
            StatusCode::NOT_FOUND,
        ),
        (
            "custodian",
            custodian.token.as_str(),
            &d.a,
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (s, _, body) = download(&app, &query(under, &p, "csv"), token).await;
        assert_eq!(s, expected, "{what}: {}", String::from_utf8_lossy(&body));
    }
    // Sysadmins: the ranking, and the findings without 账号 and 平台.
    let (s, _, bytes) = download(&app, &query(&d.office, &p, "xlsx"), &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    let mut xlsx = book(&bytes);
    let ranking = cells(&mut xlsx, "通报");
    assert_eq!(ranking.len() as u32, FIRST_ROW + 2, "{ranking:?}");
    let list = cells(&mut xlsx, "未整改问题清单");
    assert_eq!(
        list[0],
        ["单位", "问题", "严重程度", "发现日期", "整改期限"]
    );
    assert!(list.len() > 1);
    let everything = format!("{ranking:?}{list:?}");
    for account in ["乙镇微博", "社区微博", "甲街道微博"] {
        assert!(
            !everything.contains(account),
            "{account} shown to a sysadmin"
        );
    }
    let (_, _, sup) = download(&app, &query(&d.office, &p, "xlsx"), token).await;
    let sup_list = cells(&mut book(&sup), "未整改问题清单");
    assert_eq!(
        sup_list.len(),
        list.len(),
        "the same findings, fewer columns"
    );
    let details: String = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE action = 'report.circular' AND actor_id = $1",
    )
    .bind(
        sqlx::query_scalar::<_, String>("SELECT id FROM users WHERE username = 'admin'")
            .fetch_one(app.pool())
            .await
            .unwrap(),
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    let v: Value = serde_json::from_str(&details).unwrap();
    assert_eq!(v["account_details"], false, "{v}");
}
