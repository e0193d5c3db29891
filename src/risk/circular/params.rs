//! What a circular is asked for: a period of China dates (`from` ≤ `to`, at most 366
//! days) and a file format; both checked the same way for the API and the CLI.

use serde::Deserialize;

use crate::calendar::{DAY_MS, Date};
use crate::error::InputError;
use crate::text::field_zh;

/// The longest period one circular covers, in days (a leap year).
pub const MAX_DAYS: i64 = 366;

/// The file a circular is written as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CircularFormat {
    /// An Excel workbook: the ranking and the list of open findings.
    #[default]
    Xlsx,
    /// The ranking as CSV (UTF-8 with BOM, CRLF), for Excel on Chinese Windows.
    Csv,
    /// The ranking as a printable A4 page.
    Html,
}

impl CircularFormat {
    pub const ALL: [CircularFormat; 3] = [
        CircularFormat::Xlsx,
        CircularFormat::Csv,
        CircularFormat::Html,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            CircularFormat::Xlsx => "xlsx",
            CircularFormat::Csv => "csv",
            CircularFormat::Html => "html",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            CircularFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            CircularFormat::Csv => "text/csv; charset=utf-8",
            CircularFormat::Html => "text/html; charset=utf-8",
        }
    }

    /// `xlsx`, `csv` or `html` (any case; `htm` too).
    pub fn parse(text: &str) -> Option<CircularFormat> {
        let lower = text.to_ascii_lowercase();
        if lower == "htm" {
            return Some(CircularFormat::Html);
        }
        CircularFormat::ALL
            .into_iter()
            .find(|f| f.extension() == lower)
    }
}

/// The days a circular covers, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// Checks `from` and `to` (`YYYY-MM-DD`): each a real date, `from` ≤ `to`, at most
    /// [`MAX_DAYS`] days. 422 `invalid_input` naming the field otherwise.
    pub fn parse(from: &str, to: &str) -> Result<Period, InputError> {
        let date = |field: &str, text: &str| {
            Date::parse(text).ok_or_else(|| {
                InputError::field(
                    field,
                    format!("{field} must be a date written YYYY-MM-DD, e.g. 2026-11-01"),
                )
                .zh(format!(
                    "{}须为 年-月-日 格式的日期，例如 2026-11-01。",
                    field_zh(field)
                ))
            })
        };
        let period = Period {
            from: date("from", from)?,
            to: date("to", to)?,
        };
        if period.from > period.to {
            return Err(InputError::field("to", "to must not be before from")
                .zh("结束日期不能早于开始日期。"));
        }
        if period.days() > MAX_DAYS {
            return Err(InputError::field(
                "to",
                format!("a circular covers at most {MAX_DAYS} days"),
            )
            .zh(format!("一份通报最多覆盖 {MAX_DAYS} 天，请缩短时间段。")));
        }
        Ok(period)
    }

    /// Days covered, both ends included.
    pub fn days(self) -> i64 {
        (self.to.midnight_in_china() - self.from.midnight_in_china()) / DAY_MS + 1
    }

    /// 00:00 Beijing time on `from` (unix ms).
    pub fn start_ms(self) -> i64 {
        self.from.midnight_in_china()
    }

    /// 00:00 Beijing time on the day after `to` (unix ms): the period ends before it.
    pub fn end_ms(self) -> i64 {
        self.to.succ().midnight_in_china()
    }

    /// The months the period touches, as a circular's title says them: `2026年11月`,
    /// `2026年10月至11月`, `2025年12月至2026年1月`.
    pub fn months_zh(self) -> String {
        let (fy, fm, _) = self.from.ymd();
        let (ty, tm, _) = self.to.ymd();
        if (fy, fm) == (ty, tm) {
            format!("{fy}年{fm}月")
        } else if fy == ty {
            format!("{fy}年{fm}月至{tm}月")
        } else {
            format!("{fy}年{fm}月至{ty}年{tm}月")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_checked_and_named_by_their_months() {
        let p = Period::parse("2026-11-01", "2026-11-30").unwrap();
        assert_eq!(p.days(), 30);
        assert_eq!(p.months_zh(), "2026年11月");
        assert_eq!(p.end_ms() - p.start_ms(), 30 * DAY_MS);
        assert_eq!(
            Period::parse("2026-10-15", "2026-11-14")
                .unwrap()
                .months_zh(),
            "2026年10月至11月"
        );
        assert_eq!(
            Period::parse("2025-12-01", "2026-01-31")
                .unwrap()
                .months_zh(),
            "2025年12月至2026年1月"
        );
        assert!(
            Period::parse("2024-01-01", "2024-12-31").is_ok(),
            "366 days"
        );
        for (from, to, field) in [
            ("2026-11-31", "2026-12-01", "from"),
            ("2026-11-01", "30/11/2026", "to"),
            ("2026-11-02", "2026-11-01", "to"),
            ("2025-01-01", "2026-01-02", "to"),
        ] {
            let e = Period::parse(from, to).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{from} {to}");
            assert!(!e.malformed);
        }
    }

    #[test]
    fn formats_parse_from_names_and_extensions() {
        assert_eq!(CircularFormat::parse("XLSX"), Some(CircularFormat::Xlsx));
        assert_eq!(CircularFormat::parse("htm"), Some(CircularFormat::Html));
        assert_eq!(CircularFormat::parse("pdf"), None);
    }
}
