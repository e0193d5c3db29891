//! Charts as server-written SVG (no script, no `style=`: presentation attributes and
//! CSS classes only, so the strict CSP holds): a sparkline per ranked unit and a trend
//! chart with axes, labels and dates.

use crate::risk::snapshots::TrendPoint;

/// Escapes text for SVG/HTML content and attribute values.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// y of `score` (0–100) in a box from `top` to `top + height`.
fn y_of(score: f64, top: f64, height: f64) -> f64 {
    top + height * (1.0 - score.clamp(0.0, 100.0) / 100.0)
}

/// x of point `i` of `n` across `width` from `left`.
fn x_of(i: usize, n: usize, left: f64, width: f64) -> f64 {
    if n <= 1 {
        left + width / 2.0
    } else {
        left + width * i as f64 / (n - 1) as f64
    }
}

/// A 100×24 sparkline of the scores (oldest first); veto days as red dots. `label`
/// names it for screen readers. Without points: a flat grey line.
pub fn sparkline(points: &[TrendPoint], label: &str) -> String {
    let (w, h) = (100.0, 24.0);
    let mut out = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(label),
        esc(label)
    );
    if points.is_empty() {
        out.push_str(
            "<line x1=\"0\" y1=\"12\" x2=\"100\" y2=\"12\" stroke=\"#c5cbd6\" stroke-dasharray=\"3 3\"/>",
        );
    } else {
        let coords: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{:.1},{:.1}",
                    x_of(i, points.len(), 2.0, w - 4.0),
                    y_of(p.score, 2.0, h - 4.0)
                )
            })
            .collect();
        out.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"#0b57a4\" stroke-width=\"1.5\" points=\"{}\"/>",
            coords.join(" ")
        ));
        for (i, p) in points.iter().enumerate() {
            if p.veto || points.len() == 1 {
                let fill = if p.veto { "#b3261e" } else { "#0b57a4" };
                out.push_str(&format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"{fill}\"/>",
                    x_of(i, points.len(), 2.0, w - 4.0),
                    y_of(p.score, 2.0, h - 4.0)
                ));
            }
        }
    }
    out.push_str("</svg>");
    out
}

/// Words a chart needs, in the reader's language.
pub struct ChartWords<'a> {
    pub title: &'a str,
    pub score: &'a str,
    pub date: &'a str,
    pub veto: &'a str,
    pub empty: &'a str,
}

/// A 640×260 trend chart: y axis 0–100 with gridlines and labels, x axis with the
/// first, middle and last dates, the score line, veto days marked.
pub fn trend_chart(points: &[TrendPoint], words: &ChartWords<'_>) -> String {
    let (w, h) = (640.0, 260.0);
    let (left, right, top, bottom) = (48.0, 16.0, 16.0, 48.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let mut out = format!(
        "<svg class=\"chart\" id=\"trend-chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"trend-chart-title\"><title id=\"trend-chart-title\">{}</title>",
        esc(words.title)
    );
    for tick in [0, 25, 50, 75, 100] {
        let y = y_of(f64::from(tick), top, ph);
        out.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#d5dae3\" stroke-width=\"1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6475\">{tick}</text>",
            left + pw,
            left - 6.0,
            y + 4.0
        ));
    }
    out.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"#8a93a5\"/>\
         <line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#8a93a5\"/>",
        top + ph,
        top + ph,
        left + pw,
        top + ph
    ));
    out.push_str(&format!(
        "<text x=\"12\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2330\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2330\" text-anchor=\"middle\">{}</text>",
        top + ph / 2.0,
        top + ph / 2.0,
        esc(words.score),
        left + pw / 2.0,
        h - 6.0,
        esc(words.date)
    ));
    if points.is_empty() {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#5b6475\">{}</text></svg>",
            left + pw / 2.0,
            top + ph / 2.0,
            esc(words.empty)
        ));
        return out;
    }
    let n = points.len();
    let mut labelled = vec![0, n / 2, n - 1];
    labelled.dedup();
    for i in labelled {
        let x = x_of(i, n, left, pw);
        let anchor = if n == 1 || (i > 0 && i < n - 1) {
            "middle"
        } else if i == 0 {
            "start"
        } else {
            "end"
        };
        out.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#8a93a5\"/>\
             <text class=\"chart-date\" x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"{anchor}\" fill=\"#5b6475\">{}</text>",
            top + ph,
            top + ph + 4.0,
            top + ph + 18.0,
            esc(&points[i].day)
        ));
    }
    let coords: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x_of(i, n, left, pw), y_of(p.score, top, ph)))
        .collect();
    out.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#0b57a4\" stroke-width=\"2\" points=\"{}\"/>",
        coords.join(" ")
    ));
    for (i, p) in points.iter().enumerate() {
        let (x, y) = (x_of(i, n, left, pw), y_of(p.score, top, ph));
        let (fill, r) = if p.veto {
            ("#b3261e", 4)
        } else {
            ("#0b57a4", 3)
        };
        let note = if p.veto {
            format!(" {}", words.veto)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\" fill=\"{fill}\"><title>{} {:.1}{}</title></circle>",
            esc(&p.day),
            p.score,
            esc(&note)
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::model::SeverityCounts;

    fn p(day: &str, score: f64, veto: bool) -> TrendPoint {
        TrendPoint {
            day: day.into(),
            score,
            veto,
            accounts: 1,
            components: Vec::new(),
            counts: SeverityCounts::default(),
        }
    }

    #[test]
    fn charts_have_no_style_and_escape_their_words() {
        let pts = [
            p("2026-11-01", 80.0, false),
            p("2026-11-02", 60.0, true),
            p("2026-11-03", 90.0, false),
        ];
        let words = ChartWords {
            title: "趋势 <x>",
            score: "得分",
            date: "日期",
            veto: "不合格",
            empty: "无",
        };
        let chart = trend_chart(&pts, &words);
        assert!(!chart.contains("style="), "{chart}");
        assert!(chart.contains("趋势 &lt;x&gt;"));
        assert!(chart.contains(">2026-11-01<") && chart.contains(">2026-11-03<"));
        assert!(chart.contains("得分") && chart.contains("日期"));
        assert!(chart.contains("#b3261e"), "veto marked");
        let spark = sparkline(&pts, "乙镇");
        assert!(spark.starts_with("<svg") && !spark.contains("style="));
        assert!(spark.contains("<polyline"));
        assert!(sparkline(&[], "x").contains("<line"));
        assert!(trend_chart(&[], &words).contains(">无<"));
        // 100 is at the top of the plot, 0 at its bottom.
        assert_eq!(y_of(100.0, 16.0, 196.0), 16.0);
        assert_eq!(y_of(0.0, 16.0, 196.0), 212.0);
    }
}
