//! `credgov report circular --under UNIT --from YYYY-MM-DD --to YYYY-MM-DD --out FILE
//! [--format xlsx|csv|html]`: the circular (通报) the API serves at
//! `/reports/circular`, written to a file by the operator (who sees account names).
//! The format defaults to the file's extension. Audited like a download.

use std::path::Path;

use crate::app::AppState;
use crate::authz::AuthContext;
use crate::error::CliError;
use crate::ids::UnitId;
use crate::risk::circular::{CircularFormat, Period, export};

pub struct CircularArgs<'a> {
    pub under: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub out: &'a Path,
    pub format: Option<&'a str>,
}

/// `--format`, or the extension of `--out`.
fn format_of(format: Option<&str>, out: &Path) -> Result<CircularFormat, CliError> {
    let (text, from) = match format {
        Some(f) => (f.to_string(), "--format"),
        None => (
            out.extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default()
                .to_string(),
            "the extension of --out",
        ),
    };
    CircularFormat::parse(&text).ok_or_else(|| {
        CliError::from(format!(
            "{from} must be xlsx, csv or html (got {text:?}); name the file .xlsx, .csv or .html or pass --format"
        ))
    })
}

pub async fn circular(state: &AppState, args: CircularArgs<'_>) -> Result<(), CliError> {
    let format = format_of(args.format, args.out)?;
    let period = Period::parse(args.from, args.to)?;
    let ctx = AuthContext::operator();
    let file = export(
        state,
        (&ctx, &Default::default()),
        &UnitId::new(args.under),
        period,
        format,
    )
    .await?;
    std::fs::write(args.out, &file.bytes)
        .map_err(|e| CliError::from(format!("{}: {e}", args.out.display())))?;
    println!(
        "wrote {} ({} bytes): {}",
        args.out.display(),
        file.bytes.len(),
        file.file_name
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_comes_from_the_flag_or_the_extension() {
        let f = |flag: Option<&str>, out: &str| format_of(flag, Path::new(out)).ok();
        assert_eq!(f(None, "通报.XLSX"), Some(CircularFormat::Xlsx));
        assert_eq!(f(None, "a.csv"), Some(CircularFormat::Csv));
        assert_eq!(f(Some("html"), "a.txt"), Some(CircularFormat::Html));
        assert_eq!(f(None, "a.pdf"), None);
        assert_eq!(f(None, "noext"), None);
    }
}
