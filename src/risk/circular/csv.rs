//! The circular's ranking as CSV for Excel on Chinese Windows: UTF-8 with a byte-order
//! mark (without it Excel reads GBK and garbles the names), CRLF line ends, fields quoted
//! when they need it; the header row, then one row per ranked unit. 整改完成率 is written
//! `85.7%` (Excel reads it as a percentage), `—` without items in the period. A name
//! that Excel would take for a formula (`=`, `+`, `-`, `@` first) is written after a `'`.

use super::data::{Circular, headers};

const BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn write(c: &Circular) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    w.write_record(headers())?;
    for r in &c.rows {
        let mut record: Vec<String> = vec![inert(&r.name), r.accounts.to_string()];
        record.extend(r.findings.iter().map(i64::to_string));
        record.extend([
            r.rate_text(),
            format!("{:.1}", r.score),
            r.rank.to_string(),
            r.veto_text().to_string(),
        ]);
        w.write_record(&record)?;
    }
    w.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

/// A name Excel will not evaluate: a leading `=`, `+`, `-`, `@`, tab or CR gets a `'`.
fn inert(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{name}")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_stay_text() {
        assert_eq!(super::inert("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::inert("甲街道"), "甲街道");
    }
}
