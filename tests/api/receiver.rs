//! A local receiver for notification tests: records every request (path, query,
//! headers, body) and answers with the status and body it is told to, like a webhook
//! endpoint or a WeCom / DingTalk robot would. With [`Receiver::enforce_limits`] it
//! also refuses what the platforms refuse: WeCom markdown over 4096 bytes (errcode
//! 40058), DingTalk markdown over our 4000-byte budget (errcode 460101), and any other
//! body (a webhook) over 20 KiB (HTTP 413); refused requests are recorded with
//! `refused` set.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Refused for its size (only while limits are enforced).
    pub refused: bool,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    answer: Mutex<(u16, String)>,
    limits: std::sync::atomic::AtomicBool,
}

#[derive(Clone)]
pub struct Receiver {
    pub port: u16,
    inner: Arc<Inner>,
}

impl Receiver {
    /// Starts a receiver answering 200 with `{"errcode":0,"errmsg":"ok"}`.
    pub async fn start() -> Receiver {
        let inner = Arc::new(Inner::default());
        *inner.answer.lock().unwrap() = (200, r#"{"errcode":0,"errmsg":"ok"}"#.into());
        let app = Router::new()
            .fallback(record)
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { port, inner }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://127.0.0.1:{}{path_and_query}", self.port)
    }

    /// Answers every later request with `status` and `body`.
    pub fn answer(&self, status: u16, body: &str) {
        *self.inner.answer.lock().unwrap() = (status, body.to_string());
    }

    /// Refuses oversized messages from now on, as the platforms do.
    pub fn enforce_limits(&self) {
        self.inner
            .limits
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }
}

/// The platform's refusal of an oversized message, if it is one.
fn too_large(path: &str, body: &[u8]) -> Option<(u16, String)> {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let len = |v: &serde_json::Value| v.as_str().map(str::len).unwrap_or(0);
    if path == "/cgi-bin/webhook/send" {
        let n = len(&json["markdown"]["content"]);
        (n > 4096).then(|| {
            let msg = format!("markdown.content exceed max length 4096. invalid length {n}");
            (
                200,
                serde_json::json!({ "errcode": 40058, "errmsg": msg }).to_string(),
            )
        })
    } else if path == "/robot/send" {
        let n = len(&json["markdown"]["text"]);
        (n > 4000).then(|| {
            let msg = format!("message too long: {n} bytes");
            (
                200,
                serde_json::json!({ "errcode": 460101, "errmsg": msg }).to_string(),
            )
        })
    } else {
        (body.len() > 20 * 1024).then(|| (413, "{}".to_string()))
    }
}

async fn record(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let refusal = if inner.limits.load(std::sync::atomic::Ordering::SeqCst) {
        too_large(uri.path(), &body)
    } else {
        None
    };
    inner.received.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        headers,
        body,
        refused: refusal.is_some(),
    });
    let (status, body) = refusal.unwrap_or_else(|| inner.answer.lock().unwrap().clone());
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
}
