//! An import's row problems and warnings as the pages show them: the row number, the
//! column in the reader's words, and the service's sentence in the reader's language
//! (which never holds a password; a weak password's reasons worded by the console).

use super::strength_notes::sentences;
use crate::vault::import::RowIssue;
use crate::web::i18n::{Lang, Tr};

/// One line of a report's table.
pub struct Issue {
    pub row: usize,
    pub column: &'static str,
    pub message: String,
}

pub fn issues(tr: Tr, list: &[RowIssue]) -> Vec<Issue> {
    list.iter()
        .map(|i| Issue {
            row: i.row,
            column: match i.column {
                Some(f) => tr.t(&format!("import.col.{}", f.key())),
                None => tr.t("import.whole_row"),
            },
            message: sentence(tr, i),
        })
        .collect()
}

/// The service's English sentence, or on a zh-CN page its Chinese one followed by the
/// reasons of a weak password.
fn sentence(tr: Tr, i: &RowIssue) -> String {
    if tr.lang() != Lang::ZhCn || i.message_zh.is_empty() {
        return i.message.clone();
    }
    let mut out = i.message_zh.clone();
    for s in sentences(tr, &i.notes) {
        out.push_str(&s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::StrengthNote;
    use crate::vault::import::Field;

    #[test]
    fn every_column_has_words_and_help_in_both_languages() {
        for lang in [Lang::ZhCn, Lang::En] {
            let tr = Tr(lang);
            for f in Field::ALL {
                for area in ["import.col", "import.help"] {
                    let key = format!("{area}.{}", f.key());
                    assert!(tr.has(&key), "{key}");
                }
            }
        }
    }

    #[test]
    fn a_row_issue_names_its_row_and_column() {
        let list = [
            RowIssue::new(4, Some(Field::Platform), "unknown platform", "无法识别平台"),
            RowIssue::new(7, None, "a value under no header", "有内容但没有表头"),
        ];
        let shown = issues(Tr(Lang::En), &list);
        assert_eq!(shown[0].row, 4);
        assert_eq!(shown[0].column, Tr(Lang::En).t("import.col.platform"));
        assert_eq!(shown[1].column, Tr(Lang::En).t("import.whole_row"));
        assert_eq!(shown[1].message, "a value under no header");
        let shown = issues(Tr(Lang::ZhCn), &list);
        assert_eq!(shown[0].column, "平台");
        assert_eq!(shown[1].message, "有内容但没有表头");
    }

    #[test]
    fn a_weak_password_is_worded_with_its_reasons() {
        let mut weak = RowIssue::new(
            3,
            Some(Field::Password),
            "weak password, imported and flagged weak: use at least 12 characters (this one has 8)",
            "密码强度不足，导入后标记为弱口令：",
        );
        weak.notes = vec![StrengthNote::TooShort { min: 12, has: 8 }];
        let zh = &issues(Tr(Lang::ZhCn), std::slice::from_ref(&weak))[0].message;
        assert_eq!(
            zh,
            "密码强度不足，导入后标记为弱口令：密码至少 12 个字符（现为 8 个）。"
        );
        let en = &issues(Tr(Lang::En), &[weak.clone()])[0].message;
        assert_eq!(en, &weak.message);
    }
}
