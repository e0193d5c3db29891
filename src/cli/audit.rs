//! `credgov audit verify [--anchor FILE]` and `credgov audit anchor`.

use std::path::Path;

use crate::app::AppState;
use crate::audit::{Anchor, VerifyReport, report_broken, take_anchor, verify_against, verify_all};
use crate::crypto::AUDIT_ANCHOR_LABEL;
use crate::error::CliError;

/// Exit 0 when intact, 1 naming the first problem. With an anchor file, also checks
/// every anchored chain against it; a file whose signature does not verify is refused.
pub async fn verify(state: &AppState, anchor: Option<&Path>) -> Result<i32, CliError> {
    let report = match anchor {
        None => verify_all(&state.db).await?,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("reading the anchor file {}: {e}", path.display()))?;
            let key = state.keyring.derive(AUDIT_ANCHOR_LABEL);
            let anchor = Anchor::parse(&text, &key)
                .map_err(|e| format!("anchor file {} refused: {e}", path.display()))?;
            verify_against(&state.db, &anchor).await?
        }
    };
    // A break tells the sysadmins (once a day per break); failing to queue that must
    // not hide the verdict.
    if let Err(e) = report_broken(&state.db, state.now(), &report).await {
        eprintln!("could not queue the notice to the system administrators: {e}");
    }
    match report {
        VerifyReport::Intact { chains, events } => {
            let against = if anchor.is_some() {
                " and consistent with the anchor"
            } else {
                ""
            };
            println!("audit trail intact: {events} events in {chains} chains verified{against}");
            Ok(0)
        }
        VerifyReport::Broken {
            unit_id,
            seq,
            reason,
        } => {
            println!("audit trail BROKEN: unit {unit_id}, event {seq}: {reason}");
            Ok(1)
        }
    }
}

/// Prints a signed anchor (JSON) of every chain head on standard output.
pub async fn anchor(state: &AppState) -> Result<i32, CliError> {
    let key = state.keyring.derive(AUDIT_ANCHOR_LABEL);
    let anchor = take_anchor(&state.db, &key, state.now()).await?;
    println!("{}", anchor.to_json());
    Ok(0)
}
