//! Reading an import file: CSV (UTF-8 with or without BOM, else GB18030/GBK as
//! Chinese Excel writes it) or XLSX (first worksheet), into rows keyed by column.

mod csv_text;
mod grid;
mod rows;
#[cfg(test)]
mod tests;
mod xlsx;

use std::path::Path;

use zeroize::Zeroizing;

use self::csv_text::csv_grid;
pub use self::csv_text::decode_text;
use self::rows::build;
use self::xlsx::xlsx_grid;
use super::ImportError;
use super::ImportRow;
use super::columns::Field;

/// The kind of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Csv => "CSV",
            FileKind::Xlsx => "XLSX",
        }
    }
}

/// A file read into rows, not yet checked.
#[derive(Debug)]
pub struct ParsedFile {
    pub kind: FileKind,
    /// `UTF-8`, `UTF-8 (BOM)` or `GB18030` for CSV; `XLSX` for workbooks.
    pub encoding: &'static str,
    /// The columns the header named, in file order.
    pub columns: Vec<Field>,
    pub rows: Vec<ImportRow>,
}

impl ParsedFile {
    /// `CSV, GB18030` or `XLSX`.
    pub fn format(&self) -> String {
        match self.kind {
            FileKind::Csv => format!("CSV, {}", self.encoding),
            FileKind::Xlsx => "XLSX".to_string(),
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

/// Reads `path`; the kind comes from the content (a ZIP container is XLSX) and the
/// extension.
pub fn parse_file(path: &Path) -> Result<ParsedFile, ImportError> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
        ImportError::file(
            format!("cannot read {}: {e}", path.display()),
            format!("无法读取 {}：{e}", path.display()),
        )
    })?);
    parse_named(&bytes, &path.display().to_string())
}

/// Parses the content of a file called `name` (a path or an uploaded file's name): the
/// kind comes from the content (a ZIP container is XLSX) and the name's extension.
pub fn parse_named(bytes: &[u8], name: &str) -> Result<ParsedFile, ImportError> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let kind = if bytes.starts_with(ZIP_MAGIC) {
        FileKind::Xlsx
    } else if bytes.starts_with(OLE_MAGIC) || ext == "xls" {
        return Err(ImportError::file(
            "this is an old Excel .xls workbook: save it as .xlsx or as CSV and import that",
            "这是旧版 Excel .xls 工作簿：请另存为 .xlsx 或 CSV 后再导入。",
        ));
    } else if ext == "xlsx" || ext == "xlsm" {
        return Err(ImportError::file(
            format!("{name} is not an XLSX workbook (no ZIP container)"),
            format!("{name} 不是 XLSX 工作簿（不是 ZIP 格式）。"),
        ));
    } else {
        FileKind::Csv
    };
    parse_bytes(bytes, kind)
}

/// Parses file content of a known kind.
pub fn parse_bytes(bytes: &[u8], kind: FileKind) -> Result<ParsedFile, ImportError> {
    match kind {
        FileKind::Csv => {
            let (text, encoding) = decode_text(bytes)?;
            let grid = csv_grid(&text)?;
            build(kind, encoding, grid)
        }
        FileKind::Xlsx => build(kind, "XLSX", xlsx_grid(bytes)?),
    }
}
