//! The console's spreadsheet import (`/accounts/import`) over plain HTTP on both
//! engines: the dry run's report (rows, row problems with their row and column,
//! warnings) writes nothing; the import carries the file sealed and writes it through
//! the same service as the command line; tampered, foreign-session, expired and
//! CSRF-less posts are refused and write nothing; strangers get 404 and the wrong
//! roles 403, without seeing anything. No answer ever holds a password from the file.

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, TestUser};
use crate::vault::{Vault, vault};
use crate::web_accounts::signed_in;
use crate::web_client::{Answer, WebClient, field_value};

both_engines!(
    a_bad_row_is_reported_by_row_and_column_and_nothing_is_written,
    a_good_csv_is_checked_then_imported_without_showing_a_password,
    gb18030_csv_and_xlsx_are_imported,
    a_tampered_foreign_or_expired_check_is_refused,
    posts_without_the_csrf_token_are_refused,
    an_oversized_file_is_refused_and_the_largest_goes_through,
    strangers_and_the_wrong_roles_see_no_import,
    row_problems_and_warnings_are_said_in_the_readers_language,
);

/// A password planted in every file: it must never come back in an answer.
const CANARY: &str = "Canary-Quince-Harbor-6617";
const STRONG: &str = "Violet-Harbor-Quartz-91";
/// Passes the length rules, fails the zxcvbn score: a warning, not a problem.
const WEAK: &str = "Password123!";

/// Three good rows (the third weak) with Chinese headers.
fn good_csv() -> String {
    format!(
        "名称,平台,登录名,密码,级别,备注\n\
         网信办公众号,微信公众号,wxgzh@gov.cn,{CANARY},核心,\"备注, 含逗号\"\n\
         网信办微博,微博,wxb_weibo,{STRONG},,\n\
         网信办抖音,抖音,13900000000,{WEAK},一般,\n"
    )
}

async fn accounts_in(app: &TestApp, unit: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM accounts WHERE unit_id = $1")
        .bind(unit)
        .fetch_one(app.pool())
        .await
        .expect("count")
        .get::<i64, _>(0)
}

/// The details of the unit's `account.import` events.
async fn import_events(app: &TestApp, unit: &str) -> Vec<Value> {
    sqlx::query(
        "SELECT details FROM audit_events WHERE unit_id = $1 AND action = 'account.import' ORDER BY seq",
    )
    .bind(unit)
    .fetch_all(app.pool())
    .await
    .expect("audit rows")
    .iter()
    .map(|r| serde_json::from_str(&r.get::<String, _>(0)).expect("details json"))
    .collect()
}

/// Uploads `bytes` as `file_name` for `unit` with the session's token.
async fn upload(web: &WebClient, unit: &str, file_name: &str, bytes: Vec<u8>) -> Answer {
    let csrf = web.get("/accounts/import").await.csrf();
    web.post_multipart(
        "/accounts/import",
        &[("_csrf", &csrf), ("unit_id", unit)],
        Some(("file", file_name, bytes)),
    )
    .await
}

fn assert_no_password(a: &Answer) {
    for p in [CANARY, STRONG, WEAK] {
        assert!(!a.body.contains(p), "a password is on the page: {}", a.body);
    }
}

/// The text of the element with `id`, tags removed.
fn text_of(a: &Answer, id: &str) -> String {
    let at = a
        .body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}: {}", a.body));
    let rest = &a.body[at..];
    let start = rest.find('>').map_or(0, |i| i + 1);
    let end = rest.find("</").unwrap_or(rest.len());
    rest[start..end].trim().to_string()
}

/// A clean dry run of `bytes`: the report, and the sealed file its form carries.
async fn clean_check(web: &WebClient, v: &Vault, name: &str, bytes: Vec<u8>) -> (Answer, String) {
    let a = upload(web, &v.unit, name, bytes).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.headers["cache-control"], "no-store");
    assert!(a.body.contains("id=\"import-confirm\""), "{}", a.body);
    assert_no_password(&a);
    let sealed = field_value(&a.body, "sealed").expect("the sealed file");
    (a, sealed)
}

