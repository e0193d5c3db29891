//! `credgov import publications --unit UNIT_ID [--dry-run] FILE.csv`: a publication
//! log of the unit's website and new-media accounts. Every row is checked first; any
//! problem lists all of them on stderr and nothing is written (exit 1).

use std::io::Write;
use std::path::Path;

use crate::app::AppState;
use crate::authz::AuthContext;
use crate::error::CliError;
use crate::freshness::{FreshnessError, import_publications};
use crate::ids::UnitId;

pub async fn run(state: &AppState, unit: &str, file: &Path, dry_run: bool) -> Result<(), CliError> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let ctx = AuthContext::operator();
    let result = import_publications(
        state,
        &ctx,
        &Default::default(),
        &UnitId::new(unit),
        &bytes,
        dry_run,
    )
    .await;
    // Write errors on the report (a closed pipe) are ignored.
    match result {
        Ok(r) => {
            let what = if r.dry_run {
                format!("dry run: {} rows checked, nothing written", r.rows)
            } else {
                format!("imported {} publications", r.imported)
            };
            let _ = writeln!(
                std::io::stdout().lock(),
                "{what} for {} account(s) of unit {} ({}) from {}",
                r.accounts,
                r.unit_name,
                r.unit_id,
                file.display()
            );
            Ok(())
        }
        Err(FreshnessError::Rows { problems }) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{}: the file was not imported:", file.display());
            for p in &problems {
                let _ = writeln!(err, "  {p}");
            }
            Err(FreshnessError::Rows { problems }.into())
        }
        Err(e) => {
            let mut out = CliError::from(e);
            out.message = format!("{}: {}", file.display(), out.message);
            Err(out)
        }
    }
}
