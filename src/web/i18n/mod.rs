//! The console's words in zh-CN (the default) and English. Every key lives in both
//! catalogues (a unit test checks it, and that every key the pages use exists); a page
//! asks `tr.t(KEY)`. The language is the signed-in person's saved choice (their
//! notification language, `notify_prefs.lang`), else `?lang=` / the `cg_lang` cookie,
//! else the browser's `Accept-Language`, else zh-CN.

mod en;
#[cfg(test)]
mod error_codes;
mod zh;

use std::collections::HashMap;
use std::sync::LazyLock;

pub use crate::notify::kinds::Lang;

static ZH: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| all(zh::PARTS).collect());
static EN: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| all(en::PARTS).collect());

fn all(
    parts: &'static [&'static [(&'static str, &'static str)]],
) -> impl Iterator<Item = (&'static str, &'static str)> {
    parts.iter().flat_map(|p| p.iter().copied())
}

/// The words of one language, handed to every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text of `key`; the key itself when missing (never in a tested build).
    pub fn t(&self, key: &str) -> &'static str {
        let table = match self.0 {
            Lang::ZhCn => &*ZH,
            Lang::En => &*EN,
        };
        match table.get_key_value(key) {
            Some((_, v)) => v,
            None => {
                tracing::warn!(key, "missing console text");
                "?"
            }
        }
    }

    /// Whether `key` is in the catalogue.
    pub fn has(&self, key: &str) -> bool {
        ZH.contains_key(key)
    }

    /// `key` with each `{name}` replaced by its value.
    pub fn f<'a>(&self, key: &str, args: impl AsRef<[(&'a str, &'a str)]>) -> String {
        let mut out = self.t(key).to_string();
        for (name, value) in args.as_ref() {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// The `lang` attribute of the page.
    pub fn html_lang(&self) -> &'static str {
        self.0.as_str()
    }

    /// The other language, for the switch.
    pub fn other(&self) -> Lang {
        match self.0 {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    pub fn lang(&self) -> Lang {
        self.0
    }
}

/// The language an `Accept-Language` header prefers among ours (zh-CN when it names
/// neither or cannot be read).
pub fn from_accept_language(header: &str) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut bits = part.split(';');
        let tag = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = bits
            .find_map(|b| {
                b.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag.starts_with("zh") {
            Lang::ZhCn
        } else if tag.starts_with("en") {
            Lang::En
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::ZhCn, |(_, l)| l)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn keys(parts: &'static [&'static [(&'static str, &'static str)]]) -> BTreeSet<&'static str> {
        all(parts).map(|(k, _)| k).collect()
    }

    #[test]
    fn both_catalogues_have_the_same_keys_and_no_duplicates() {
        let zh = keys(zh::PARTS);
        let en = keys(en::PARTS);
        assert_eq!(
            zh.len(),
            all(zh::PARTS).count(),
            "a key is listed twice in zh"
        );
        assert_eq!(
            en.len(),
            all(en::PARTS).count(),
            "a key is listed twice in en"
        );
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "missing in en: {only_zh:?}");
        assert!(only_en.is_empty(), "missing in zh: {only_en:?}");
        for (k, v) in all(zh::PARTS).chain(all(en::PARTS)) {
            assert!(!v.trim().is_empty(), "{k} is empty");
        }
    }

    /// Every `t("…")` / `f("…"` in the console's templates and code names a key.
    #[test]
    fn every_key_the_pages_use_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut used = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "html" || e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for pattern in [".t(\"", ".f(\"", "key: \""] {
                        for (i, _) in text.match_indices(pattern) {
                            let rest = &text[i + pattern.len()..];
                            if let Some(end) = rest.find('"') {
                                used.insert((path.clone(), rest[..end].to_string()));
                            }
                        }
                    }
                }
            }
        }
        assert!(
            used.len() > 20,
            "the scan found too few keys: {}",
            used.len()
        );
        let zh = keys(zh::PARTS);
        let missing: Vec<_> = used
            .iter()
            .filter(|(_, k)| !k.contains('{') && !zh.contains(k.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogues: {missing:?}"
        );
    }

    #[test]
    fn accept_language_picks_the_preferred_of_ours() {
        assert_eq!(from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(from_accept_language("fr-FR, en;q=0.5"), Lang::En);
        assert_eq!(from_accept_language("de"), Lang::ZhCn);
        assert_eq!(from_accept_language(""), Lang::ZhCn);
        assert_eq!(from_accept_language("zh;q=0.2, en;q=0.7"), Lang::En);
    }

    #[test]
    fn placeholders_are_filled() {
        let tr = Tr(Lang::En);
        assert_eq!(
            tr.f("session.expires_in", [("time", "04:59")]),
            "Signed out in 04:59 if idle"
        );
    }
}
