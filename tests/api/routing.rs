//! The document and the router come from the same capability routers: every documented
//! operation is routed (it never reaches the 404/405 fallbacks).

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::both_engines;
use crate::common::{TestApp, error_code};

both_engines!(every_documented_operation_is_routed);

async fn every_documented_operation_is_routed(app: TestApp) {
    let doc: Value = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // Any value in place of a path parameter: the route must match, whatever the
        // handler then answers about the value.
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            operations += 1;
            let r = app
                .client
                .request(method.clone(), format!("{}{concrete}", app.base))
                .send()
                .await
                .unwrap();
            let status = r.status();
            if status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED {
                continue;
            }
            let v: Value = r.json().await.unwrap();
            let code = error_code(&v);
            let message = v["error"]["message"].as_str().unwrap_or_default();
            assert!(
                code != "method_not_allowed" && !message.starts_with("no such endpoint"),
                "{method} {path} is documented but not routed: {v}"
            );
        }
    }
    assert!(operations >= 50, "only {operations} documented operations");
}
