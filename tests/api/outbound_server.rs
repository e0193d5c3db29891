//! A local HTTP server for the outbound client and freshness probe tests (no database):
//! feeds, pages that change, a stall, a 500, redirect chains and targets, huge bodies,
//! and a slow page that records how many requests it served at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use credgov::outbound::{OutboundClient, OutboundConfig};

/// Newest item of every feed served here: 2026-03-02T08:00:00Z.
pub const NEWEST_MS: i64 = 1_772_438_400_000;
pub const HUGE_BYTES: usize = 50 * 1024 * 1024;

#[derive(Default)]
pub struct Counters {
    /// Requests served, every route.
    pub hits: AtomicUsize,
    /// Bytes of `/huge` produced so far.
    pub huge_sent: AtomicUsize,
    changing: AtomicUsize,
    slow_now: AtomicUsize,
    /// Most `/slow` requests in flight at once.
    pub slow_max: AtomicUsize,
}

pub struct FeedServer {
    pub port: u16,
    pub counters: Arc<Counters>,
}

impl FeedServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn hits(&self) -> usize {
        self.counters.hits.load(Ordering::SeqCst)
    }
}

/// A client that may reach 127.0.0.1 (and nothing else non-public), with `timeout_ms`.
pub fn client(timeout_ms: u64) -> OutboundClient {
    client_allowing(&["127.0.0.1"], timeout_ms)
}

pub fn client_allowing(hosts: &[&str], timeout_ms: u64) -> OutboundClient {
    OutboundClient::new(&OutboundConfig {
        allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
        timeout_ms,
    })
    .unwrap()
}

pub async fn spawn() -> FeedServer {
    let counters = Arc::new(Counters::default());
    let app = Router::new()
        .route("/rss", get(|| async { typed("application/rss+xml", RSS) }))
        .route(
            "/atom",
            get(|| async { typed("application/atom+xml", ATOM) }),
        )
        .route(
            "/json",
            get(|| async { typed("application/feed+json", JSON_FEED) }),
        )
        .route("/page", get(page))
        .route(
            "/static",
            get(|| async { typed("text/html", "<html><body>同一内容</body></html>") }),
        )
        .route("/changing", get(changing))
        .route("/stall", get(stall))
        .route(
            "/error",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route("/hop/{n}", get(hop))
        .route("/to", get(redirect_to))
        .route("/huge", get(huge))
        .route("/big", get(|| async { vec![b'x'; 3 * 1024 * 1024] }))
        .route("/slow", get(slow))
        .route("/agent", get(agent))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&counters),
            count_hits,
        ))
        .with_state(Arc::clone(&counters));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    FeedServer { port, counters }
}

async fn count_hits(
    State(c): State<Arc<Counters>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    c.hits.fetch_add(1, Ordering::SeqCst);
    next.run(request).await
}

fn typed(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::LAST_MODIFIED, "Mon, 02 Mar 2026 08:00:00 GMT"),
        ],
        "<html><body>栏目首页</body></html>",
    )
        .into_response()
}

async fn changing(State(c): State<Arc<Counters>>) -> String {
    let n = c.changing.fetch_add(1, Ordering::SeqCst);
    format!("<html><body>第 {n} 版</body></html>")
}

async fn stall() -> &'static str {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "too late"
}

async fn hop(Path(n): Path<u32>) -> Response {
    if n == 0 {
        return "arrived".into_response();
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("/hop/{}", n - 1))],
    )
        .into_response()
}

async fn redirect_to(Query(q): Query<HashMap<String, String>>) -> Response {
    let target = q.get("url").cloned().unwrap_or_default();
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

async fn huge(State(c): State<Arc<Counters>>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let stream = futures::stream::unfold(0usize, move |sent| {
        let c = Arc::clone(&c);
        async move {
            if sent >= HUGE_BYTES {
                return None;
            }
            c.huge_sent.fetch_add(CHUNK, Ordering::SeqCst);
            Some((
                Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; CHUNK])),
                sent + CHUNK,
            ))
        }
    });
    Body::from_stream(stream).into_response()
}

async fn slow(State(c): State<Arc<Counters>>) -> &'static str {
    let now = c.slow_now.fetch_add(1, Ordering::SeqCst) + 1;
    c.slow_max.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    c.slow_now.fetch_sub(1, Ordering::SeqCst);
    "slow"
}

async fn agent(headers: HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>永川区人民政府</title><link>https://www.example.gov.cn/</link>
<description>政务公开</description>
<item><title>上月通知</title><pubDate>Mon, 02 Feb 2026 08:00:00 +0800</pubDate></item>
<item><title>最新通知</title><pubDate>Mon, 02 Mar 2026 16:00:00 +0800</pubDate></item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>区融媒体中心</title><id>urn:example:feed</id>
<updated>2026-03-02T08:00:00Z</updated>
<entry><title>新</title><id>urn:example:2</id><updated>2026-03-02T08:00:00Z</updated></entry>
<entry><title>旧</title><id>urn:example:1</id><updated>2026-01-15T08:00:00Z</updated></entry>
</feed>"#;

const JSON_FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"政务新媒体",
"items":[{"id":"2","content_text":"新","date_published":"2026-03-02T16:00:00+08:00"},
{"id":"1","content_text":"旧","date_published":"2026-02-01T00:00:00Z"}]}"#;
