//! Importing a spreadsheet of accounts (`/accounts/import`), through the service the
//! command line uses (`vault::import`): choose a unit and a CSV or XLSX file; the
//! upload is always a dry run first, whose report lists every row problem (row number
//! and column) and warning (weak or reused passwords) and never a password; a clean
//! report offers the import, which carries the file sealed ([`super::import_file`]) and
//! runs the whole import again for real.

use std::sync::Arc;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::edit::{Choice2, writable_units};
use super::import_file::{MAX_FILE_BYTES, Upload, open_file, read_upload, seal_file};
use super::import_view::{Issue, issues};
use crate::error::{DomainError, ErrorKind};
use crate::ids::UnitId;
use crate::vault::import::{
    Field, ImportError, ImportOpts, ImportReport, import_accounts, import_target, parse_named,
};
use crate::web::caller::WebCaller;
use crate::web::csrf;
use crate::web::error::{WebError, WebResult, message, urlencode};
use crate::web::form::Posted;
use crate::web::frame::Frame;
use crate::web::page::{render, render_status};
use crate::web::sealed::Unsealed;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    unit: String,
}

/// One column of the explanation.
pub struct ColumnHelp {
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
    pub help: &'static str,
}

#[derive(Template)]
#[template(path = "accounts/import.html")]
struct UploadPage {
    frame: Frame,
    units: Vec<Choice2>,
    columns: Vec<ColumnHelp>,
    max_mb: usize,
    error: Option<String>,
}

/// A dry run's report, or a refused file.
#[derive(Template)]
#[template(path = "accounts/import_report.html")]
struct ReportPage {
    frame: Frame,
    unit_id: String,
    unit_name: String,
    file_name: String,
    format: String,
    /// Whether the file could be read and checked row by row.
    checked: bool,
    rows: usize,
    weak: usize,
    reused: usize,
    /// A problem with the whole file (unreadable, columns, no rows, a conflict).
    refused: Option<String>,
    problems: Vec<Issue>,
    problem_rows: usize,
    warnings: Vec<Issue>,
    /// The sealed file for the confirm form, when the dry run was clean.
    sealed: Option<String>,
}

#[derive(Template)]
#[template(path = "accounts/import_done.html")]
struct DonePage {
    frame: Frame,
    list_url: String,
    unit_name: String,
    file_name: String,
    imported: usize,
    weak: usize,
    reused: usize,
    warnings: Vec<Issue>,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    sealed: String,
}

/// `GET /accounts/import`.
pub async fn page(c: WebCaller, Query(q): Query<PageQuery>) -> WebResult<Response> {
    Ok(render(&upload_page(&c, &q.unit, None).await?))
}

async fn upload_page(c: &WebCaller, unit: &str, error: Option<String>) -> WebResult<UploadPage> {
    let tr = c.tr;
    Ok(UploadPage {
        frame: Frame::new(c, "/accounts", "import.title"),
        units: writable_units(c, unit).await?,
        columns: Field::ALL
            .into_iter()
            .map(|f| ColumnHelp {
                zh: f.label(),
                en: f.key(),
                required: f.required(),
                help: tr.t(&format!("import.help.{}", f.key())),
            })
            .collect(),
        max_mb: MAX_FILE_BYTES / (1024 * 1024),
        error,
    })
}

