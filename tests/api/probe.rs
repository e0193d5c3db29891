//! Freshness probes against a local server (no database, so no engines): feeds give
//! their newest item, pages their Last-Modified or a content hash, failures say why.

use credgov::freshness::probe::{Evidence, FeedKind, ProbeFailure, probe};

use crate::outbound_server::{self as server, NEWEST_MS};

#[tokio::test]
async fn feeds_give_their_newest_item_date() {
    let s = server::spawn().await;
    let client = server::client(5_000);
    for (path, kind) in [
        ("/rss", FeedKind::Rss),
        ("/atom", FeedKind::Atom),
        ("/json", FeedKind::JsonFeed),
    ] {
        let out = probe(&client, &s.url(path), None).await;
        assert_eq!(out.failure, None, "{path}");
        assert_eq!(out.status, Some(200), "{path}");
        assert_eq!(out.evidence, Some(Evidence::Feed(kind)), "{path}");
        assert_eq!(out.newest_published_at, Some(NEWEST_MS), "{path}");
        assert_eq!(out.published_at(NEWEST_MS + 1), Some(NEWEST_MS));
        assert_eq!(
            out.published_at(NEWEST_MS - 5),
            Some(NEWEST_MS - 5),
            "never in the future"
        );
        assert_eq!(out.content_hash.as_deref().map(str::len), Some(64));
    }
}

#[tokio::test]
async fn a_page_gives_its_last_modified() {
    let s = server::spawn().await;
    let out = probe(&server::client(5_000), &s.url("/page"), None).await;
    assert_eq!(out.evidence, Some(Evidence::LastModified));
    assert_eq!(out.newest_published_at, Some(NEWEST_MS));
}

#[tokio::test]
async fn a_page_without_dates_is_compared_by_content_hash() {
    let s = server::spawn().await;
    let client = server::client(5_000);
    let now = 1_800_000_000_000;

    let first = probe(&client, &s.url("/changing"), None).await;
    assert_eq!(first.evidence, Some(Evidence::FirstSeen));
    assert_eq!(first.published_at(now), None);
    let second = probe(&client, &s.url("/changing"), first.content_hash.as_deref()).await;
    assert_eq!(second.evidence, Some(Evidence::ContentChanged));
    assert_ne!(second.content_hash, first.content_hash);
    assert_eq!(second.published_at(now), Some(now));

    let a = probe(&client, &s.url("/static"), None).await;
    let b = probe(&client, &s.url("/static"), a.content_hash.as_deref()).await;
    assert_eq!(b.evidence, Some(Evidence::ContentUnchanged));
    assert_eq!(b.published_at(now), None);
}

#[tokio::test]
async fn failures_are_recorded_with_their_status_and_code() {
    let s = server::spawn().await;
    let out = probe(&server::client(5_000), &s.url("/error"), None).await;
    assert_eq!(out.status, Some(500));
    assert_eq!(out.failure, Some(ProbeFailure::Status(500)));
    assert_eq!(
        out.failure.as_ref().map(ProbeFailure::code),
        Some("http_status")
    );
    assert_eq!(out.published_at(NEWEST_MS), None);

    let out = probe(&server::client(300), &s.url("/stall"), None).await;
    assert_eq!(out.status, None);
    assert_eq!(
        out.failure.as_ref().map(ProbeFailure::code),
        Some("timeout")
    );

    let client = server::client(10_000);
    for path in ["/huge", "/hop/4", "/to?url=http://10.0.0.1/"] {
        let out = probe(&client, &s.url(path), None).await;
        let code = match path {
            "/huge" => "too_large",
            "/hop/4" => "too_many_redirects",
            _ => "destination_refused",
        };
        assert_eq!(out.status, None, "{path}");
        assert_eq!(
            out.failure.as_ref().map(ProbeFailure::code),
            Some(code),
            "{path}"
        );
        assert_eq!(out.content_hash, None, "{path}");
    }
    let out = probe(&client, "ftp://127.0.0.1/feed.xml", None).await;
    assert_eq!(
        out.failure.as_ref().map(ProbeFailure::code),
        Some("scheme_not_allowed")
    );
}
