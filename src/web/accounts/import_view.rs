//! An import's row problems and warnings as the pages show them: the row number, the
//! column in the reader's words, and the service's sentence (which never holds a
//! password).

use crate::vault::import::RowIssue;
use crate::web::i18n::Tr;

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
            message: i.message.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::import::Field;
    use crate::web::i18n::Lang;

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
            RowIssue {
                row: 4,
                column: Some(Field::Platform),
                message: "unknown platform".into(),
            },
            RowIssue {
                row: 7,
                column: None,
                message: "a value under no header".into(),
            },
        ];
        let shown = issues(Tr(Lang::En), &list);
        assert_eq!(shown[0].row, 4);
        assert_eq!(shown[0].column, Tr(Lang::En).t("import.col.platform"));
        assert_eq!(shown[1].column, Tr(Lang::En).t("import.whole_row"));
        assert_eq!(shown[1].message, "a value under no header");
    }
}