async fn a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(app: TestApp) {
    let v = vault(&app, "区网信办").await;
    let web = signed_in(&app, &v.admin).await;
    let page = web.get("/accounts/import").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("区网信办"), "the unit is offered");
    assert!(page.body.contains("登录名") && page.body.contains("login_name"));
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
    // Row 3 names a platform nobody knows.
    let csv = good_csv().replace("网信办微博,微博", "网信办微博,脸书");
    let a = upload(&web, &v.unit, "账号清单.csv", csv.into_bytes()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.headers["cache-control"], "no-store");
    assert_eq!(text_of(&a, "import-rows"), "3");
    let problems = &a.body[a.body.find("id=\"problems-table\"").unwrap()..];
    let row = &problems[..problems.find("</tr>\n  </tbody>").unwrap_or(problems.len())];
    assert!(
        row.contains("<td class=\"num\">3</td><td>平台</td>"),
        "{row}"
    );
    assert!(
        row.contains("脸书"),
        "the service's sentence names the value: {row}"
    );
    assert!(a.body.contains("1 个问题，涉及 1 行"), "{}", a.body);
    assert!(!a.body.contains("import-confirm"), "no import offered");
    assert!(!a.body.contains("name=\"sealed\""));
    assert_no_password(&a);
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
    assert!(import_events(&app, &v.unit).await.is_empty());
    // A file without the password column is refused as a whole, in plain words.
    let a = upload(
        &web,
        &v.unit,
        "a.csv",
        "名称,平台,登录名\nx,微博,y\n".into(),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("id=\"import-refused\""), "{}", a.body);
    assert!(
        a.body.contains("表头（第 1 行）：缺少必填列 密码/password"),
        "{}",
        a.body
    );
    // No file chosen: the form again, with the reason.
    let a = upload(&web, &v.unit, "empty.csv", Vec::new()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("id=\"form-error\""), "{}", a.body);
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
}

async fn a_good_csv_is_checked_then_imported_without_showing_a_password(app: TestApp) {
    let v = vault(&app, "区网信办").await;
    let web = signed_in(&app, &v.admin).await;
    web.accept_language
        .lock()
        .unwrap()
        .replace("en".to_string());
    let (report, sealed) = clean_check(&web, &v, "accounts.csv", good_csv().into_bytes()).await;
    assert_eq!(text_of(&report, "import-rows"), "3");
    assert_eq!(text_of(&report, "import-weak"), "1");
    assert_eq!(text_of(&report, "import-confirm"), "Import 3 accounts");
    let warnings = &report.body[report.body.find("id=\"warnings-table\"").expect("warnings")..];
    assert!(
        warnings.contains("<td class=\"num\">4</td><td>password</td><td>weak password"),
        "{warnings}"
    );
    assert!(report.body.contains("UTF-8"), "the format: {}", report.body);
    assert!(!sealed.contains("Canary"), "the file travels sealed");
    assert_eq!(
        accounts_in(&app, &v.unit).await,
        0,
        "a dry run writes nothing"
    );
    assert!(import_events(&app, &v.unit).await.is_empty());
    let done = web
        .post(
            "/accounts/import/confirm",
            &[("_csrf", &report.csrf()), ("sealed", &sealed)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.headers["cache-control"], "no-store");
    assert_eq!(text_of(&done, "import-imported"), "3");
    assert_eq!(text_of(&done, "import-weak"), "1");
    assert!(
        done.body.contains("3 accounts imported into 区网信办."),
        "{}",
        done.body
    );
    let list_url = format!("/accounts?unit={}", v.unit);
    assert!(
        done.body.contains(&format!("href=\"{list_url}\"")),
        "{}",
        done.body
    );
    assert_no_password(&done);
    assert_eq!(accounts_in(&app, &v.unit).await, 3);
    // The person who imported has seen every password in the file: one exposure of
    // version 1 per new account, naming them (the bulk insert binds these once).
    let seen: Vec<(String, String, String, String, i64)> = sqlx::query(
        "SELECT e.user_id, e.actor_kind, e.actor_id, e.kind, e.version FROM exposures e \
         JOIN accounts a ON a.unit_id = e.unit_id AND a.id = e.account_id \
         WHERE e.unit_id = $1 ORDER BY a.name",
    )
    .bind(&v.unit)
    .fetch_all(app.pool())
    .await
    .expect("exposures")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
    .collect();
    let admin = &v.admin.id;
    let one = (
        admin.clone(),
        "user".to_string(),
        admin.clone(),
        "create".to_string(),
        1,
    );
    assert_eq!(seen, vec![one.clone(), one.clone(), one], "{seen:?}");
    let events = import_events(&app, &v.unit).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["file"], "accounts.csv");
    assert_eq!(
        (events[0]["rows"].as_i64(), events[0]["imported"].as_i64()),
        (Some(3), Some(3))
    );
    assert!(!events[0].to_string().contains(CANARY));
    // The unit's list shows the new accounts.
    let list = web.get(&list_url).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("网信办抖音") && list.body.contains("id=\"unit-filter\""));
    // The same check cannot be imported twice: the names are taken now.
    let again = web
        .post(
            "/accounts/import/confirm",
            &[("_csrf", &report.csrf()), ("sealed", &sealed)],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );
    assert!(
        again.body.contains("id=\"problems-table\""),
        "{}",
        again.body
    );
    assert_no_password(&again);
    assert_eq!(accounts_in(&app, &v.unit).await, 3);
    assert_eq!(import_events(&app, &v.unit).await.len(), 1);
}

