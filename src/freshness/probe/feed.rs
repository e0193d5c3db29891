//! Reading a feed: RSS (0.9x, 1.0, 2.0), Atom or JSON Feed, through `feed-rs`.

use feed_rs::model::FeedType;

use crate::clock::Millis;

/// Which feed format a source publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedKind {
    Rss,
    Atom,
    JsonFeed,
}

impl FeedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Rss => "rss",
            FeedKind::Atom => "atom",
            FeedKind::JsonFeed => "json_feed",
        }
    }
}

/// The newest item date of `body` when it is a feed with at least one date; `None`
/// for anything else (an HTML page, a feed without dates, unreadable content).
///
/// An item's date is its publication date, else its update date; a feed without
/// dated items falls back to the feed's own dates.
pub fn newest_item(body: &[u8]) -> Option<(FeedKind, Millis)> {
    let feed = feed_rs::parser::parse(body).ok()?;
    let kind = match feed.feed_type {
        FeedType::Atom => FeedKind::Atom,
        FeedType::JSON => FeedKind::JsonFeed,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2 => FeedKind::Rss,
    };
    let newest = feed
        .entries
        .iter()
        .filter_map(|e| e.published.or(e.updated))
        .max()
        .or(feed.updated)
        .or(feed.published)?;
    Some((kind, newest.timestamp_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-03-02T08:00:00Z
    const NEWEST: Millis = 1_772_438_400_000;

    #[test]
    fn rss_newest_pub_date() {
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>区政府网站</title><link>https://www.example.gov.cn/</link>
<description>政务公开</description>
<item><title>旧</title><pubDate>Mon, 02 Feb 2026 08:00:00 +0800</pubDate></item>
<item><title>新</title><pubDate>Mon, 02 Mar 2026 16:00:00 +0800</pubDate></item>
</channel></rss>"#;
        assert_eq!(newest_item(rss.as_bytes()), Some((FeedKind::Rss, NEWEST)));
    }

    #[test]
    fn atom_prefers_published_over_updated() {
        let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id>
<updated>2026-04-01T00:00:00Z</updated>
<entry><title>a</title><id>urn:a</id><published>2026-03-02T08:00:00Z</published><updated>2026-03-05T00:00:00Z</updated></entry>
<entry><title>b</title><id>urn:b</id><updated>2026-01-01T00:00:00Z</updated></entry>
</feed>"#;
        assert_eq!(newest_item(atom.as_bytes()), Some((FeedKind::Atom, NEWEST)));
    }

    #[test]
    fn json_feed_date_published() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[
{"id":"1","content_text":"a","date_published":"2026-03-02T16:00:00+08:00"},
{"id":"2","content_text":"b","date_published":"2025-12-31T00:00:00Z"}]}"#;
        assert_eq!(
            newest_item(json.as_bytes()),
            Some((FeedKind::JsonFeed, NEWEST))
        );
    }

    #[test]
    fn pages_and_undated_feeds_are_not_feeds() {
        assert_eq!(
            newest_item(b"<!DOCTYPE html><html><body>hi</body></html>"),
            None
        );
        assert_eq!(newest_item(br#"{"hello":"world"}"#), None);
        assert_eq!(newest_item(b"plain text"), None);
        let undated = r#"<rss version="2.0"><channel><title>t</title><item><title>x</title></item></channel></rss>"#;
        assert_eq!(newest_item(undated.as_bytes()), None);
    }
}
