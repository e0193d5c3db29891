//! The words for the vault's enums (platform, classification, status, version state).

use crate::vault::{AccountStatus, Classification, Platform, VersionState};
use crate::web::i18n::Tr;

pub fn platform(tr: Tr, p: Platform) -> &'static str {
    tr.t(&format!("platform.{}", p.as_str()))
}

pub fn classification(tr: Tr, c: Classification) -> &'static str {
    tr.t(&format!("classification.{}", c.as_str()))
}

pub fn status(tr: Tr, s: AccountStatus) -> &'static str {
    tr.t(&format!("account_status.{}", s.as_str()))
}

pub fn version_state(tr: Tr, s: VersionState) -> &'static str {
    tr.t(&format!("version_state.{}", s.as_str()))
}

/// A `<select>` option: value, label, selected.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    as_str: fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
    chosen: Option<T>,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: as_str(*v),
            label: label(*v),
            selected: chosen == Some(*v),
        })
        .collect()
}

pub fn platforms(tr: Tr, chosen: Option<Platform>) -> Vec<Choice> {
    choices(Platform::ALL, Platform::as_str, |p| platform(tr, p), chosen)
}

pub fn classifications(tr: Tr, chosen: Option<Classification>) -> Vec<Choice> {
    choices(
        Classification::ALL,
        Classification::as_str,
        |c| classification(tr, c),
        chosen,
    )
}

pub fn statuses(tr: Tr, chosen: Option<AccountStatus>) -> Vec<Choice> {
    choices(
        AccountStatus::ALL,
        AccountStatus::as_str,
        |s| status(tr, s),
        chosen,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    #[test]
    fn every_value_has_words_in_both_languages() {
        for lang in [Lang::ZhCn, Lang::En] {
            let tr = Tr(lang);
            for p in Platform::ALL {
                assert!(tr.has(&format!("platform.{}", p.as_str())), "{p:?}");
            }
            for c in Classification::ALL {
                assert!(tr.has(&format!("classification.{}", c.as_str())));
            }
            for s in AccountStatus::ALL {
                assert!(tr.has(&format!("account_status.{}", s.as_str())));
            }
            for s in VersionState::ALL {
                assert!(tr.has(&format!("version_state.{}", s.as_str())));
            }
        }
    }
}
