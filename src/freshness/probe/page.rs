//! Evidence from a page that is not a feed: its `Last-Modified` header, or a hash of its
//! content to compare with the previous probe's.

use sha2::{Digest, Sha256};

use crate::clock::Millis;

/// Hex SHA-256 of the body.
pub fn content_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The `Last-Modified` date, unless it merely repeats the response's `Date` (within
/// two seconds): dynamic pages stamp every answer with "now", which says nothing.
pub fn last_modified(last_modified: Option<&str>, date: Option<&str>) -> Option<Millis> {
    let modified = http_date_ms(last_modified?)?;
    if let Some(date) = date.and_then(http_date_ms)
        && (date - modified).abs() < 2_000
    {
        return None;
    }
    Some(modified)
}

fn http_date_ms(text: &str) -> Option<Millis> {
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    let since = time.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_modified_is_read_unless_it_is_the_response_time() {
        let lm = "Mon, 02 Mar 2026 08:00:00 GMT";
        assert_eq!(last_modified(Some(lm), None), Some(1_772_438_400_000));
        assert_eq!(
            last_modified(Some(lm), Some("Tue, 10 Mar 2026 08:00:00 GMT")),
            Some(1_772_438_400_000)
        );
        assert_eq!(last_modified(Some(lm), Some(lm)), None);
        assert_eq!(last_modified(Some("yesterday"), None), None);
        assert_eq!(last_modified(None, Some(lm)), None);
    }

    #[test]
    fn hash_is_hex_sha256() {
        assert_eq!(
            content_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
