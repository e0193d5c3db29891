//! `GET /reports/circular`: the circular as a download (XLSX, CSV or HTML).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{CircularFormat, Export, Period, export};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::{ApiQuery, Caller};
use crate::ids::UnitId;
use crate::risk::RiskError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(circular))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CircularQuery {
    /// Rank the direct children of this unit (whole-subtree figures each).
    pub under: String,
    /// First day of the period (China date, `YYYY-MM-DD`).
    #[param(format = Date, example = "2026-11-01")]
    pub from: String,
    /// Last day of the period (China date, `YYYY-MM-DD`; at most 366 days after `from`).
    #[param(format = Date, example = "2026-11-30")]
    pub to: String,
    /// `xlsx` (default), `csv` or `html`.
    #[param(inline)]
    pub format: Option<CircularFormat>,
}

/// An Excel workbook (.xlsx): the download's schema in the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(#[allow(dead_code)] Vec<u8>);

/// The circular (通报) of a unit's direct children for a period: a download.
///
/// XLSX: sheet 「通报」 (title, note, ranked units: 单位, 账号数, open findings per rule,
/// 整改完成率, 得分, 排名, 单项否决; veto rows filled red) and sheet 「未整改问题清单」 (every
/// open finding with its deadline; without 账号 and 平台 for callers who may not see
/// account-level details, e.g. system administrators). CSV (UTF-8 with BOM, CRLF) and
/// HTML (printable A4) hold the ranking. Audited as `report.circular`.
#[utoipa::path(get, path = "/reports/circular", tag = "risk", params(CircularQuery),
    responses(
        (status = 200, description = "The circular as an attachment (`Content-Disposition` with the Chinese file name in `filename*`)",
            content(
                (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv"),
                (String = "text/html"),
            )),
        (status = 422, description = "invalid_input: from/to not a date, to before from, or a period longer than 366 days (details name the field)", body = crate::http::ErrorBody),
    ))]
pub async fn circular(c: Caller, ApiQuery(q): ApiQuery<CircularQuery>) -> AppResult<Response> {
    let period = Period::parse(&q.from, &q.to).map_err(RiskError::from)?;
    let format = q.format.unwrap_or_default();
    let under = UnitId::new(q.under);
    let file = export(&c.state, (&c.ctx, &c.meta), &under, period, format).await?;
    Ok(download(file))
}

/// The file as an attachment: its type, both names, never cached.
pub(crate) fn download(file: Export) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file.ascii_name,
        percent_encode(&file.file_name)
    );
    let mut r = file.bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if file.format == CircularFormat::Html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
        );
    }
    r
}

/// RFC 8187 `value-chars`: attr-chars as they are, every other byte `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_percent_encoded_as_utf8() {
        assert_eq!(
            super::percent_encode("通报 1.csv"),
            "%E9%80%9A%E6%8A%A5%201.csv"
        );
        assert_eq!(super::percent_encode("a\"b;c"), "a%22b%3Bc");
    }
}
