//! Which accounts publish content (new-media and website platforms) and what a feed
//! URL must look like.

use crate::error::InputError;
use crate::text::field_zh;
use crate::vault::Platform;

/// Platforms whose accounts publish content: the government website's CMS and the
/// new-media platforms. Only these get content rules, publications and a feed URL.
pub const CONTENT_PLATFORMS: [Platform; 8] = [
    Platform::GovWebsiteCms,
    Platform::WechatOfficial,
    Platform::Weibo,
    Platform::Douyin,
    Platform::Toutiao,
    Platform::Kuaishou,
    Platform::Bilibili,
    Platform::Xiaohongshu,
];

/// Whether accounts of `platform` publish content.
pub fn publishes_content(platform: Platform) -> bool {
    CONTENT_PLATFORMS.contains(&platform)
}

/// Longest feed or publication URL kept.
const MAX_URL_CHARS: usize = 500;

/// An absolute http/https URL with a host, at most 500 characters (trimmed); empty
/// text is `None`. Where it may point (public addresses only, unless allowed in
/// `outbound.allowed_hosts`) is checked when it is fetched, after DNS resolution.
pub fn parse_http_url(field: &str, value: Option<&str>) -> Result<Option<String>, InputError> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_URL_CHARS {
        return Err(InputError::field(
            field,
            format!("{field} is longer than {MAX_URL_CHARS} characters"),
        )
        .zh(format!(
            "{}不能超过 {MAX_URL_CHARS} 个字符。",
            field_zh(field)
        )));
    }
    let bad = || {
        InputError::field(field, format!("{field} must be an http:// or https:// URL")).zh(format!(
            "{}须为以 http:// 或 https:// 开头的网址。",
            field_zh(field)
        ))
    };
    let url = url::Url::parse(text).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(Some(url.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_are_http_or_https_with_a_host() {
        assert_eq!(
            parse_http_url("feed_url", Some(" https://www.example.gov.cn/rss ")).unwrap(),
            Some("https://www.example.gov.cn/rss".into())
        );
        assert_eq!(parse_http_url("feed_url", Some("  ")).unwrap(), None);
        assert_eq!(parse_http_url("feed_url", None).unwrap(), None);
        for bad in [
            "ftp://example.gov.cn/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "www.example.gov.cn",
            "http://",
        ] {
            let e = parse_http_url("feed_url", Some(bad)).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("feed_url"), "{bad}");
        }
        let long = format!("https://example.gov.cn/{}", "a".repeat(500));
        assert!(parse_http_url("feed_url", Some(&long)).is_err());
    }

    #[test]
    fn content_platforms() {
        assert!(publishes_content(Platform::Weibo));
        assert!(publishes_content(Platform::GovWebsiteCms));
        assert!(!publishes_content(Platform::Email));
        assert!(!publishes_content(Platform::DomainRegistrar));
    }
}
