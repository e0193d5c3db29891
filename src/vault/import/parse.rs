//! Reading an import file: CSV (UTF-8 with or without BOM, else GB18030/GBK as
//! Chinese Excel writes it) or XLSX (first worksheet), into rows keyed by column.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use zeroize::Zeroizing;

use super::columns::{Field, column_letter, known_columns};
use super::{ImportError, ImportRow};

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
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| ImportError::File(format!("cannot read {}: {e}", path.display())))?,
    );
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let kind = if bytes.starts_with(ZIP_MAGIC) {
        FileKind::Xlsx
    } else if bytes.starts_with(OLE_MAGIC) || ext == "xls" {
        return Err(ImportError::File(
            "this is an old Excel .xls workbook: save it as .xlsx or as CSV and import that".into(),
        ));
    } else if ext == "xlsx" || ext == "xlsm" {
        return Err(ImportError::File(format!(
            "{} is not an XLSX workbook (no ZIP container)",
            path.display()
        )));
    } else {
        FileKind::Csv
    };
    parse_bytes(&bytes, kind)
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

/// One row of cells with its spreadsheet row number.
struct GridRow {
    row: usize,
    cells: Vec<Cell>,
}

enum Cell {
    Text(Zeroizing<String>),
    /// A cell that holds no usable value (an Excel error such as `#N/A`).
    Bad(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Text(s) => s.trim().is_empty(),
            Cell::Bad(_) => false,
        }
    }
}

/// Records of a CSV text. Row numbers count as a spreadsheet shows them: a quoted
/// cell spanning lines is one row, an empty line is a row.
fn csv_grid(text: &str) -> Result<Vec<GridRow>, ImportError> {
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

/// The first worksheet of an XLSX workbook.
fn xlsx_grid(bytes: &[u8]) -> Result<Vec<GridRow>, ImportError> {
    let mut book = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ImportError::File(format!("the XLSX workbook cannot be opened: {e}")))?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            return Err(ImportError::File(format!(
                "the first worksheet cannot be read: {e}"
            )));
        }
        None => return Err(ImportError::File("the workbook has no worksheet".into())),
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
fn xlsx_cell(d: &Data) -> Cell {
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
        Data::Error(e) => return Cell::Bad(format!("the cell holds the Excel error {e}")),
    };
    Cell::Text(Zeroizing::new(text))
}

fn float_text(f: f64) -> String {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.is_finite() && f.fract() == 0.0 && f.abs() < EXACT {
        format!("{}", f as i64)
    } else {
        // Rust prints the shortest text that reads back to the same number, never
        // in exponent form.
        format!("{f}")
    }
}

/// One non-empty cell that names no column.
fn is_title(row: &GridRow) -> bool {
    let mut filled = row.cells.iter().filter(|c| !c.is_blank());
    match (filled.next(), filled.next()) {
        (Some(Cell::Text(t)), None) => Field::from_header(t).is_none(),
        _ => false,
    }
}

