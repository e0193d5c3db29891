//! Per-unit policies: inheritance down the tree, floors, presets, access and audit.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::common::{TestApp, error_code};

both_engines!(
    policy_inherits_down_three_levels,
    policy_child_tightens_and_sources_name_it,
    policy_child_cannot_loosen_a_floor,
    policy_unit_chooses_a_preset,
    policy_input_is_validated,
    policy_access_follows_roles_and_subtrees,
    policy_changes_are_audited_and_clearable,
    policy_parent_tightening_later_shadows_child,
);

fn policy_path(unit: &str) -> String {
    format!("/api/v1/units/{unit}/policy")
}

async fn put(app: &TestApp, token: &str, unit: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        reqwest::Method::PUT,
        &policy_path(unit),
        Some(token),
        Some(body),
    )
    .await
}

async fn put_ok(app: &TestApp, unit: &str, body: Value) -> Value {
    let (s, v) = put(app, &app.admin_token, unit, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn get_ok(app: &TestApp, unit: &str) -> Value {
    let (s, v) = app.get(&policy_path(unit), &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn stored_rows(app: &TestApp, unit: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM unit_policies WHERE unit_id = $1")
        .bind(unit)
        .fetch_one(app.pool())
        .await
        .expect("count")
        .get::<i64, _>(0)
}

async fn policy_inherits_down_three_levels(app: TestApp) {
    let root = app.root_id.clone();
    let dept = app.create_unit(&root, "区文旅委", "department").await;
    let inst = app.create_unit(&dept, "区图书馆", "institution").await;
    let branch = app.create_unit(&inst, "区图书馆分馆", "other").await;
    // Nothing set: the configured preset everywhere.
    let v = get_ok(&app, &branch).await;
    assert_eq!(v["unit_id"], branch.as_str());
    assert_eq!(v["policy"]["account_password"]["min_length"], 12);
    assert_eq!(
        v["sources"]["account_password.min_length"],
        "preset:district-default"
    );
    assert_eq!(v["own"], Value::Null);
    // The district tightens; the department tightens something else.
    put_ok(
        &app,
        &root,
        json!({ "overrides": { "account_password": { "min_length": 14 }, "rotation": { "max_age_days_core": 60 } } }),
    )
    .await;
    put_ok(
        &app,
        &dept,
        json!({ "overrides": { "account_password": { "history_depth": 20 } } }),
    )
    .await;
    for unit in [&dept, &inst, &branch] {
        let v = get_ok(&app, unit).await;
        let p = &v["policy"];
        assert_eq!(p["account_password"]["min_length"], 14, "{unit}");
        assert_eq!(p["rotation"]["max_age_days_core"], 60);
        assert_eq!(p["account_password"]["history_depth"], 20);
        assert_eq!(
            v["sources"]["account_password.min_length"],
            format!("unit:{root} (测试区人民政府)")
        );
        assert_eq!(
            v["sources"]["account_password.history_depth"],
            format!("unit:{dept} (区文旅委)")
        );
        assert_eq!(
            v["sources"]["rotation.max_age_days_general"],
            "preset:district-default"
        );
    }
    // The vault's view is the same as the API's.
    let unit = credgov::tenancy::get_unit(app.pool(), &credgov::ids::UnitId::new(branch.as_str()))
        .await
        .unwrap()
        .unwrap();
    let eff = credgov::policy::effective_policy(&app.state, &unit)
        .await
        .unwrap();
    assert_eq!(eff.policy.account_password.min_length, 14);
    assert_eq!(eff.policy.account_password.history_depth, 20);
    assert_eq!(eff.policy.rotation.max_age_days_core, 60);
    // A long minimum raises the generator with it.
    put_ok(
        &app,
        &inst,
        json!({ "overrides": { "account_password": { "min_length": 32 } } }),
    )
    .await;
    let v = get_ok(&app, &branch).await;
    assert_eq!(v["policy"]["generator"]["length"], 32);
    assert_eq!(
        v["sources"]["generator.length"],
        format!("unit:{inst} (区图书馆); raised to match account_password.min_length")
    );
    // Siblings are untouched.
    let town = app.create_unit(&root, "来苏镇", "town").await;
    let v = get_ok(&app, &town).await;
    assert_eq!(v["policy"]["account_password"]["history_depth"], 10);
    assert_eq!(v["policy"]["account_password"]["min_length"], 14);
}

async fn policy_child_tightens_and_sources_name_it(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区网信办", "department")
        .await;
    let child = app.create_unit(&dept, "区大数据中心", "institution").await;
    put_ok(
        &app,
        &dept,
        json!({ "overrides": { "rotation": { "max_age_days_important": 120 } } }),
    )
    .await;
    let v = put_ok(
        &app,
        &child,
        json!({ "overrides": {
            "rotation": { "max_age_days_important": 60 },
            "account_password": { "required_classes": ["upper", "lower", "digit", "symbol"] },
            "generator": { "exclude_ambiguous": false }
        } }),
    )
    .await;
    assert_eq!(v["policy"]["rotation"]["max_age_days_important"], 60);
    assert_eq!(
        v["sources"]["rotation.max_age_days_important"],
        format!("unit:{child} (区大数据中心)")
    );
    // Re-stating the inherited classes is allowed but the floor stays where it was set.
    assert_eq!(
        v["sources"]["account_password.required_classes"],
        "preset:district-default"
    );
    assert_eq!(v["policy"]["generator"]["exclude_ambiguous"], false);
    assert_eq!(
        v["own"]["overrides"]["rotation"],
        json!({ "max_age_days_important": 60 })
    );
    assert_eq!(
        v["own"]["overrides"]["account_password"]["required_classes"],
        json!(["lower", "upper", "digit", "symbol"]),
        "stored in canonical order"
    );
    assert_eq!(v, get_ok(&app, &child).await, "PUT answers what GET shows");
    let v = get_ok(&app, &dept).await;
    assert_eq!(v["policy"]["rotation"]["max_age_days_important"], 120);
}

async fn policy_child_cannot_loosen_a_floor(app: TestApp) {
    let dept = app.create_unit(&app.root_id, "区教委", "department").await;
    let school = app.create_unit(&dept, "区实验中学", "institution").await;
    put_ok(
        &app,
        &dept,
        json!({ "overrides": { "rotation": { "max_age_days_core": 60 } } }),
    )
    .await;
    let (s, v) = put(
        &app,
        &app.admin_token,
        &school,
        json!({ "overrides": { "rotation": { "max_age_days_core": 90 }, "account_password": { "min_length": 16 } } }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(&v), "policy_floor");
    let d = &v["error"]["details"];
    assert_eq!(d["key"], "rotation.max_age_days_core");
    assert_eq!(d["value"], 90);
    assert_eq!(d["inherited"], 60);
    assert_eq!(d["unit_id"], dept.as_str());
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("rotation.max_age_days_core"), "{msg}");
    assert!(msg.contains(&dept), "{msg}");
    // Nothing stored, nothing audited.
    assert_eq!(stored_rows(&app, &school).await, 0);
    assert_eq!(get_ok(&app, &school).await["own"], Value::Null);
    assert!(
        !app.audit_actions(&school)
            .await
            .iter()
            .any(|(a, _)| a.starts_with("policy."))
    );
    // The configured preset is a floor too, for every kind of key.
    for (overrides, key) in [
        (
            json!({ "account_password": { "min_length": 10 } }),
            "account_password.min_length",
        ),
        (
            json!({ "account_password": { "required_classes": ["lower", "digit"] } }),
            "account_password.required_classes",
        ),
        (
            json!({ "account_password": { "forbid_unit_reuse": false } }),
            "account_password.forbid_unit_reuse",
        ),
        (json!({ "generator": { "length": 16 } }), "generator.length"),
    ] {
        let (s, v) = put(
            &app,
            &app.admin_token,
            &school,
            json!({ "overrides": overrides }),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(error_code(&v), "policy_floor");
        assert_eq!(v["error"]["details"]["key"], key);
        assert_eq!(
            v["error"]["details"]["source"], "preset:district-default",
            "{v}"
        );
    }
    // A unit admin of the school cannot loosen what the department set either.
    let admin = app.user_with_role(&school, "unit_admin").await;
    let (s, v) = put(
        &app,
        &admin.token,
        &school,
        json!({ "overrides": { "rotation": { "max_age_days_core": 61 } } }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(&v), "policy_floor");
    assert_eq!(stored_rows(&app, &school).await, 0);
}

async fn policy_unit_chooses_a_preset(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区公安分局", "department")
        .await;
    let station = app.create_unit(&dept, "中山路派出所", "other").await;
    let v = put_ok(&app, &dept, json!({ "preset": "nist-800-63b" })).await;
    let p = &v["policy"];
    // Stricter values of the preset apply …
    assert_eq!(p["account_password"]["min_length"], 15);
    assert_eq!(p["generator"]["length"], 24);
    let from_preset = format!("unit:{dept} preset:nist-800-63b");
    assert_eq!(v["sources"]["account_password.min_length"], from_preset);
    // … looser ones (ten-year rotation, no required classes) do not.
    assert_eq!(p["rotation"]["max_age_days_core"], 90);
    assert_eq!(
        p["account_password"]["required_classes"],
        json!(["lower", "upper", "digit", "symbol"])
    );
    assert_eq!(
        v["sources"]["rotation.max_age_days_core"],
        "preset:district-default"
    );
    // Login rules stay global.
    assert_eq!(p["lockout"]["max_failures"], 5);
    assert_eq!(v["own"]["preset"], "nist-800-63b");
    // Below, the preset's values are the floor.
    let v = get_ok(&app, &station).await;
    assert_eq!(v["policy"]["account_password"]["min_length"], 15);
    assert_eq!(v["sources"]["account_password.min_length"], from_preset);
    let (s, v) = put(
        &app,
        &app.admin_token,
        &station,
        json!({ "overrides": { "account_password": { "min_length": 14 } } }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["details"]["source"], from_preset.as_str());
    // A preset plus overrides.
    let v = put_ok(
        &app,
        &station,
        json!({ "preset": "mlps-level3", "overrides": { "rotation": { "max_age_days_core": 30 } } }),
    )
    .await;
    assert_eq!(v["policy"]["rotation"]["max_age_days_important"], 90);
    assert_eq!(
        v["sources"]["rotation.max_age_days_important"],
        format!("unit:{station} preset:mlps-level3")
    );
    assert_eq!(v["policy"]["rotation"]["max_age_days_core"], 30);
    assert_eq!(v["policy"]["account_password"]["min_length"], 15);
    // Unknown presets are named.
    let (s, v) = put(
        &app,
        &app.admin_token,
        &station,
        json!({ "preset": "mlps-level9" }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(&v), "invalid_policy");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("mlps-level9") && msg.contains("mlps-level3"),
        "{msg}"
    );
}

async fn policy_input_is_validated(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区财政局", "department")
        .await;
    let cases = [
        (
            json!({ "overrides": { "lockout": { "max_failures": 3 } } }),
            "lockout",
            "configured preset",
        ),
        (
            json!({ "overrides": { "session": { "idle_minutes": 5 } } }),
            "session",
            "applies to every unit",
        ),
        (
            json!({ "overrides": { "risks": { "weight": 1 } } }),
            "risks",
            "unknown policy section",
        ),
        (
            json!({ "overrides": { "risk": { "weights": { "strong": 1 } } } }),
            "risk",
            "configured preset",
        ),
        (
            json!({ "overrides": { "account_password": { "min_lenght": 16 } } }),
            "account_password.min_lenght",
            "unknown policy key",
        ),
        (
            json!({ "overrides": { "account_password": { "min_length": "16" } } }),
            "account_password.min_length",
            "whole number",
        ),
        (
            json!({ "overrides": { "account_password": { "min_length": 4096 } } }),
            "account_password.min_length",
            "from 8 to 256",
        ),
        (
            json!({ "overrides": { "account_password": { "required_classes": ["emoji"] } } }),
            "account_password.required_classes",
            "list of",
        ),
        (
            json!({ "overrides": { "generator": { "exclude_ambiguous": "yes" } } }),
            "generator.exclude_ambiguous",
            "true or false",
        ),
        (
            json!({ "overrides": { "account_password": { "max_length": 16 } } }),
            "account_password.max_length",
            "generator.length",
        ),
    ];
    for (body, key, words) in cases {
        let (s, v) = put(&app, &app.admin_token, &unit, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {v}");
        assert_eq!(error_code(&v), "invalid_policy", "{v}");
        assert_eq!(v["error"]["details"]["key"], key, "{v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains(words), "{body}: {msg}");
    }
    // Shape errors of the body itself.
    for body in [
        json!({ "overrides": [] }),
        json!({ "preset": 3 }),
        json!({ "extra": 1 }),
    ] {
        let (s, v) = put(&app, &app.admin_token, &unit, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {v}");
    }
    assert_eq!(stored_rows(&app, &unit).await, 0);
    // Unknown units are 404 before anything else.
    let (s, _) = put(
        &app,
        &app.admin_token,
        "no-such-unit",
        json!({ "overrides": {} }),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn policy_access_follows_roles_and_subtrees(app: TestApp) {
    let a = app
        .create_unit(&app.root_id, "区农业农村委", "department")
        .await;
    let b = app
        .create_unit(&app.root_id, "区商务委", "department")
        .await;
    let unit_admin = app.user_with_role(&a, "unit_admin").await;
    let custodian = app.user_with_role(&a, "custodian").await;
    let auditor = app.user_with_role(&a, "auditor").await;
    let supervisor = app.user_with_role(&a, "supervisor").await;
    let body = json!({ "overrides": { "account_password": { "min_length": 16 } } });
    // Reading: any role that reads units, in its subtree only.
    for user in [&unit_admin, &custodian, &supervisor] {
        let (s, v) = app.get(&policy_path(&a), &user.token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = app.get(&policy_path(&b), &user.token).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        assert_eq!(error_code(&v), "not_found");
    }
    let (s, v) = app.get(&policy_path(&a), &auditor.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Writing: sysadmin and unit_admin.
    for user in [&custodian, &supervisor, &auditor] {
        let (s, v) = put(&app, &user.token, &a, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{} {v}", user.username);
        let (s, _) = app.delete(&policy_path(&a), &user.token).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, v) = put(&app, &unit_admin.token, &b, body.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(stored_rows(&app, &a).await, 0);
    let (s, v) = put(&app, &unit_admin.token, &a, body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["policy"]["account_password"]["min_length"], 16);
    // The unit admin of a cannot change the district above it.
    let (s, _) = put(&app, &unit_admin.token, &app.root_id, body).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&policy_path(&a), "not-a-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn policy_changes_are_audited_and_clearable(app: TestApp) {
    let unit = app
        .create_unit(&app.root_id, "区卫健委", "department")
        .await;
    put_ok(
        &app,
        &unit,
        json!({ "preset": "mlps-level3", "overrides": { "account_password": { "min_length": 16 } } }),
    )
    .await;
    let row = sqlx::query(
        "SELECT details, actor_name, target_id FROM audit_events \
         WHERE unit_id = $1 AND action = 'policy.update'",
    )
    .bind(&unit)
    .fetch_one(app.pool())
    .await
    .expect("policy.update event");
    let details: Value = serde_json::from_str(&row.get::<String, _>(0)).unwrap();
    assert_eq!(details["preset"], "mlps-level3");
    assert_eq!(
        details["overrides"],
        json!({ "account_password": { "min_length": 16 } })
    );
    assert_eq!(details["previous"], Value::Null);
    assert_eq!(row.get::<String, _>(1), "admin");
    assert_eq!(row.get::<String, _>(2), unit);
    // Clearing goes back to inheriting.
    let (s, v) = app.delete(&policy_path(&unit), &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["own"], Value::Null);
    assert_eq!(v["policy"]["account_password"]["min_length"], 12);
    assert_eq!(stored_rows(&app, &unit).await, 0);
    let (s, v) = app.delete(&policy_path(&unit), &app.admin_token).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let actions: Vec<String> = app
        .audit_actions(&unit)
        .await
        .into_iter()
        .filter(|(a, _)| a.starts_with("policy."))
        .map(|(a, o)| format!("{a}:{o}"))
        .collect();
    assert_eq!(actions, ["policy.update:success", "policy.clear:success"]);
    let details: Value = serde_json::from_str(
        &sqlx::query(
            "SELECT details FROM audit_events WHERE unit_id = $1 AND action = 'policy.clear'",
        )
        .bind(&unit)
        .fetch_one(app.pool())
        .await
        .unwrap()
        .get::<String, _>(0),
    )
    .unwrap();
    assert_eq!(details["previous"]["preset"], "mlps-level3");
    // The chain still verifies.
    let report = credgov::audit::verify_all(&app.state.db).await.unwrap();
    assert!(
        matches!(report, credgov::audit::VerifyReport::Intact { .. }),
        "{report:?}"
    );
}

async fn policy_parent_tightening_later_shadows_child(app: TestApp) {
    let dept = app
        .create_unit(&app.root_id, "区水利局", "department")
        .await;
    let child = app.create_unit(&dept, "区水文站", "institution").await;
    put_ok(
        &app,
        &child,
        json!({ "overrides": { "rotation": { "max_age_days_general": 200 } } }),
    )
    .await;
    // The department tightens beyond the child afterwards: allowed, and the floor wins.
    put_ok(
        &app,
        &dept,
        json!({ "overrides": { "rotation": { "max_age_days_general": 100 } } }),
    )
    .await;
    let v = get_ok(&app, &child).await;
    assert_eq!(v["policy"]["rotation"]["max_age_days_general"], 100);
    assert_eq!(
        v["shadowed"],
        json!([{
            "key": "rotation.max_age_days_general",
            "value": 200,
            "in_force": 100,
            "source": format!("unit:{dept} (区水利局)")
        }])
    );
    assert_eq!(
        v["own"]["overrides"]["rotation"]["max_age_days_general"],
        200
    );
}
