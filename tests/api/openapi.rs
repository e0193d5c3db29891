//! The checked-in OpenAPI document matches the code.

use reqwest::StatusCode;

use crate::both_engines;
use crate::common::TestApp;

#[test]
fn checked_in_openapi_matches_the_code() {
    let generated = credgov::http::openapi_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    if std::env::var("CREDGOV_UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, &generated).expect("write docs/openapi.json");
        return;
    }
    assert!(
        stored == generated,
        "docs/openapi.json is out of date: run `cargo run -- openapi > docs/openapi.json` (or CREDGOV_UPDATE_OPENAPI=1 cargo test openapi)"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in [
        "/api/v1/auth/login",
        "/api/v1/units/{id}",
        "/api/v1/tokens",
        "/api/v1/audit",
        "/healthz",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
    // Every `$ref` names a schema the document defines (an unresolvable one makes the
    // fuzzer skip that part of an operation).
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "$ref {r} does not resolve"
        );
    }
}

fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_string()),
                    _ => collect_refs(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

both_engines!(served_openapi_is_the_generated_one);

async fn served_openapi_is_the_generated_one(app: TestApp) {
    let r = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let served: serde_json::Value = r.json().await.unwrap();
    let generated: serde_json::Value =
        serde_json::from_str(&credgov::http::openapi_json()).unwrap();
    assert_eq!(served, generated);
}
