//! The circular (通报): a unit's direct children ranked with their open findings per
//! rule, rectification rate of a period, score, rank and veto, plus the list of open
//! findings; as XLSX, CSV or a printable HTML page. One service behind
//! `GET /reports/circular` and `credgov report circular`; exporting one discloses the
//! subtree's standing, so each export is audited (`report.circular`) before the file is
//! handed out.

mod csv;
pub mod data;
pub mod findings;
mod html;
pub mod params;
mod routes;
pub mod xlsx;

use serde_json::json;

use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission};
use crate::error::InternalError;
use crate::ids::UnitId;
use crate::risk::RiskError;
use crate::risk::ranking::risk_unit;

pub use data::Circular;
pub use params::{CircularFormat, Period};
pub(crate) use routes::download;
pub use routes::router;

/// A circular written as a file.
#[derive(Debug)]
pub struct Export {
    pub format: CircularFormat,
    pub bytes: Vec<u8>,
    /// `<title>.<ext>`, in Chinese.
    pub file_name: String,
    /// An ASCII name for clients that cannot take the Chinese one.
    pub ascii_name: String,
}

/// The circular of `under` for `period` as `format`: the caller needs
/// [`Permission::RiskRead`] on `under` (404 outside their units, 403 without it); the
/// findings name accounts only for callers with [`Permission::RiskAccounts`] there.
/// Audited (`report.circular`) in its own write transaction; nothing is returned unless
/// the event committed.
pub async fn export(
    state: &AppState,
    (ctx, meta): (&AuthContext, &RequestMeta),
    under: &UnitId,
    period: Period,
    format: CircularFormat,
) -> Result<Export, RiskError> {
    let unit = risk_unit(state, ctx, under).await?;
    let account_details =
        authz::authorize(ctx, Permission::RiskAccounts, &unit.as_ref(), "unit").is_ok();
    let list_findings = format == CircularFormat::Xlsx;
    let circular = data::load(state, &unit, period, (account_details, list_findings)).await?;
    let bytes = render(&circular, format)?;
    let (file_name, ascii_name) = circular.file_name(format.extension());
    let entry = Entry::by(ctx, &unit.id, "report.circular")
        .target("unit", &unit.id)
        .details(json!({
            "under": unit.id,
            "from": period.from.to_string(),
            "to": period.to.to_string(),
            "format": format.extension(),
            "units": circular.rows.len(),
            "open_findings": circular.open_findings,
            "findings_listed": circular.findings.len(),
            "account_details": account_details,
        }));
    let tx = state.db.begin_write().await?;
    tx.audit_and_commit(state.now(), meta, entry).await?;
    Ok(Export {
        format,
        bytes,
        file_name,
        ascii_name,
    })
}

/// The circular in `format`.
pub fn render(c: &Circular, format: CircularFormat) -> Result<Vec<u8>, InternalError> {
    match format {
        CircularFormat::Xlsx => {
            xlsx::write(c).map_err(|e| InternalError::new(format!("xlsx: {e}")))
        }
        CircularFormat::Csv => csv::write(c).map_err(|e| InternalError::new(format!("csv: {e}"))),
        CircularFormat::Html => Ok(html::write(c).into_bytes()),
    }
}
