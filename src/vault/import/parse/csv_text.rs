//! CSV: decoding the text (UTF-8 with or without BOM, else GB18030/GBK as Chinese
//! Excel writes it) and reading its records into the grid.

use zeroize::Zeroizing;

use super::grid::{Cell, GridRow};
use crate::vault::import::ImportError;

/// UTF-8 (a BOM is dropped); otherwise GB18030, the superset of GBK and GB2312.
pub fn decode_text(bytes: &[u8]) -> Result<(Zeroizing<String>, &'static str), ImportError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::File(
            "the file is UTF-16 text (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" or \"CSV\" instead"
                .into(),
        ));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((Zeroizing::new(s.to_string()), "UTF-8 (BOM)")),
            Err(e) => Err(ImportError::File(format!(
                "the file starts with a UTF-8 byte order mark but is not valid UTF-8 (byte {})",
                e.valid_up_to() + 3
            ))),
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((Zeroizing::new(s.to_string()), "UTF-8"));
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(s) => Ok((Zeroizing::new(s.into_owned()), "GB18030")),
        None => Err(ImportError::File(
            "the file is neither UTF-8 nor GBK/GB18030 text: save it as \"CSV UTF-8\" and try again"
                .into(),
        )),
    }
}

/// Records of a CSV text. Row numbers count as a spreadsheet shows them: a quoted
/// cell spanning lines is one row, an empty line is a row.
pub(super) fn csv_grid(text: &str) -> Result<Vec<GridRow>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut embedded_newlines: u64 = 0;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e
                    .position()
                    .map(|p| format!(" near line {}", p.line()))
                    .unwrap_or_default();
                // The csv error text never quotes cell content.
                return Err(ImportError::File(format!(
                    "the CSV cannot be read{at}: {e}"
                )));
            }
        }
        // The reader now stands after the record (and its line break, if consumed):
        // the record's last physical line, less every line break inside cells so far,
        // is its spreadsheet row. Skipped empty lines still count.
        let end = reader.position();
        let ends_line = usize::try_from(end.byte())
            .ok()
            .and_then(|b| b.checked_sub(1))
            .and_then(|b| text.as_bytes().get(b))
            == Some(&b'\n');
        let last_line = end.line().saturating_sub(u64::from(ends_line));
        embedded_newlines += record
            .iter()
            .map(|s| s.bytes().filter(|b| *b == b'\n').count() as u64)
            .sum::<u64>();
        let row = last_line.saturating_sub(embedded_newlines).max(1);
        let cells: Vec<Cell> = record
            .iter()
            .map(|s| Cell::Text(Zeroizing::new(s.to_string())))
            .collect();
        out.push(GridRow {
            row: usize::try_from(row).unwrap_or(usize::MAX),
            cells,
        });
        record.clear();
    }
    Ok(out)
}