/// `POST /accounts/import` (multipart `_csrf`, `unit_id`, `file`): the dry run.
pub async fn upload(
    c: WebCaller,
    form: Result<Multipart, MultipartRejection>,
) -> WebResult<Response> {
    let tr = c.tr;
    let form =
        form.map_err(|_| WebError::page(tr, StatusCode::UNSUPPORTED_MEDIA_TYPE, "error.bad_form"))?;
    let Upload {
        csrf: token,
        unit_id,
        file_name,
        bytes,
    } = read_upload(tr, form).await?;
    if !csrf::matches(&c.csrf, token.as_deref()) {
        return Err(WebError::csrf(tr));
    }
    let unit_id = UnitId::new(unit_id.trim());
    let unit_name = target(&c, &unit_id).await?;
    if bytes.is_empty() {
        let page = upload_page(&c, unit_id.as_str(), Some(tr.t("import.no_file").into())).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let bytes = Arc::new(bytes);
    let ran = run(&c, &unit_id, &file_name, bytes.clone(), true).await?;
    let mut page = report_page(&c, &unit_id, unit_name, file_name, &ran);
    match ran.outcome {
        Ok(report) => {
            page.sealed = Some(seal_file(
                &c.state,
                &c.ctx.token_hash,
                &unit_id,
                &page.file_name,
                &bytes,
            ));
            fill(&mut page, &report);
            Ok(render(&page))
        }
        Err(e) => refused(&c, page, e),
    }
}

/// `POST /accounts/import/confirm`: the carried file, imported for real.
pub async fn confirm(Posted { caller: c, form }: Posted<ConfirmForm>) -> WebResult<Response> {
    let tr = c.tr;
    let carried = open_file(&c.state, &c.ctx.token_hash, &form.sealed).map_err(|e| {
        let key = match e {
            Unsealed::Expired => "import.sealed_expired",
            Unsealed::Invalid => "import.sealed_invalid",
        };
        WebError::page(tr, StatusCode::BAD_REQUEST, key)
    })?;
    let unit_id = carried.unit_id;
    let unit_name = target(&c, &unit_id).await?;
    let bytes = Arc::new(carried.bytes);
    let ran = run(&c, &unit_id, &carried.file_name, bytes, false).await?;
    let page = report_page(&c, &unit_id, unit_name, carried.file_name, &ran);
    match ran.outcome {
        Ok(report) => Ok(render(&DonePage {
            frame: Frame::new(&c, "/accounts", "import.done_title"),
            list_url: format!("/accounts?unit={}", urlencode(report.unit_id.as_str())),
            unit_name: report.unit_name,
            file_name: page.file_name,
            imported: report.imported,
            weak: report.weak,
            reused: report.reused,
            warnings: issues(tr, &report.warnings),
        })),
        // Something changed since the dry run (a name taken meanwhile …).
        Err(e) => refused(&c, page, e),
    }
}

/// The unit, if the caller may import into it: 404 for one that does not exist or is
/// outside the caller's units, 403 for a role that may not write accounts there.
async fn target(c: &WebCaller, unit_id: &UnitId) -> WebResult<String> {
    match import_target(&c.state, &c.ctx, unit_id).await {
        Ok(unit) => Ok(unit.name),
        Err(ImportError::UnitNotFound(_)) => Err(WebError::not_found(c.tr)),
        Err(e) => Err(WebError::domain(c.tr, &e)),
    }
}

/// A file read and checked (or imported) by the service.
struct Ran {
    /// `CSV, GB18030`, `XLSX`; empty when the file could not be read.
    format: String,
    /// Data rows read.
    rows: usize,
    outcome: Result<ImportReport, ImportError>,
}

/// Reads the file and runs the import (a dry run or not) through the service.
async fn run(
    c: &WebCaller,
    unit_id: &UnitId,
    file_name: &str,
    bytes: Arc<Zeroizing<Vec<u8>>>,
    dry_run: bool,
) -> WebResult<Ran> {
    let name = file_name.to_string();
    let parsed = tokio::task::spawn_blocking(move || parse_named(&bytes, &name))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading an uploaded spreadsheet stopped");
            WebError::page(c.tr, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        })?;
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            return Ok(Ran {
                format: String::new(),
                rows: 0,
                outcome: Err(e),
            });
        }
    };
    let format = parsed.format();
    let rows = parsed.rows.len();
    let opts = ImportOpts {
        dry_run,
        progress: false,
        file_name: Some(file_name.to_string()),
        format: Some(format.clone()),
        meta: c.meta.clone(),
    };
    let outcome = import_accounts(&c.state, &c.ctx, unit_id, parsed.rows, &opts).await;
    Ok(Ran {
        format,
        rows,
        outcome,
    })
}

fn report_page(
    c: &WebCaller,
    unit_id: &UnitId,
    unit_name: String,
    file_name: String,
    ran: &Ran,
) -> ReportPage {
    ReportPage {
        frame: Frame::new(c, "/accounts", "import.report_title"),
        unit_id: unit_id.as_str().to_string(),
        unit_name,
        file_name,
        format: ran.format.clone(),
        checked: false,
        rows: ran.rows,
        weak: 0,
        reused: 0,
        refused: None,
        problems: Vec::new(),
        problem_rows: 0,
        warnings: Vec::new(),
        sealed: None,
    }
}

fn fill(page: &mut ReportPage, report: &ImportReport) {
    page.checked = true;
    page.rows = report.rows;
    page.weak = report.weak;
    page.reused = report.reused;
    page.warnings = issues(page.frame.tr, &report.warnings);
}

/// The report of a file the service refused: every row problem, or what is wrong with
/// the whole file. Not found, forbidden and internal errors are the error page.
fn refused(c: &WebCaller, mut page: ReportPage, e: ImportError) -> WebResult<Response> {
    let tr = c.tr;
    match e {
        ImportError::Invalid { problems, warnings } => {
            let mut rows: Vec<usize> = problems.iter().map(|p| p.row).collect();
            rows.dedup();
            page.checked = true;
            page.problem_rows = rows.len();
            page.problems = issues(tr, &problems);
            page.warnings = issues(tr, &warnings);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        ImportError::UnitNotFound(_) => Err(WebError::not_found(tr)),
        e => match e.kind() {
            ErrorKind::NotFound | ErrorKind::Forbidden | ErrorKind::Internal => {
                Err(WebError::domain(tr, &e))
            }
            kind => {
                page.refused = Some(message(tr, &e));
                Ok(render_status(kind.status(), &page))
            }
        },
    }
}
