//! `credgov import accounts --unit UNIT_ID [--dry-run] FILE`: every row is checked
//! first; any problem lists all of them and nothing is written (exit 1). Warnings (weak
//! or reused passwords) never stop an import. Passwords are never printed.

use std::io::Write;
use std::path::Path;

use crate::app::AppState;
use crate::authz::AuthContext;
use crate::tenancy::get_unit;
use crate::vault::import::{ImportError, ImportOpts, import_accounts, parse_file};

pub async fn run(state: &AppState, unit: &str, file: &Path, dry_run: bool) -> Result<(), String> {
    // The unit first: a wrong id is one clear line, whatever the file holds.
    let found = get_unit(state.db.pool(), &crate::ids::UnitId::from(unit))
        .await
        .map_err(|e| e.to_string())?;
    if found.is_none() {
        return Err(ImportError::UnitNotFound(unit.to_string()).to_string());
    }
    let path = file.to_path_buf();
    let parsed = tokio::task::spawn_blocking(move || parse_file(&path))
        .await
        .map_err(|e| format!("reading the file stopped: {e}"))?
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let format = parsed.format();
    let opts = ImportOpts {
        dry_run,
        progress: true,
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        format: Some(format.clone()),
        meta: Default::default(),
    };
    let ctx = AuthContext::operator();
    let result = import_accounts(state, &ctx, unit, parsed.rows, &opts).await;
    // A closed pipe (`| head`) must not turn a finished import into a panic: write
    // errors on the report are ignored.
    match result {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            let what = if report.dry_run {
                format!(
                    "dry run: {} rows checked, all importable into unit {} ({}); nothing written",
                    report.rows, report.unit_name, report.unit_id
                )
            } else {
                format!(
                    "imported {} accounts into unit {} ({})",
                    report.imported, report.unit_name, report.unit_id
                )
            };
            let _ = writeln!(
                out,
                "{what} from {} ({format}): {} flagged weak, {} with a reused password, {} warning(s)",
                file.display(),
                report.weak,
                report.reused,
                report.warnings.len()
            );
            if !report.warnings.is_empty() {
                let _ = writeln!(out, "warnings:");
                for w in &report.warnings {
                    let _ = writeln!(out, "  {w}");
                }
            }
            let _ = out.flush();
            Ok(())
        }
        Err(ImportError::Invalid { problems, warnings }) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "{} ({format}): the file was not imported:",
                file.display()
            );
            for p in &problems {
                let _ = writeln!(err, "  {p}");
            }
            if !warnings.is_empty() {
                let _ = writeln!(err, "warnings (these alone would not stop the import):");
                for w in &warnings {
                    let _ = writeln!(err, "  {w}");
                }
            }
            Err(ImportError::Invalid {
                problems,
                warnings: Vec::new(),
            }
            .to_string())
        }
        Err(e) => Err(format!("{}: {e}", file.display())),
    }
}
