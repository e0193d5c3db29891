//! CSV: decoding the text (UTF-8 with or without BOM, else GB18030/GBK as Chinese
//! Excel writes it) and reading its records into the grid.

use zeroize::Zeroizing;

use super::grid::{Cell, GridRow};
use crate::vault::import::ImportError;

/// UTF-8 (a BOM is dropped); otherwise GB18030, the superset of GBK and GB2312.
pub fn decode_text(bytes: &[u8]) -> Result<(Zeroizing<String>, &'static str), ImportError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::file(
            "the file is UTF-16 text (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" or \"CSV\" instead",
            "这是 UTF-16 文本（Excel 的“Unicode 文本”）：请另存为“CSV UTF-8”或“CSV”后再导入。",
        ));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((Zeroizing::new(s.to_string()), "UTF-8 (BOM)")),
            Err(e) => {
                let byte = e.valid_up_to() + 3;
                Err(ImportError::file(
                    format!(
                        "the file starts with a UTF-8 byte order mark but is not valid UTF-8 (byte {byte})"
                    ),
                    format!(
                        "文件以 UTF-8 字节顺序标记开头，但内容不是有效的 UTF-8（第 {byte} 字节）。"
                    ),
                ))
            }
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((Zeroizing::new(s.to_string()), "UTF-8"));
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(s) => Ok((Zeroizing::new(s.into_owned()), "GB18030")),
        None => Err(ImportError::file(
            "the file is neither UTF-8 nor GBK/GB18030 text: save it as \"CSV UTF-8\" and try again",
            "文件既不是 UTF-8 也不是 GBK/GB18030 文本：请另存为“CSV UTF-8”后再试。",
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
                let line = e.position().map(|p| p.line());
                let at = line.map(|l| format!(" near line {l}")).unwrap_or_default();
                let at_zh = line
                    .map(|l| format!("（第 {l} 行附近）"))
                    .unwrap_or_default();
                // The csv error text never quotes cell content.
                return Err(ImportError::file(
                    format!("the CSV cannot be read{at}: {e}"),
                    format!("CSV 文件无法读取{at_zh}：{e}"),
                ));
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
