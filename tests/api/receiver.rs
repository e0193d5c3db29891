//! A local receiver for notification tests: records every request (path, query,
//! headers, body) and answers with the status and body it is told to, like a webhook
//! endpoint or a WeCom / DingTalk robot would.

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

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }
}

async fn record(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    inner.received.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        headers,
        body,
    });
    let (status, body) = inner.answer.lock().unwrap().clone();
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
}
