//! One headless Chromium per scenario, with its own chromedriver on a free port.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Browser {
    pub client: Client,
    pub base: String,
    scenario: String,
    shots: u32,
    driver: Child,
}

/// `POST /session/{id}/se/log {"type":"browser"}`: chromedriver's console log.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// A browser for `scenario` pointed at `base`; `None` when browsers are skipped.
    pub async fn start(scenario: &str, base: &str, lang: &str) -> Option<Browser> {
        if std::env::var("CREDGOV_SKIP_BROWSER").is_ok_and(|v| v == "1") {
            eprintln!("browser scenario {scenario} skipped (CREDGOV_SKIP_BROWSER=1)");
            return None;
        }
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "browser tests need Debian's chromium and chromium-driver \
             (apt-get install chromium chromium-driver), or CREDGOV_SKIP_BROWSER=1"
        );
        // fantoccini's client speaks rustls; the process picks ring (as sqlx does).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1366,768", format!("--lang={lang}"),
                         "--no-first-run", "--disable-extensions"],
                "prefs": { "intl.accept_languages": lang },
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("chromedriver answers within 10 s");
        Some(Browser {
            client,
            base: base.to_string(),
            scenario: scenario.to_string(),
            shots: 0,
            driver,
        })
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    /// The path (and query) of the page shown now.
    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.expect("url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// Waits up to 5 s for the page's path (and query) to contain `part`: a click on a
    /// link or a submit button returns before the browser has navigated. Returns the
    /// path then, or the last one seen.
    pub async fn wait_for_path(&self, part: &str) -> String {
        let mut path = self.path().await;
        for _ in 0..50 {
            if path.contains(part) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            path = self.path().await;
        }
        path
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.wait(css).await;
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.wait(css).await.click().await.expect("click");
    }

    /// The element `css`, waiting up to 5 s for it.
    pub async fn wait(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(5))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear on {}: {e}", self.base))
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait(css).await.text().await.expect("text")
    }

    /// The text of `css` now, or None when it is not on the page or was replaced
    /// between finding and reading it (a page re-rendering while a test polls it).
    pub async fn text_now(&self, css: &str) -> Option<String> {
        let e = self.client.find(Locator::Css(css)).await.ok()?;
        e.text().await.ok()
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// The whole page's source.
    pub async fn source(&self) -> String {
        self.client.source().await.expect("source")
    }

    /// Saves `target/screenshots/<scenario>-<n>-<name>.png`.
    pub async fn shot(&mut self, name: &str) {
        self.shots += 1;
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots folder");
        let file = dir.join(format!("{}-{:02}-{name}.png", self.scenario, self.shots));
        std::fs::write(file, png).expect("screenshot saved");
    }

    /// The console messages of level SEVERE since the last call (errors, CSP reports).
    pub async fn console_errors(&self) -> Vec<String> {
        let v: Value = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("browser log");
        v.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Fails when the console logged an error.
    pub async fn assert_no_console_errors(&self) {
        let errors = self.console_errors().await;
        assert!(
            errors.is_empty(),
            "console errors in {}: {errors:#?}",
            self.scenario
        );
    }

    /// Drains the console, allowing only the browser's own note that the page just
    /// shown answered with one of `statuses` (a wrong code is a 401 page on purpose).
    pub async fn allow_status_pages(&self, statuses: &[u16]) {
        let errors = self.console_errors().await;
        let unexpected: Vec<&String> = errors
            .iter()
            .filter(|e| {
                !statuses.iter().any(|s| {
                    e.contains("Failed to load resource") && e.contains(&format!("status of {s} "))
                })
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "console errors in {}: {unexpected:#?}",
            self.scenario
        );
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
