//! Why an outgoing request did not produce a response. Messages name the host at most,
//! never the URL: webhook URLs carry tokens in their path or query.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::address::AddressClass;

crate::error_enum! {
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    pub enum OutboundError {
        #[error("the address is not a valid absolute URL")]
        InvalidUrl => (Invalid, "invalid_url"),
        #[error("only http and https addresses may be fetched, not {scheme}")]
        SchemeNotAllowed { scheme: String } => (Invalid, "scheme_not_allowed"),
        #[error(
            "{host} is a {class} address; outgoing requests go only to public addresses \
             unless the host is listed in outbound.allowed_hosts"
        )]
        DestinationRefused {
            host: String,
            class: AddressClass,
        } => (Invalid, "destination_refused"),
        #[error("{host} redirected more than {max} times")]
        TooManyRedirects { host: String, max: usize } => (Upstream, "too_many_redirects"),
        #[error("{host} answered with a redirect whose Location is missing or not a URL")]
        BadRedirect { host: String } => (Upstream, "bad_redirect"),
        #[error("{host} sent more than {max_bytes} bytes; reading stopped there")]
        TooLarge { host: String, max_bytes: usize } => (TooLarge, "too_large"),
        #[error("{host} did not answer completely within {timeout_ms} ms")]
        Timeout { host: String, timeout_ms: u64 } => (Upstream, "timeout"),
        #[error("the host name {host} could not be resolved")]
        Unresolvable { host: String } => (Upstream, "unresolvable"),
        #[error("could not connect to {host}: {detail}")]
        Unreachable { host: String, detail: String } => (Upstream, "unreachable"),
        #[error("the exchange with {host} failed: {detail}")]
        Transport { host: String, detail: String } => (Upstream, "transport"),
        #[error("the outgoing HTTP client could not be built: {0}")]
        Internal(String) => (Internal, "internal"),
    }
    details = details;
    message_zh = message_zh;
}

impl OutboundError {
    /// The host the failure is about, when there is one.
    pub fn host(&self) -> Option<&str> {
        match self {
            OutboundError::DestinationRefused { host, .. }
            | OutboundError::TooManyRedirects { host, .. }
            | OutboundError::BadRedirect { host }
            | OutboundError::TooLarge { host, .. }
            | OutboundError::Timeout { host, .. }
            | OutboundError::Unresolvable { host }
            | OutboundError::Unreachable { host, .. }
            | OutboundError::Transport { host, .. } => Some(host),
            OutboundError::InvalidUrl
            | OutboundError::SchemeNotAllowed { .. }
            | OutboundError::Internal(_) => None,
        }
    }
}

/// The same sentence in Chinese, naming the host like the English one (never the URL).
fn message_zh(e: &OutboundError) -> Option<Cow<'_, str>> {
    let zh = match e {
        OutboundError::InvalidUrl => "地址不是有效的完整网址。".to_string(),
        OutboundError::SchemeNotAllowed { scheme } => {
            format!("只能访问 http 或 https 地址，不能访问 {scheme} 地址。")
        }
        OutboundError::DestinationRefused { host, class } => format!(
            "{host} 是{}地址；对外请求只发往公网地址，除非该主机已列入 outbound.allowed_hosts。",
            class.zh()
        ),
        OutboundError::TooManyRedirects { host, max } => {
            format!("{host} 重定向超过 {max} 次。")
        }
        OutboundError::BadRedirect { host } => {
            format!("{host} 返回了重定向，但没有 Location 或其不是网址。")
        }
        OutboundError::TooLarge { host, max_bytes } => {
            format!("{host} 返回的内容超过 {max_bytes} 字节，已停止读取。")
        }
        OutboundError::Timeout { host, timeout_ms } => {
            format!("{host} 未在 {timeout_ms} 毫秒内完整应答。")
        }
        OutboundError::Unresolvable { host } => format!("无法解析主机名 {host}。"),
        OutboundError::Unreachable { host, detail } => {
            format!("无法连接 {host}（{detail}）。")
        }
        OutboundError::Transport { host, detail } => format!("与 {host} 通信失败（{detail}）。"),
        OutboundError::Internal(_) => return None,
    };
    Some(Cow::Owned(zh))
}

fn details(e: &OutboundError) -> Option<Value> {
    match e {
        OutboundError::DestinationRefused { host, class } => {
            Some(json!({ "host": host, "class": class.as_str() }))
        }
        OutboundError::TooLarge { host, max_bytes } => {
            Some(json!({ "host": host, "max_bytes": max_bytes }))
        }
        other => other.host().map(|host| json!({ "host": host })),
    }
}
