//! XLSX: the first worksheet of a workbook into the grid, each cell as the text a
//! person sees.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use zeroize::Zeroizing;

use super::grid::{Cell, GridRow};
use crate::vault::import::ImportError;

/// The first worksheet of an XLSX workbook.
pub(super) fn xlsx_grid(bytes: &[u8]) -> Result<Vec<GridRow>, ImportError> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        ImportError::file(
            format!("the XLSX workbook cannot be opened: {e}"),
            format!("XLSX 工作簿无法打开：{e}"),
        )
    })?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            return Err(ImportError::file(
                format!("the first worksheet cannot be read: {e}"),
                format!("第一个工作表无法读取：{e}"),
            ));
        }
        None => {
            return Err(ImportError::file(
                "the workbook has no worksheet",
                "工作簿中没有工作表。",
            ));
        }
    };
    let Some((first_row, first_col)) = range.start() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        // Absolute columns: pad the cells left of the range's first column.
        let mut row_cells: Vec<Cell> = (0..first_col)
            .map(|_| Cell::Text(Zeroizing::new(String::new())))
            .collect();
        row_cells.extend(cells.iter().map(xlsx_cell));
        out.push(GridRow {
            row: first_row as usize + i + 1,
            cells: row_cells,
        });
    }
    Ok(out)
}

/// A cell as the text a person sees: whole numbers without decimals or exponent (a
/// phone number stays `13800000000`), dates as `YYYY-MM-DD[ HH:MM:SS]`.
pub(super) fn xlsx_cell(d: &Data) -> Cell {
    let text = match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, mo, day, h, mi, s, _) = dt.to_ymd_hms_milli();
                if (h, mi, s) == (0, 0, 0) {
                    format!("{y:04}-{mo:02}-{day:02}")
                } else {
                    format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{s:02}")
                }
            } else {
                float_text(dt.as_f64())
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Cell::Bad(e.to_string()),
    };
    Cell::Text(Zeroizing::new(text))
}

pub(super) fn float_text(f: f64) -> String {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.is_finite() && f.fract() == 0.0 && f.abs() < EXACT {
        format!("{}", f as i64)
    } else {
        // Rust prints the shortest text that reads back to the same number, never
        // in exponent form.
        format!("{f}")
    }
}
