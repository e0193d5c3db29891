//! The circular as an Excel workbook: sheet 「通报」 with the title, a note on what the
//! figures mean, the frozen header and one row per ranked unit (numbers as numbers,
//! 整改完成率 as a percentage, veto rows filled red; landscape A4, one page wide), and
//! sheet 「未整改问题清单」 with every open finding (dates as Excel dates).

use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::data::{Circular, RULE_COLUMNS, headers};
use crate::calendar::Date;

/// The sheets' names.
pub const RANKING_SHEET: &str = "通报";
pub const FINDINGS_SHEET: &str = "未整改问题清单";
/// The fill of a failing (veto) unit's row.
pub const VETO_FILL: u32 = 0xFFC7CE;

/// Row of the ranking's header (title and note above it).
const HEADER_ROW: u32 = 2;
/// A4 in Excel's paper codes.
const A4: u8 = 9;
/// Columns of rule counts.
const RULE_COUNT: u16 = 8;
const _: () = assert!(RULE_COLUMNS.len() == RULE_COUNT as usize);

pub fn write(c: &Circular) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    ranking_sheet(book.add_worksheet(), c)?;
    findings_sheet(book.add_worksheet(), c)?;
    book.save_to_buffer()
}

fn cell() -> Format {
    Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
}

fn header() -> Format {
    cell()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_background_color(Color::RGB(0xD9D9D9))
}

fn ranking_sheet(ws: &mut Worksheet, c: &Circular) -> Result<(), XlsxError> {
    ws.set_name(RANKING_SHEET)?;
    let heads = headers();
    let last_col = u16::try_from(heads.len() - 1).unwrap_or(0);
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(0, 0, 0, last_col, &c.title(), &title)?;
    ws.set_row_height(0, 30)?;
    let note = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Left)
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(1, 0, 1, last_col, &c.note(), &note)?;
    ws.set_row_height(1, 36)?;
    let head = header();
    for (col, name) in (0u16..).zip(&heads) {
        ws.write_string_with_format(HEADER_ROW, col, *name, &head)?;
    }
    ws.set_row_height(HEADER_ROW, 30)?;
    ws.set_column_width(0, 28)?;
    for col in 1..=last_col {
        ws.set_column_width(col, 10)?;
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 1)?;
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    ws.set_landscape()
        .set_paper_size(A4)
        .set_print_fit_to_pages(1, 0);

    for (row, r) in (HEADER_ROW + 1..).zip(&c.rows) {
        let fill = |f: Format| {
            if r.veto {
                f.set_background_color(Color::RGB(VETO_FILL))
            } else {
                f
            }
        };
        let text = fill(cell());
        let int = fill(cell().set_num_format("0"));
        let score = fill(cell().set_num_format("0.0"));
        let percent = fill(cell().set_num_format("0.0%"));
        let centred = fill(cell().set_align(FormatAlign::Center));
        ws.write_string_with_format(row, 0, &r.name, &text)?;
        ws.write_number_with_format(row, 1, r.accounts as f64, &int)?;
        for (col, n) in (2u16..).zip(r.findings) {
            ws.write_number_with_format(row, col, n as f64, &int)?;
        }
        // After 单位, 账号数 and one column per rule.
        let col = 2 + RULE_COUNT;
        match r.rate() {
            Some(rate) => ws.write_number_with_format(row, col, rate, &percent)?,
            None => ws.write_string_with_format(row, col, "—", &centred)?,
        };
        ws.write_number_with_format(row, col + 1, r.score, &score)?;
        ws.write_number_with_format(row, col + 2, r.rank as f64, &int)?;
        ws.write_string_with_format(row, col + 3, r.veto_text(), &centred)?;
    }
    Ok(())
}

/// The finding sheet's columns; without account-level details, no 账号 and 平台.
fn finding_headers(account_details: bool) -> Vec<&'static str> {
    if account_details {
        vec![
            "单位",
            "账号",
            "平台",
            "问题",
            "严重程度",
            "发现日期",
            "整改期限",
        ]
    } else {
        vec!["单位", "问题", "严重程度", "发现日期", "整改期限"]
    }
}

fn findings_sheet(ws: &mut Worksheet, c: &Circular) -> Result<(), XlsxError> {
    ws.set_name(FINDINGS_SHEET)?;
    let heads = finding_headers(c.account_details);
    let head = header();
    for (col, name) in (0u16..).zip(&heads) {
        ws.write_string_with_format(0, col, *name, &head)?;
        ws.set_column_width(col, if col == 0 { 28 } else { 14 })?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_repeat_rows(0, 0)?;
    ws.set_landscape()
        .set_paper_size(A4)
        .set_print_fit_to_pages(1, 0);
    let text = cell();
    let date = cell().set_num_format("yyyy-mm-dd");
    for (row, f) in (1u32..).zip(&c.findings) {
        let mut col = 0u16;
        let mut put = |ws: &mut Worksheet, value: &str| {
            let r = ws
                .write_string_with_format(row, col, value, &text)
                .map(|_| ());
            col += 1;
            r
        };
        put(ws, &f.unit_name)?;
        if c.account_details {
            put(ws, f.account.as_deref().unwrap_or(""))?;
            put(ws, f.platform.as_deref().unwrap_or(""))?;
        }
        put(ws, f.problem)?;
        put(ws, f.severity)?;
        ws.write_datetime_with_format(row, col, excel_date(f.first_seen)?, &date)?;
        match f.deadline_at {
            Some(d) => ws.write_datetime_with_format(row, col + 1, excel_date(d)?, &date)?,
            None => ws.write_string_with_format(row, col + 1, "", &text)?,
        };
    }
    if c.findings_truncated {
        let row = u32::try_from(c.findings.len()).unwrap_or(u32::MAX - 1) + 1;
        ws.write_string(
            row,
            0,
            format!("（仅列出前 {} 条）", super::findings::MAX_LINES),
        )?;
    }
    Ok(())
}

/// The China date of a stored time as an Excel date.
fn excel_date(ms: i64) -> Result<ExcelDateTime, XlsxError> {
    let (y, m, d) = Date::in_china(ms).ymd();
    let year = u16::try_from(y).map_err(|_| XlsxError::DateTimeRangeError(y.to_string()))?;
    let small = |v: u32| u8::try_from(v).unwrap_or(1);
    ExcelDateTime::from_ymd(year, small(m), small(d))
}