/// Header row → column map; every later non-blank row → an `ImportRow`.
fn build(
    kind: FileKind,
    encoding: &'static str,
    grid: Vec<GridRow>,
) -> Result<ParsedFile, ImportError> {
    let mut rows = grid
        .into_iter()
        .filter(|r| !r.cells.iter().all(Cell::is_blank));
    let Some(mut header) = rows.next() else {
        return Err(ImportError::File(format!(
            "the file is empty: the first row must be the header ({})",
            known_columns()
        )));
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
                )),
                (Some(f), Cell::Bad(m)) => item.cell_problems.push((Some(f), m)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> ParsedFile {
        parse_bytes(text.as_bytes(), FileKind::Csv).unwrap()
    }

    #[test]
    fn chinese_and_english_headers_map_to_fields() {
        let p = csv(
            "名称,平台,登录名,密码,级别,备注\n区政府公众号,微信公众号,gov@qq.com,Pw-1,核心,\"a, b\"\n",
        );
        assert_eq!(p.encoding, "UTF-8");
        assert_eq!(p.rows.len(), 1);
        let r = &p.rows[0];
        assert_eq!(r.row, 2);
        assert_eq!(r.name, "区政府公众号");
        assert_eq!(r.platform, "微信公众号");
        assert_eq!(r.password.as_str(), "Pw-1");
        assert_eq!(r.classification, "核心");
        assert_eq!(r.notes, "a, b");
        let p = csv("Name , PLATFORM,Login Name,password\nx,weibo,y,z\n");
        assert_eq!(
            p.columns,
            vec![
                Field::Name,
                Field::Platform,
                Field::LoginName,
                Field::Password
            ]
        );
    }

    #[test]
    fn missing_unknown_and_duplicate_columns_are_one_error() {
        let e =
            parse_bytes("名称,登录名,口令,名称\nx,y,z,w\n".as_bytes(), FileKind::Csv).unwrap_err();
        let ImportError::Columns {
            missing,
            unknown,
            duplicate,
            header_row,
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*header_row, 1);
        assert_eq!(missing, &vec![Field::Platform, Field::Password]);
        assert_eq!(unknown, &vec!["口令 (C)".to_string()]);
        assert_eq!(duplicate, &vec!["名称 (D)".to_string()]);
        let msg = e.to_string();
        assert!(
            msg.contains("平台/platform") && msg.contains("密码/password"),
            "{msg}"
        );
        assert!(msg.contains("known columns"), "{msg}");
    }

    #[test]
    fn bom_and_gb18030_are_detected() {
        let text = "名称,平台,登录名,密码\n区政府微博,微博,13800000000,Pw\n";
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        let p = parse_bytes(&bom, FileKind::Csv).unwrap();
        assert_eq!(p.encoding, "UTF-8 (BOM)");
        assert_eq!(
            p.columns[0],
            Field::Name,
            "the BOM is not part of the first header"
        );
        let (gbk, _, bad) = encoding_rs::GBK.encode(text);
        assert!(!bad);
        assert!(std::str::from_utf8(&gbk).is_err());
        let p = parse_bytes(&gbk, FileKind::Csv).unwrap();
        assert_eq!(p.encoding, "GB18030");
        assert_eq!(p.rows[0].name, "区政府微博");
        assert_eq!(p.rows[0].platform, "微博");
        assert_eq!(p.format(), "CSV, GB18030");
        // Neither UTF-8 nor GB18030 (0x80 alone is not a GB18030 lead byte; 0xFF never is).
        assert!(matches!(
            decode_text(&[b'a', 0xFF, 0xFF]),
            Err(ImportError::File(_))
        ));
        assert!(matches!(
            decode_text(&[0xFF, 0xFE, b'a', 0]),
            Err(ImportError::File(_))
        ));
    }

    #[test]
    fn row_numbers_count_like_a_spreadsheet() {
        let p = csv("name,platform,login_name,password,notes\n\
                     a,weibo,x,p,\"two\nlines\"\n\
                     \n\
                     b,weibo,y,q,\n\
                     ,,,,\n\
                     c,weibo,z,r,\r\n");
        let rows: Vec<(usize, &str)> = p.rows.iter().map(|r| (r.row, r.name.as_str())).collect();
        assert_eq!(rows, vec![(2, "a"), (4, "b"), (6, "c")]);
        assert_eq!(p.rows[0].notes, "two\nlines");
        // Windows line ends throughout, a cell with a line break, no final line end.
        let p = csv("name,platform,login_name,password,notes\r\n\
                     a,weibo,x,p,\"two\r\nlines\"\r\n\
                     \r\n\
                     b,weibo,y,q,\r\n\
                     c,weibo,z,r,");
        let rows: Vec<(usize, &str)> = p.rows.iter().map(|r| (r.row, r.name.as_str())).collect();
        assert_eq!(rows, vec![(2, "a"), (4, "b"), (5, "c")]);
    }

    #[test]
    fn a_title_row_above_the_header_is_skipped() {
        let p = csv("区网信办账号清单,,,\nname,platform,login_name,password\na,weibo,x,p\n");
        assert_eq!(p.rows.len(), 1);
        assert_eq!((p.rows[0].row, p.rows[0].name.as_str()), (3, "a"));
        let p = csv("sep=,\nname,platform,login_name,password\na,weibo,x,p\n");
        assert_eq!(p.rows[0].row, 3);
        // A one-column header is still a header (and then misses columns).
        let e = parse_bytes(b"name\na\n", FileKind::Csv).unwrap_err();
        assert!(
            matches!(e, ImportError::Columns { header_row: 1, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn cells_without_header_are_reported_and_empty_ones_ignored() {
        let p = csv("name,platform,login_name,password,\na,weibo,x,p,\nb,weibo,y,q,oops\n");
        assert!(p.rows[0].cell_problems.is_empty());
        assert_eq!(p.rows[1].cell_problems.len(), 1);
        assert!(p.rows[1].cell_problems[0].1.contains("column E"));
        // More cells than the header.
        let p = csv("name,platform,login_name,password\na,weibo,x,p,extra\n");
        assert_eq!(p.rows[0].cell_problems.len(), 1);
    }

    #[test]
    fn passwords_are_kept_verbatim_other_cells_trimmed() {
        let p = csv("name,platform,login_name,password\n a ,weibo, x ,\" p w \"\n");
        assert_eq!(p.rows[0].name, "a");
        assert_eq!(p.rows[0].login_name, "x");
        assert_eq!(p.rows[0].password.as_str(), " p w ");
        let shown = format!("{p:?}");
        assert!(
            !shown.contains(" p w "),
            "Debug never shows a password: {shown}"
        );
        assert!(shown.contains("[redacted]") && shown.contains("login_name: \"x\""));
    }

    #[test]
    fn empty_file_and_header_only() {
        assert!(matches!(
            parse_bytes(b"", FileKind::Csv),
            Err(ImportError::File(_))
        ));
        let p = csv("name,platform,login_name,password\n");
        assert!(p.rows.is_empty());
    }

    #[test]
    fn numbers_from_xlsx_keep_their_digits() {
        assert_eq!(float_text(13_800_000_000.0), "13800000000");
        assert_eq!(float_text(123456.0), "123456");
        assert_eq!(float_text(0.5), "0.5");
        assert_eq!(float_text(-7.0), "-7");
        assert!(
            matches!(xlsx_cell(&Data::Float(1.38e10)), Cell::Text(s) if s.as_str() == "13800000000")
        );
        assert!(matches!(xlsx_cell(&Data::Int(42)), Cell::Text(s) if s.as_str() == "42"));
        assert!(matches!(
            xlsx_cell(&Data::Error(calamine::CellErrorType::NA)),
            Cell::Bad(_)
        ));
    }

    #[test]
    fn not_a_workbook() {
        assert!(matches!(
            parse_bytes(b"PK\x03\x04garbage", FileKind::Xlsx),
            Err(ImportError::File(_))
        ));
    }
}
