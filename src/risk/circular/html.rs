//! The circular as one printable page (A4 landscape) in Chinese: the title, what the
//! figures mean, the ranking with failing (veto) units marked, and the number of open
//! findings. Self-contained: an inline stylesheet, no script, nothing fetched. Every
//! name is escaped.

use std::fmt::Write;

use super::data::{Circular, headers};

const STYLE: &str = "@page { size: A4 landscape; margin: 12mm; }\n\
body { font-family: \"SimSun\", \"Songti SC\", \"Noto Serif CJK SC\", serif; font-size: 10.5pt; color: #000; margin: 0; }\n\
h1 { font-family: \"SimHei\", \"Heiti SC\", \"Noto Sans CJK SC\", sans-serif; font-size: 18pt; text-align: center; margin: 0 0 6pt; }\n\
p.note { margin: 0 0 8pt; line-height: 1.5; }\n\
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }\n\
thead { display: table-header-group; }\n\
tr { page-break-inside: avoid; }\n\
th, td { border: 0.5pt solid #000; padding: 2pt 4pt; text-align: center; }\n\
th { background: #d9d9d9; font-weight: bold; }\n\
td.name { text-align: left; }\n\
tr.veto td { background: #ffc7ce; }\n\
tr.veto td.veto { font-weight: bold; color: #9c0006; }\n\
p.foot { margin-top: 8pt; font-size: 9pt; }\n\
@media print { th, tr.veto td { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }\n";

pub fn write(c: &Circular) -> String {
    let mut out = String::with_capacity(4096 + c.rows.len() * 400);
    let title = escape(&c.title());
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n<p class=\"note\">{}</p>\n<table>\n<thead><tr>",
        escape(&c.note())
    );
    for h in headers() {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &c.rows {
        let class = if r.veto { " class=\"veto\"" } else { "" };
        let _ = write!(
            out,
            "<tr{class}><td class=\"name\">{}</td><td>{}</td>",
            escape(&r.name),
            r.accounts
        );
        for n in r.findings {
            let _ = write!(out, "<td>{n}</td>");
        }
        let _ = writeln!(
            out,
            "<td>{}</td><td>{:.1}</td><td>{}</td><td class=\"veto\">{}</td></tr>",
            r.rate_text(),
            r.score,
            r.rank,
            r.veto_text()
        );
    }
    let failing = c.rows.iter().filter(|r| r.veto).count();
    let _ = write!(
        out,
        "</tbody>\n</table>\n<p class=\"foot\">共 {} 个单位，其中 {failing} 个单位存在单项否决问题（不合格，底色标红）；\
         未整改问题 {} 条，明细见 Excel 版「未整改问题清单」。</p>\n</body>\n</html>\n",
        c.rows.len(),
        c.open_findings,
    );
    out
}

/// Text safe inside HTML elements and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            ch => out.push(ch),
        }
    }
    out
}
