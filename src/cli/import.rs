//! `credgov import accounts`.

use std::path::Path;

use crate::app::AppState;

pub async fn run(_state: &AppState, _unit: &str, file: &Path, _dry_run: bool) -> Result<(), String> {
    Err(format!("import of {} is not available in this build yet", file.display()))
}
