//! Working days: `credgov calendar import` stores a year that handover deadlines then
//! count with (the running server picks it up without a restart); a malformed file is
//! refused with exit code 1 and one sentence, and changes nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::cli::{run, text};
use crate::common::TestApp;

both_engines!(
    an_imported_year_sets_handover_deadlines,
    a_malformed_calendar_is_refused,
    concurrent_imports_of_a_year_both_land,
    calendar_missing_from_december_until_the_year_is_imported,
    calendar_import_resolves_calendar_missing_in_its_transaction,
);

const DAY_MS: i64 = 86_400_000;
/// 2026-11-30 and 2026-12-02, 10:00 Beijing time.
const NOV_30_2026_AT_TEN: i64 = 1_796_004_000_000;
const DEC_02_2026_AT_TEN: i64 = 1_796_176_800_000;
/// 2027-02-05 10:00 Beijing time, a Friday.
const FRIDAY_2027_02_05_AT_TEN: i64 = 1_801_792_800_000;

/// A made-up 2027 calendar for the test (the real notice is not out): the week of
/// 8 February off, Saturday 13 February a working day.
fn test_2027() -> String {
    let mut days: Vec<_> = (8..=12)
        .map(|d| json!({ "name": "春节", "date": format!("2027-02-{d:02}"), "isOffDay": true }))
        .collect();
    days.push(json!({ "name": "春节", "date": "2027-02-13", "isOffDay": false }));
    days.push(json!({ "name": "元旦", "date": "2027-01-01", "isOffDay": true }));
    json!({ "year": 2027, "papers": ["(test data)"], "days": days }).to_string()
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

/// Opens a departure case for a new custodian of `unit`, effective at `effective_at`;
/// returns the case's deadline.
async fn case_deadline(app: &TestApp, unit: &str, hr: &str, effective_at: i64) -> i64 {
    let leaver = app.user_with_role(unit, "custodian").await;
    let (s, ev) = app
        .hr_event(
            hr,
            &format!("cal-{}", leaver.username),
            json!({ "type": "departure", "username": leaver.username, "unit_id": unit, "effective_at": effective_at }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let id = ev["handover_id"].as_str().unwrap();
    let (s, case) = app.get(&format!("/api/v1/handovers/{id}"), hr).await;
    assert_eq!(s, StatusCode::OK, "{case}");
    case["deadline_at"].as_i64().unwrap()
}

async fn an_imported_year_sets_handover_deadlines(app: TestApp) {
    let env = cli_env(&app);
    let unit = app
        .create_unit(&app.root_id, "区政务服务中心", "department")
        .await;
    let hr = app.user_with_role(&unit, "hr").await;

    let o = run(&env, &["calendar", "list"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("2026  embedded  39 days"), "{out}");
    assert!(out.contains("2027  embedded  missing"), "{out}");

    // 2027 is missing: Monday–Friday, so Friday + 3 working days is Wednesday 10 February.
    let before = case_deadline(&app, &unit, &hr.token, FRIDAY_2027_02_05_AT_TEN).await;
    assert_eq!(before, FRIDAY_2027_02_05_AT_TEN + 5 * DAY_MS);

    let file = app.dir.path().join("2027.json");
    std::fs::write(&file, test_2027()).unwrap();
    let o = run(&env, &["calendar", "import", file.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        out.contains("holiday calendar 2027 imported")
            && out.contains("7 days listed, 6 holidays and 1 adjusted working days"),
        "{out}"
    );

    // The running server reloads: the holiday week does not count, the adjusted
    // Saturday does: Sat 13, Mon 15, Tue 16 February.
    let after = case_deadline(&app, &unit, &hr.token, FRIDAY_2027_02_05_AT_TEN).await;
    assert_eq!(after, FRIDAY_2027_02_05_AT_TEN + 11 * DAY_MS);
    assert!(app.state.calendar.snapshot().has_year(2027));

    let o = run(&env, &["calendar", "list"], None);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        out.contains("2027  imported  7 days (6 holidays, 1 adjusted working days)"),
        "{out}"
    );
    let o = run(&env, &["calendar", "import", file.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("import 2 of this year"),
        "{}",
        text(&o)
    );

    let imports = app
        .audit_actions(&app.root_id)
        .await
        .into_iter()
        .filter(|(a, o)| a == "calendar.import" && o == "success")
        .count();
    assert_eq!(imports, 2, "each import is in the root unit's audit trail");
    let o = run(&env, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

async fn a_malformed_calendar_is_refused(app: TestApp) {
    let env = cli_env(&app);
    let dir = app.dir.path();
    let cases = [
        ("not-json.json", "year: 2027".to_string(), "not a holiday calendar"),
        (
            "twice.json",
            json!({ "year": 2027, "days": [
                { "name": "春节", "date": "2027-02-08", "isOffDay": true },
                { "name": "春节", "date": "2027-02-08", "isOffDay": true }] })
            .to_string(),
            "2027-02-08 is listed twice",
        ),
        (
            "outside.json",
            json!({ "year": 2027, "days": [{ "name": "国庆节", "date": "2026-10-01", "isOffDay": true }] })
                .to_string(),
            "outside the 2027 calendar",
        ),
        (
            "empty.json",
            json!({ "year": 2027, "papers": [], "days": [] }).to_string(),
            "lists no days",
        ),
    ];
    for (name, content, says) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let o = run(&env, &["calendar", "import", path.to_str().unwrap()], None);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(
            err.starts_with("credgov: ") && err.contains(says) && err.trim().lines().count() == 1,
            "{name}: {err}"
        );
        assert!(o.stdout.is_empty(), "{name}: {}", text(&o));
    }
    let o = run(
        &env,
        &["calendar", "import", "/nonexistent/2027.json"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot read the calendar file"),
        "{}",
        text(&o)
    );

    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM holiday_calendars")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "nothing stored");
    assert!(
        !app.audit_actions(&app.root_id)
            .await
            .iter()
            .any(|(a, _)| a == "calendar.import")
    );
    let o = run(&env, &["calendar", "list"], None);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("2027  embedded  missing"),
        "{}",
        text(&o)
    );
}

async fn concurrent_imports_of_a_year_both_land(app: TestApp) {
    let text = test_2027();
    let (a, b) = tokio::join!(
        credgov::calendar::import_year(&app.state, &text),
        credgov::calendar::import_year(&app.state, &text),
    );
    let mut revisions = vec![a.unwrap().revision, b.unwrap().revision];
    revisions.sort();
    assert_eq!(revisions, vec![1, 2], "one row, replaced once");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM holiday_calendars")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1);
    assert!(app.state.calendar.snapshot().has_year(2027));
}

/// Moves the test clock to `at`.
fn set_clock(app: &TestApp, at: i64) {
    app.clock.advance_ms(at - app.now());
}

/// (state, resolved_how, year) of the `calendar_missing` finding.
async fn calendar_finding(app: &TestApp) -> Option<(String, Option<String>, i64)> {
    let row = sqlx::query(
        "SELECT state, resolved_how, details, target_kind, target_id, unit_id FROM findings WHERE rule = 'calendar_missing'",
    )
    .fetch_optional(app.pool())
    .await
    .unwrap()?;
    use sqlx::Row;
    let details: serde_json::Value = serde_json::from_str(&row.get::<String, _>(2)).unwrap();
    assert_eq!(row.get::<String, _>(3), "district");
    assert_eq!(row.get::<String, _>(4), app.root_id, "about the district");
    assert_eq!(
        row.get::<String, _>(5),
        app.root_id,
        "owned by the root unit"
    );
    Some((row.get(0), row.get(1), details["year"].as_i64().unwrap()))
}

async fn scan_at(app: &TestApp, at: i64) {
    set_clock(app, at);
    credgov::inspection::daily_scan(&app.state, at)
        .await
        .expect("scan");
}

async fn calendar_missing_from_december_until_the_year_is_imported(app: TestApp) {
    scan_at(&app, NOV_30_2026_AT_TEN).await;
    assert_eq!(calendar_finding(&app).await, None, "not before 1 December");
    scan_at(&app, DEC_02_2026_AT_TEN).await;
    assert_eq!(
        calendar_finding(&app).await,
        Some(("open".into(), None, 2027))
    );
    let message = credgov::inspection::render(
        credgov::inspection::Rule::CalendarMissing.def().message_zh,
        &serde_json::json!({ "year": 2027 }),
    );
    assert!(
        message.starts_with("2027 年节假日安排尚未导入"),
        "{message}"
    );

    let env = cli_env(&app);
    let file = app.dir.path().join("2027.json");
    std::fs::write(&file, test_2027()).unwrap();
    let o = run(&env, &["calendar", "import", file.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The CLI runs on the wall clock, the test on its own; the next scan at the
    // test's time sees the year loaded (the import itself resolves it when its clock is
    // past the scan's: see the next scenario).
    scan_at(&app, DEC_02_2026_AT_TEN + 60_000).await;
    let (state, _, year) = calendar_finding(&app).await.unwrap();
    assert_eq!((state.as_str(), year), ("resolved", 2027));
}

async fn calendar_import_resolves_calendar_missing_in_its_transaction(app: TestApp) {
    scan_at(&app, DEC_02_2026_AT_TEN).await;
    assert_eq!(
        calendar_finding(&app).await,
        Some(("open".into(), None, 2027))
    );
    set_clock(&app, DEC_02_2026_AT_TEN + 60_000);
    credgov::calendar::import_year(&app.state, &test_2027())
        .await
        .unwrap();
    assert_eq!(
        calendar_finding(&app).await,
        Some(("resolved".into(), Some("calendar.import".into()), 2027))
    );
}
