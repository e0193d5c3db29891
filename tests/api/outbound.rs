//! The outbound client's limits against a local server (no database, so no engines):
//! the destination rule on URLs, redirects and DNS answers, the redirect cap, the
//! deadline, the body cap and one request per host.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use credgov::error::DomainError;
use credgov::outbound::{AddressClass, MAX_BODY_BYTES, OutboundError};

use crate::outbound_server::{self as server, HUGE_BYTES};

#[tokio::test]
async fn non_http_schemes_are_refused() {
    let client = server::client(2_000);
    for url in ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd"] {
        let e = client.get(url).await.unwrap_err();
        assert_eq!(e.code(), "scheme_not_allowed", "{url}: {e}");
    }
    let e = client.get("not a url").await.unwrap_err();
    assert_eq!(e.code(), "invalid_url");
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let s = server::spawn().await;
    let strict = server::client_allowing(&[], 2_000);
    let e = strict.get(&s.url("/rss")).await.unwrap_err();
    assert!(
        matches!(
            e,
            OutboundError::DestinationRefused {
                class: AddressClass::Loopback,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(s.hits(), 0, "nothing was sent");
    let fetched = server::client(2_000).get(&s.url("/rss")).await.unwrap();
    assert_eq!(fetched.status.as_u16(), 200);
    assert_eq!(s.hits(), 1);
}

#[tokio::test]
async fn redirects_to_private_addresses_are_refused_before_connecting() {
    let s = server::spawn().await;
    let client = server::client(5_000);
    let targets = [
        ("http://10.0.0.1/feed", AddressClass::Private),
        (
            "http://169.254.169.254/latest/meta-data/",
            AddressClass::LinkLocal,
        ),
        ("http://[::ffff:10.0.0.1]/", AddressClass::Private),
        // Resolves to loopback; only the literal 127.0.0.1 is allowed, not the name.
        (
            &format!("http://localhost:{}/rss", s.port),
            AddressClass::Loopback,
        ),
    ];
    for (target, class) in targets {
        let before = s.hits();
        let started = Instant::now();
        let url = s.url(&format!("/to?url={}", urlencode(target)));
        let e = client.get(&url).await.unwrap_err();
        assert_eq!(e.code(), "destination_refused", "{target}: {e}");
        match e {
            OutboundError::DestinationRefused { class: got, .. } => assert_eq!(got, class),
            other => panic!("{target}: {other:?}"),
        }
        assert_eq!(
            s.hits(),
            before + 1,
            "{target}: only the redirect was served"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{target}: no connect attempt"
        );
    }
}

#[tokio::test]
async fn a_host_listed_by_name_may_resolve_to_loopback() {
    let s = server::spawn().await;
    let client = server::client_allowing(&["localhost"], 5_000);
    let fetched = client
        .get(&format!("http://localhost:{}/rss", s.port))
        .await
        .unwrap();
    assert_eq!(fetched.status.as_u16(), 200);
}

#[tokio::test]
async fn three_redirects_are_followed_and_a_fourth_is_refused() {
    let s = server::spawn().await;
    let client = server::client(5_000);
    let fetched = client.get(&s.url("/hop/3")).await.unwrap();
    assert_eq!(fetched.status.as_u16(), 200);
    assert_eq!(fetched.redirects, 3);
    assert_eq!(fetched.body, b"arrived");

    let before = s.hits();
    let e = client.get(&s.url("/hop/4")).await.unwrap_err();
    assert_eq!(e.code(), "too_many_redirects", "{e}");
    assert_eq!(s.hits(), before + 4, "the fourth redirect is not followed");
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let s = server::spawn().await;
    let client = server::client(300);
    let started = Instant::now();
    let e = client.get(&s.url("/stall")).await.unwrap_err();
    assert_eq!(e.code(), "timeout", "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_50_mib_body_is_cut_at_2_mib_and_refused() {
    let s = server::spawn().await;
    let client = server::client(10_000);
    let e = client.get(&s.url("/huge")).await.unwrap_err();
    assert_eq!(e.code(), "too_large", "{e}");
    assert!(matches!(e, OutboundError::TooLarge { max_bytes, .. } if max_bytes == MAX_BODY_BYTES));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = s.counters.huge_sent.load(Ordering::SeqCst);
    assert!(
        sent < HUGE_BYTES / 2,
        "reading stopped early; the server produced {sent} bytes"
    );

    // A declared length over the cap is refused without reading.
    let e = client.get(&s.url("/big")).await.unwrap_err();
    assert_eq!(e.code(), "too_large", "{e}");
}

#[tokio::test]
async fn one_request_per_host_at_a_time() {
    let s = server::spawn().await;
    let client = server::client(10_000);
    let url = s.url("/slow");
    let all = futures::future::join_all((0..4).map(|_| client.get(&url))).await;
    assert!(
        all.iter()
            .all(|r| r.as_ref().is_ok_and(|f| f.status.is_success()))
    );
    assert_eq!(s.counters.slow_max.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_server_error_is_an_answer_and_the_user_agent_names_credgov() {
    let s = server::spawn().await;
    let client = server::client(2_000);
    let fetched = client.get(&s.url("/error")).await.unwrap();
    assert_eq!(fetched.status.as_u16(), 500);
    let fetched = client.get(&s.url("/agent")).await.unwrap();
    let agent = String::from_utf8(fetched.body).unwrap();
    assert!(agent.starts_with("credgov/"), "{agent}");
}

#[tokio::test]
async fn errors_never_show_the_url() {
    let s = server::spawn().await;
    let client = server::client(300);
    let secret = "webhook-token-canary-41";
    for path in [
        format!("/stall?key={secret}"),
        format!("/hop/9?key={secret}"),
    ] {
        let e = client.get(&s.url(&path)).await.unwrap_err();
        let shown = format!("{e} {e:?} {:?}", e.details());
        assert!(!shown.contains(secret), "{shown}");
    }
    let e = client
        .get(&format!("http://127.0.0.1:1/x?key={secret}"))
        .await
        .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert_eq!(e.code(), "unreachable", "{shown}");
    assert!(!shown.contains(secret), "{shown}");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