fn xlsx_bytes() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["Name", "Platform", "Login Name", "Password", "绑定手机"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("cell");
    }
    sheet.write_string(1, 0, "区政府头条号").expect("cell");
    sheet.write_string(1, 1, "今日头条").expect("cell");
    sheet.write_number(1, 2, 13_800_000_000.0).expect("cell");
    sheet.write_string(1, 3, CANARY).expect("cell");
    sheet.write_number(1, 4, 13_900_000_001.0).expect("cell");
    sheet.write_string(2, 0, "区政府邮箱").expect("cell");
    sheet.write_string(2, 1, "email").expect("cell");
    sheet
        .write_string(2, 2, "office@example.gov.cn")
        .expect("cell");
    sheet.write_string(2, 3, STRONG).expect("cell");
    book.save_to_buffer().expect("xlsx")
}

async fn gb18030_csv_and_xlsx_are_imported(app: TestApp) {
    let v = vault(&app, "区教委").await;
    let web = signed_in(&app, &v.admin).await;
    let text = good_csv();
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable && std::str::from_utf8(&bytes).is_err());
    let (report, sealed) = clean_check(&web, &v, "账号清单.csv", bytes.into_owned()).await;
    assert!(report.body.contains("CSV, GB18030"), "{}", report.body);
    assert_eq!(text_of(&report, "import-rows"), "3");
    let done = web
        .post(
            "/accounts/import/confirm",
            &[("_csrf", &report.csrf()), ("sealed", &sealed)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_no_password(&done);
    assert_eq!(accounts_in(&app, &v.unit).await, 3);
    assert_eq!(
        import_events(&app, &v.unit).await[0]["file"],
        "账号清单.csv"
    );

    let (report, sealed) = clean_check(&web, &v, "workbook.xlsx", xlsx_bytes()).await;
    assert!(report.body.contains("XLSX"), "{}", report.body);
    assert_eq!(text_of(&report, "import-rows"), "2");
    let done = web
        .post(
            "/accounts/import/confirm",
            &[("_csrf", &report.csrf()), ("sealed", &sealed)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(text_of(&done, "import-imported"), "2");
    assert_no_password(&done);
    assert_eq!(accounts_in(&app, &v.unit).await, 5);
    let events = import_events(&app, &v.unit).await;
    assert_eq!(
        (events.len(), events[1]["format"].as_str()),
        (2, Some("XLSX"))
    );
    let phone: String = sqlx::query("SELECT bound_phone FROM accounts WHERE name = $1")
        .bind("区政府头条号")
        .fetch_one(app.pool())
        .await
        .expect("account")
        .get(0);
    assert_eq!(phone, "13900000001", "numbers are kept as digits");
}

/// Posts `sealed` to the confirm step as `web`.
async fn confirm(web: &WebClient, sealed: &str) -> Answer {
    let csrf = web.get("/accounts/import").await.csrf();
    web.post(
        "/accounts/import/confirm",
        &[("_csrf", &csrf), ("sealed", sealed)],
    )
    .await
}

async fn a_tampered_foreign_or_expired_check_is_refused(app: TestApp) {
    let v = vault(&app, "区网信办").await;
    let web = signed_in(&app, &v.admin).await;
    let (_, sealed) = clean_check(&web, &v, "a.csv", good_csv().into_bytes()).await;
    let mut chars: Vec<char> = sealed.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    let cut = &sealed[..sealed.len() - 4];
    for bad in [tampered.as_str(), cut, "", "bm90IHNlYWxlZA"] {
        let a = confirm(&web, bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(a.body.contains("重新上传"), "{}", a.body);
        assert_no_password(&a);
    }
    // The same person in another session (another browser) cannot use it.
    let other = signed_in(&app, &v.admin).await;
    let a = confirm(&other, &sealed).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
    // After 15 minutes the check has expired (the session is kept alive meanwhile).
    app.clock.advance_ms(10 * 60_000);
    assert_eq!(
        web.get("/session/ping").await.status,
        StatusCode::NO_CONTENT
    );
    app.clock.advance_ms(6 * 60_000);
    let a = confirm(&web, &sealed).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.body.contains("15 分钟"), "{}", a.body);
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
    assert!(import_events(&app, &v.unit).await.is_empty());
}

async fn posts_without_the_csrf_token_are_refused(app: TestApp) {
    let v = vault(&app, "区网信办").await;
    let web = signed_in(&app, &v.admin).await;
    let (_, sealed) = clean_check(&web, &v, "a.csv", good_csv().into_bytes()).await;
    for fields in [
        vec![("unit_id", v.unit.as_str())],
        vec![("_csrf", "0123abcd"), ("unit_id", v.unit.as_str())],
    ] {
        let file = Some(("file", "a.csv", good_csv().into_bytes()));
        let a = web.post_multipart("/accounts/import", &fields, file).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        assert!(!a.body.contains("import-facts") && !a.body.contains("name=\"sealed\""));
    }
    for fields in [
        vec![("sealed", sealed.as_str())],
        vec![("_csrf", "0123abcd"), ("sealed", sealed.as_str())],
    ] {
        let a = web.post("/accounts/import/confirm", &fields).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
    // Not a multipart form at all.
    let a = web
        .post("/accounts/import", &[("unit_id", v.unit.as_str())])
        .await;
    assert!(a.status.is_client_error(), "{}", a.status);
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
    assert!(import_events(&app, &v.unit).await.is_empty());
}

async fn an_oversized_file_is_refused_and_the_largest_goes_through(app: TestApp) {
    let v = vault(&app, "区网信办").await;
    let web = signed_in(&app, &v.admin).await;
    let mut big = good_csv().into_bytes();
    big.resize(5 * 1024 * 1024 + 1, b'\n');
    let a = upload(&web, &v.unit, "big.csv", big.clone()).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert!(a.body.contains("5 MB"), "{}", a.body);
    // A body beyond the route's limit altogether.
    let mut huge = good_csv().into_bytes();
    huge.resize(7 * 1024 * 1024, b'\n');
    let a = upload(&web, &v.unit, "huge.csv", huge).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
    // The largest file taken goes through both steps (its sealed copy fits the
    // confirm form's limit).
    big.pop();
    let (report, sealed) = clean_check(&web, &v, "big.csv", big).await;
    assert_eq!(text_of(&report, "import-rows"), "3");
    let done = web
        .post(
            "/accounts/import/confirm",
            &[("_csrf", &report.csrf()), ("sealed", &sealed)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(accounts_in(&app, &v.unit).await, 3);
}

fn refused_without_content(a: &Answer, status: StatusCode, unit_name: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert!(!a.body.contains(unit_name), "the unit is named: {}", a.body);
    assert!(!a.body.contains("import-form") && !a.body.contains("import-facts"));
    assert_no_password(a);
}

async fn strangers_and_the_wrong_roles_see_no_import(app: TestApp) {
    let v = vault(&app, "永川区网信办").await;
    let foreign = app
        .create_unit(&app.root_id, "外区单位", "department")
        .await;
    let foreign_admin = app.user_with_role(&foreign, "unit_admin").await;
    // The unit's admin sees the link on the list.
    let admin_web = signed_in(&app, &v.admin).await;
    let list = admin_web.get("/accounts").await;
    assert!(
        list.body.contains("href=\"/accounts/import\""),
        "{}",
        list.body
    );
    // Another unit's admin: their own unit only, and 404 for this one.
    let web = signed_in(&app, &foreign_admin).await;
    let page = web.get(&format!("/accounts/import?unit={}", v.unit)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("外区单位") && !page.body.contains("永川区网信办"));
    let a = upload(&web, &v.unit, "a.csv", good_csv().into_bytes()).await;
    refused_without_content(&a, StatusCode::NOT_FOUND, "永川区网信办");
    let a = upload(&web, "no-such-unit", "a.csv", good_csv().into_bytes()).await;
    refused_without_content(&a, StatusCode::NOT_FOUND, "永川区网信办");
    // A check made for the unit is worth nothing in the stranger's session.
    let (_, sealed) = clean_check(&admin_web, &v, "a.csv", good_csv().into_bytes()).await;
    let a = confirm(&web, &sealed).await;
    refused_without_content(&a, StatusCode::BAD_REQUEST, "永川区网信办");
    // Supervisors and auditors of the unit: no link, no form, 403.
    for role in ["supervisor", "auditor"] {
        let user: TestUser = app.user_with_role(&v.unit, role).await;
        let web = signed_in(&app, &user).await;
        let list = web.get("/accounts").await;
        assert!(
            !list.body.contains("/accounts/import"),
            "{role}: {}",
            list.body
        );
        let page = web.get("/accounts/import").await;
        refused_without_content(&page, StatusCode::FORBIDDEN, "永川区网信办");
        let csrf = web.get("/").await.csrf();
        let a = web
            .post_multipart(
                "/accounts/import",
                &[("_csrf", &csrf), ("unit_id", &v.unit)],
                Some(("file", "a.csv", good_csv().into_bytes())),
            )
            .await;
        refused_without_content(&a, StatusCode::FORBIDDEN, "永川区网信办");
    }
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
    assert!(import_events(&app, &v.unit).await.is_empty());
}

/// A row's problems and warnings in the reader's language: Chinese sentences naming the
/// Chinese columns on a zh-CN page (a weak password's reasons too), the service's
/// English ones on an English page.
async fn row_problems_and_warnings_are_said_in_the_readers_language(app: TestApp) {
    let v = vault(&app, "区网信办").await;
    let web = signed_in(&app, &v.admin).await;
    // Row 3: an unknown platform; row 4: the name of row 2, no login name, an unknown
    // classification; rows 3 and 4 share a password.
    let csv = format!(
        "名称,平台,登录名,密码,级别,备注\n\
         网信办公众号,微信公众号,wxgzh@gov.cn,{CANARY},核心,\n\
         网信办微博,脸书,wxb_weibo,{STRONG},,\n\
         网信办公众号,微博,,{STRONG},机密,\n"
    );
    let zh = [
        "无法识别平台「脸书」，请填写以下之一：",
        "名称「网信办公众号」重复：第 2 行的名称与此相同。",
        "登录名为必填项，本行未填写。",
        "无法识别级别「机密」",
        "第 4 行使用了相同的密码。",
        "第 3 行使用了相同的密码。",
    ];
    let en = [
        "unknown platform 「脸书」; use one of",
        "duplicate name 「网信办公众号」: row 2 has the same name",
        "is required",
        "unknown classification 「机密」",
        "the same password is used in row 4",
        "the same password is used in row 3",
    ];
    let a = upload(&web, &v.unit, "账号清单.csv", csv.clone().into_bytes()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("<html lang=\"zh-CN\">"));
    for (z, e) in zh.iter().zip(en) {
        assert!(a.body.contains(z), "{z}: {}", a.body);
        assert!(!a.body.contains(e), "{e}: {}", a.body);
    }
    assert!(
        a.body
            .contains("<td class=\"num\">4</td><td>登录名</td><td>登录名为必填项")
    );
    assert_no_password(&a);
    // A weak password's warning: its reasons in Chinese.
    let report = upload(&web, &v.unit, "账号清单.csv", good_csv().into_bytes()).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let warnings = &report.body[report.body.find("id=\"warnings-table\"").expect("warnings")..];
    assert!(
        warnings.contains(
            "<td class=\"num\">4</td><td>密码</td><td>密码强度不足，导入后标记为弱口令："
        ),
        "{warnings}"
    );
    assert!(warnings.contains("低于要求的"), "{warnings}");
    assert!(!warnings.contains("weak password") && !warnings.contains("below the required"));

    // English: the service's sentences.
    web.accept_language
        .lock()
        .unwrap()
        .replace("en".to_string());
    let a = upload(&web, &v.unit, "accounts.csv", csv.into_bytes()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("<html lang=\"en\">"));
    for (z, e) in zh.iter().zip(en) {
        assert!(a.body.contains(e), "{e}: {}", a.body);
        assert!(!a.body.contains(z), "{z}: {}", a.body);
    }
    let report = upload(&web, &v.unit, "accounts.csv", good_csv().into_bytes()).await;
    assert!(
        report
            .body
            .contains("weak password, imported and flagged weak: ")
    );
    assert!(!report.body.contains("密码强度不足"));
    assert_eq!(accounts_in(&app, &v.unit).await, 0);
}
