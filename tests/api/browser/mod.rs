//! Browser scenarios: Debian's `chromium` driven through `chromedriver` (WebDriver) by
//! fantoccini, headless at 1366×768, against the app on port 0 with a fresh SQLite
//! database. Each scenario saves screenshots under `target/screenshots/` and fails on
//! any console error (a CSP violation shows up there too).
//!
//! `.ci/run` installs `chromium` and `chromium-driver`; without them these tests fail
//! (say `CREDGOV_SKIP_BROWSER=1` to skip them on a machine that has no browser).

mod accounts;
mod harness;
mod sign_in;

pub use harness::Browser;
