//! `credgov scan`: runs the daily inspection once, now, and prints the counts.

use crate::app::AppState;
use crate::inspection::{ScanCounts, daily_scan};

/// One line of totals, then one line per rule with open findings.
pub fn summary(c: &ScanCounts) -> String {
    let mut out = format!(
        "scan finished in {} ms: {} open finding(s), {} new, {} resolved",
        c.duration_ms, c.open, c.opened, c.resolved
    );
    for (rule, n) in &c.by_rule {
        out.push_str(&format!("\n  {rule}: {n}"));
    }
    out
}

pub async fn run(state: &AppState, json: bool) -> Result<i32, crate::error::CliError> {
    let counts = daily_scan(state, state.now()).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&counts).map_err(|e| e.to_string())?
        );
    } else {
        println!("{}", summary(&counts));
    }
    Ok(0)
}
