//! The console's static files, embedded in the binary (nothing from a CDN: the
//! intranets are offline). Each is served under a name carrying a hash of its bytes
//! (`/assets/app.3f2a9c1e.css`), so a browser may keep it for a year and still never
//! runs an old script against a new page.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    /// The hashed name it is served under.
    name: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

/// The URLs pages link to.
pub struct AssetUrls {
    pub css: String,
    pub htmx: String,
    pub app_js: String,
    pub favicon: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        asset(
            "app",
            "css",
            include_bytes!("assets/app.css"),
            "text/css; charset=utf-8",
        ),
        // htmx 2.0.11 (npm htmx.org, BSD-0-Clause), unmodified: see assets/README.md.
        asset(
            "htmx-2.0.11",
            "js",
            include_bytes!("assets/htmx-2.0.11.min.js"),
            "text/javascript; charset=utf-8",
        ),
        asset(
            "app",
            "js",
            include_bytes!("assets/app.js"),
            "text/javascript; charset=utf-8",
        ),
        asset(
            "favicon",
            "svg",
            include_bytes!("assets/favicon.svg"),
            "image/svg+xml",
        ),
    ]
});

pub static URLS: LazyLock<AssetUrls> = LazyLock::new(|| AssetUrls {
    css: format!("/assets/{}", ASSETS[0].name),
    htmx: format!("/assets/{}", ASSETS[1].name),
    app_js: format!("/assets/{}", ASSETS[2].name),
    favicon: format!("/assets/{}", ASSETS[3].name),
});

fn asset(stem: &str, ext: &str, bytes: &'static [u8], content_type: &'static str) -> Asset {
    let digest = Sha256::digest(bytes);
    Asset {
        name: format!("{stem}.{}.{ext}", hex::encode(&digest[..4])),
        bytes,
        content_type,
    }
}

/// `GET /assets/{name}`: the file, cached for a year (its name changes with its bytes).
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        a.bytes,
    )
        .into_response()
}

/// `GET /favicon.ico` (asked for by browsers whatever the page links): the icon.
pub async fn favicon() -> Response {
    let a = &ASSETS[3];
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(a.content_type),
        )],
        a.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_a_hash_of_the_bytes() {
        assert!(URLS.css.starts_with("/assets/app.") && URLS.css.ends_with(".css"));
        assert!(URLS.htmx.starts_with("/assets/htmx-2.0.11."));
        assert_ne!(
            asset("a", "js", b"1", "x").name,
            asset("a", "js", b"2", "x").name
        );
    }
}
