//! A cookie-keeping HTTP client for the console's pages (no redirects followed, so each
//! answer can be checked), and the sign-in it does like a browser would.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::common::{TestApp, TestUser};

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first `name="_csrf"` field on the page.
    pub fn csrf(&self) -> String {
        field_value(&self.body, "_csrf").unwrap_or_default()
    }
}

/// The `value` of the input named `name` in `html`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    attr_of(html, &format!("name=\"{name}\""), "value")
}

/// The `href` of the element with `id="{id}"` in `html`, as the browser follows it.
pub fn href_of(html: &str, id: &str) -> Option<String> {
    attr_of(html, &format!("id=\"{id}\""), "href")
}

/// Attribute `attr` of the first tag containing `marker`, unescaped.
fn attr_of(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find(&format!("{attr}=\""))? + attr.len() + 2;
    let end = tag[v..].find('"')?;
    Some(unescape(&tag[v..v + end]))
}

/// An attribute value as the browser reads it (the escapes askama writes).
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The table row (`<tr …>…</tr>`) of `html` that contains `needle`; empty when none
/// does, so an assertion on it fails with the page's row missing.
pub fn row_of<'a>(html: &'a str, needle: &str) -> &'a str {
    let Some(at) = html.find(needle) else {
        return "";
    };
    let start = html[..at].rfind("<tr").unwrap_or(at);
    let end = html[at..].find("</tr>").map_or(html.len(), |e| at + e);
    &html[start..end]
}

pub struct WebClient {
    pub base: String,
    http: reqwest::Client,
    pub jar: Mutex<HashMap<String, String>>,
    pub accept_language: Mutex<Option<String>>,
}

impl WebClient {
    pub fn new(app: &TestApp) -> WebClient {
        WebClient {
            base: app.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar: Mutex::new(HashMap::new()),
            accept_language: Mutex::new(None),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    fn cookie_header(&self) -> String {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let mut req = req.header("cookie", self.cookie_header());
        if let Some(l) = self.accept_language.lock().unwrap().clone() {
            req = req.header("accept-language", l);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        for sc in headers.get_all("set-cookie") {
            let sc = sc.to_str().expect("cookie text");
            let (pair, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let (k, v) = pair.split_once('=').expect("name=value");
            if attrs.contains("Max-Age=0") {
                self.jar.lock().unwrap().remove(k);
            } else {
                self.jar
                    .lock()
                    .unwrap()
                    .insert(k.to_string(), v.to_string());
            }
        }
        let body = res.text().await.expect("body");
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.send(self.http.post(format!("{}{path}", self.base)).form(fields))
            .await
    }

    /// A `multipart/form-data` POST, as a browser sends a form with a file input:
    /// `fields` as text parts, then `file` (`field name`, file name, content).
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, Vec<u8>)>,
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((name, file_name, bytes)) = file {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
            form = form.part(name.to_string(), part);
        }
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .multipart(form),
        )
        .await
    }

    /// Signs `user` in through the pages: the form, then the code page when the user
    /// has TOTP. Returns the last answer (a redirect on success).
    pub async fn sign_in(&self, app: &TestApp, user: &TestUser) -> Answer {
        let page = self.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let pre = page.csrf();
        let a = self
            .post(
                "/login",
                &[
                    ("_csrf", &pre),
                    ("username", &user.username),
                    ("password", &user.password),
                    ("next", "/"),
                ],
            )
            .await;
        match &user.totp_secret {
            Some(secret) => {
                assert_eq!(a.status, StatusCode::OK, "{}", a.body);
                assert!(a.body.contains("name=\"code\""), "{}", a.body);
                let code = app.fresh_code(secret);
                self.post(
                    "/login/totp",
                    &[("_csrf", &pre), ("code", &code), ("next", "/")],
                )
                .await
            }
            None => a,
        }
    }
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
