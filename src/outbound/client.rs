//! The outgoing HTTP client: every request passes the destination rule, redirects are
//! followed by hand (at most [`MAX_REDIRECTS`], each target checked again), the whole
//! exchange has one deadline, the body is read as a stream and abandoned past
//! [`MAX_BODY_BYTES`], and each host gets one request at a time.

use std::error::Error as _;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;
use url::Url;

use super::config::OutboundConfig;
use super::destination::DestinationRule;
use super::error::OutboundError;
use super::host_limit::HostLimiter;
use super::resolver::CheckingResolver;

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 3;
/// Largest response body read; the rest is never downloaded.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Sent with every request so site operators can see who calls and why.
pub const USER_AGENT: &str = concat!(
    "credgov/",
    env!("CARGO_PKG_VERSION"),
    " (government account custody; content freshness check)"
);

/// A completed exchange: the final response after redirects, with its whole body.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// HTTP status of the final response.
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// At most [`MAX_BODY_BYTES`].
    pub body: Vec<u8>,
    /// How many redirects led here.
    pub redirects: usize,
}

impl Fetched {
    /// A header as text, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The one way credgov reaches other servers. Cheap to share behind an `Arc`; build one
/// per process so the per-host limit holds across callers.
pub struct OutboundClient {
    http: reqwest::Client,
    rule: Arc<DestinationRule>,
    hosts: HostLimiter,
    timeout: Duration,
}

impl std::fmt::Debug for OutboundClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundClient")
            .field("rule", &self.rule)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl OutboundClient {
    pub fn new(config: &OutboundConfig) -> Result<Self, OutboundError> {
        let rule = Arc::new(DestinationRule::new(&config.allowed_hosts));
        let timeout = Duration::from_millis(config.timeout_ms);
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .referer(false)
            .dns_resolver(Arc::new(CheckingResolver::new(Arc::clone(&rule))))
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| OutboundError::Internal(describe(&e)))?;
        Ok(OutboundClient {
            http,
            rule,
            hosts: HostLimiter::default(),
            timeout,
        })
    }

    /// Checks a destination URL as a request to it would be checked before resolving
    /// (absolute, http/https, no refused IP literal); its host. Settings use it at save
    /// time; host names are still checked on every address at send time.
    pub fn check_destination(&self, url: &str) -> Result<String, OutboundError> {
        let url = Url::parse(url).map_err(|_| OutboundError::InvalidUrl)?;
        self.rule.check_url(&url)
    }

    /// Checks a bare host (a name or an IP literal: an SMTP relay) as a URL to it would
    /// be checked before resolving; its host as shown in messages.
    pub fn check_host(&self, host: &str) -> Result<String, OutboundError> {
        let literal = if host.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        self.check_destination(&format!("https://{literal}/"))
    }

    /// Whether `host` is listed in `outbound.allowed_hosts` (by name, or as the same IP).
    pub fn lists_host(&self, host: &str) -> bool {
        self.rule.lists(host)
    }

