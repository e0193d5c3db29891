//! Mapping the grid to import rows: the header row (after an optional title) names
//! the columns; every later non-blank row becomes an `ImportRow`.

use super::grid::{Cell, GridRow};
use super::{FileKind, ParsedFile};
use crate::vault::import::columns::{Field, column_letter, known_columns, known_columns_zh};
use crate::vault::import::{ImportError, ImportRow};

/// One non-empty cell that names no column.
fn is_title(row: &GridRow) -> bool {
    let mut filled = row.cells.iter().filter(|c| !c.is_blank());
    match (filled.next(), filled.next()) {
        (Some(Cell::Text(t)), None) => Field::from_header(t).is_none(),
        _ => false,
    }
}

/// Header row → column map; every later non-blank row → an `ImportRow`.
pub(super) fn build(
    kind: FileKind,
    encoding: &'static str,
    grid: Vec<GridRow>,
) -> Result<ParsedFile, ImportError> {
    let mut rows = grid
        .into_iter()
        .filter(|r| !r.cells.iter().all(Cell::is_blank));
    let Some(mut header) = rows.next() else {
        return Err(ImportError::file(
            format!(
                "the file is empty: the first row must be the header ({})",
                known_columns()
            ),
            format!("文件是空的：第一行须为表头（{}）。", known_columns_zh()),
        ));
    };
    // A title above the header (one cell such as 「区网信办账号清单」, or Excel's
    // `sep=,` line) is skipped; a real header has several cells.
    while is_title(&header) {
        match rows.next() {
            Some(next) => header = next,
            None => break,
        }
    }
    let mut map: Vec<Option<Field>> = Vec::with_capacity(header.cells.len());
    let mut unknown = Vec::new();
    let mut duplicate = Vec::new();
    let mut columns = Vec::new();
    for (i, cell) in header.cells.iter().enumerate() {
        let text = match cell {
            Cell::Text(s) => s.trim().to_string(),
            Cell::Bad(_) => format!("(error in {})", column_letter(i)),
        };
        if text.is_empty() {
            map.push(None);
            continue;
        }
        match Field::from_header(&text) {
            Some(f) if columns.contains(&f) => {
                duplicate.push(format!("{text} ({})", column_letter(i)));
                map.push(None);
            }
            Some(f) => {
                columns.push(f);
                map.push(Some(f));
            }
            None => {
                unknown.push(format!("{text} ({})", column_letter(i)));
                map.push(None);
            }
        }
    }
    let missing: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| f.required() && !columns.contains(f))
        .collect();
    if !missing.is_empty() || !unknown.is_empty() || !duplicate.is_empty() {
        return Err(ImportError::Columns {
            header_row: header.row,
            missing,
            unknown,
            duplicate,
        });
    }
    let mut out = Vec::new();
    for r in rows {
        let mut item = ImportRow {
            row: r.row,
            ..ImportRow::default()
        };
        for (i, cell) in r.cells.into_iter().enumerate() {
            let field = map.get(i).copied().flatten();
            match (field, cell) {
                (None, c) if c.is_blank() => {}
                (None, _) => item.cell_problems.push((
                    None,
                    format!(
                        "column {} has a value but no header; add a header ({}) or clear the column",
                        column_letter(i),
                        known_columns()
                    ),
                    format!(
                        "第 {} 列有内容但没有表头：请补上表头（{}），或清空该列。",
                        column_letter(i),
                        known_columns_zh()
                    ),
                )),
                (Some(f), Cell::Bad(e)) => item.cell_problems.push((
                    Some(f),
                    format!("the cell holds the Excel error {e}"),
                    format!("该单元格是 Excel 错误值 {e}，请填写实际内容。"),
                )),
                (Some(f), Cell::Text(s)) => item.set(f, s),
            }
        }
        out.push(item);
    }
    Ok(ParsedFile {
        kind,
        encoding,
        columns,
        rows: out,
    })
}