    /// The addresses a connection to `host` may go to: an IP literal as it is, a name
    /// resolved with every address checked. Connecting to these (not to the name
    /// again) leaves no second lookup to rebind.
    pub async fn resolve_host(&self, host: &str) -> Result<Vec<std::net::IpAddr>, OutboundError> {
        self.check_host(host)?;
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            return Ok(vec![ip]);
        }
        let addrs = super::resolver::resolve_checked(&self.rule, host).await?;
        Ok(addrs.into_iter().map(|a| a.ip()).collect())
    }

    /// GET `url`, following up to [`MAX_REDIRECTS`] redirects. Any HTTP status is a
    /// success here; callers judge it.
    pub async fn get(&self, url: &str) -> Result<Fetched, OutboundError> {
        self.exchange(Method::GET, url, HeaderMap::new(), None, true, self.timeout)
            .await
    }

    /// POST `body` to `url` with `headers`; redirects are not followed (a 3xx comes
    /// back as the answer), so a body is never re-sent somewhere else.
    pub async fn post(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Fetched, OutboundError> {
        self.post_within(url, headers, body, self.timeout).await
    }

    /// [`post`](Self::post) with its own deadline instead of `outbound.timeout_ms`
    /// (a webhook receiver has 15 s whatever the probes' setting).
    pub async fn post_within(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Fetched, OutboundError> {
        self.exchange(Method::POST, url, headers, Some(body), false, timeout)
            .await
    }

    async fn exchange(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
        follow_redirects: bool,
        timeout: Duration,
    ) -> Result<Fetched, OutboundError> {
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let mut url = Url::parse(url).map_err(|_| OutboundError::InvalidUrl)?;
        let mut host = self.rule.check_url(&url)?;
        let mut permit = self.hosts.acquire(&host).await?;
        // The clock starts once it is this host's turn: queueing behind other
        // requests to the same host does not eat the request's time.
        let deadline = Instant::now() + timeout;
        let mut redirects = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .timeout(timeout)
                .headers(headers.clone());
            if let Some(body) = &body {
                request = request.body(body.clone());
            }
            let response = self
                .within(deadline, timeout_ms, &host, async {
                    request
                        .send()
                        .await
                        .map_err(|e| from_reqwest(&e, &host, timeout_ms))
                })
                .await?;
            let next = match redirect_target(&response, &url) {
                Some(next) if follow_redirects => next,
                _ => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = self
                        .within(
                            deadline,
                            timeout_ms,
                            &host,
                            read_capped(response, &host, timeout_ms),
                        )
                        .await?;
                    return Ok(Fetched {
                        status,
                        headers,
                        body,
                        redirects,
                    });
                }
            };
            if redirects == MAX_REDIRECTS {
                return Err(OutboundError::TooManyRedirects {
                    host,
                    max: MAX_REDIRECTS,
                });
            }
            let next = next.ok_or_else(|| OutboundError::BadRedirect { host: host.clone() })?;
            redirects += 1;
            drop(response);
            drop(permit);
            host = self.rule.check_url(&next)?;
            permit = self
                .within(deadline, timeout_ms, &host, self.hosts.acquire(&host))
                .await?;
            url = next;
        }
    }

    async fn within<T>(
        &self,
        deadline: Instant,
        timeout_ms: u64,
        host: &str,
        step: impl Future<Output = Result<T, OutboundError>>,
    ) -> Result<T, OutboundError> {
        tokio::time::timeout_at(deadline, step)
            .await
            .map_err(|_| OutboundError::Timeout {
                host: host.to_string(),
                timeout_ms,
            })?
    }
}

/// `Some(target)` when the response is a redirect to follow (`None` inside when its
/// Location is missing or unreadable); `None` for any other response.
fn redirect_target(response: &reqwest::Response, current: &Url) -> Option<Option<Url>> {
    let redirect = matches!(
        response.status(),
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    );
    if !redirect {
        return None;
    }
    Some(
        response
            .headers()
            .get(LOCATION)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .and_then(|location| current.join(location).ok()),
    )
}

/// Reads the body chunk by chunk and stops at the cap, so a huge answer is never
/// downloaded in full.
async fn read_capped(
    mut response: reqwest::Response,
    host: &str,
    timeout_ms: u64,
) -> Result<Vec<u8>, OutboundError> {
    let too_large = || OutboundError::TooLarge {
        host: host.to_string(),
        max_bytes: MAX_BODY_BYTES,
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| from_reqwest(&e, host, timeout_ms))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Turns a client error into ours: a refusal from the resolver comes back as itself;
/// the rest is described without the URL (which may carry a token).
fn from_reqwest(e: &reqwest::Error, host: &str, timeout_ms: u64) -> OutboundError {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(ours) = s.downcast_ref::<OutboundError>() {
            return ours.clone();
        }
        source = s.source();
    }
    let host = host.to_string();
    if e.is_timeout() {
        OutboundError::Timeout { host, timeout_ms }
    } else if e.is_connect() {
        OutboundError::Unreachable {
            host,
            detail: describe(e),
        }
    } else {
        OutboundError::Transport {
            host,
            detail: describe(e),
        }
    }
}

/// The causes under a client error, joined; the top level is skipped because its text
/// includes the URL.
fn describe(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    let mut text = if parts.is_empty() {
        "request failed".to_string()
    } else {
        parts.join(": ")
    };
    if text.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
    }
    text
}
