//! A notice as text: its kind's title and one sentence per kind in zh-CN (the default)
//! or English, filled from the notice's `data` (names, counts, dates — producers never
//! put a secret there), plus `items` (a digest's lines) as a list. The same words go
//! out as markdown (robots, inbox), and escaped HTML (e-mail).

use chrono::{FixedOffset, TimeZone};
use serde_json::Value;

use super::kinds::{Lang, NotificationKind};

/// A notice rendered for one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: String,
    pub markdown: String,
    pub html: String,
}

/// Renders `kind` with `data` in `lang`.
pub fn render(kind: NotificationKind, lang: Lang, data: &Value) -> Rendered {
    let title = kind.title(lang).to_string();
    let about = data.get("about").and_then(Value::as_str);
    let template = sentence(kind, lang, about);
    let items: Vec<String> = data
        .get("items")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(text_of).collect())
        .unwrap_or_default();
    let mut markdown = format!("**{title}**\n\n{}", fill(template, data, escape_markdown));
    let mut html = format!(
        "<p><strong>{}</strong></p>\n<p>{}</p>",
        escape(&title),
        fill(template, data, escape)
    );
    if !items.is_empty() {
        markdown.push('\n');
        html.push_str("\n<ul>");
        for item in &items {
            markdown.push_str(&format!("\n- {}", escape_markdown(item)));
            html.push_str(&format!("<li>{}</li>", escape(item)));
        }
        html.push_str("</ul>");
    }
    Rendered {
        title,
        markdown,
        html,
    }
}

/// The sentence of `kind` (an escalation's depends on what it is `about`); `{name}` is
/// replaced by `data.name`.
fn sentence(kind: NotificationKind, lang: Lang, about: Option<&str>) -> &'static str {
    use NotificationKind::*;
    let (zh, en) = match kind {
        RotationDue => (
            "{unit} 有 {count} 个账号的密码将在 {stage_days} 天内到期（最早 {due_at}），请及时更换。",
            "{count} account password(s) of {unit} fall due within {stage_days} day(s) (the first on {due_at}); please rotate them.",
        ),
        RotationOverdue => (
            "{unit} 有 {count} 个账号的密码已超期未更换。",
            "{count} account password(s) of {unit} are overdue for rotation.",
        ),
        RotationPendingStale => (
            "{unit} 有 {count} 个账号的密码更换已开始但未确认（最早自 {started_at} 起）。",
            "{count} password rotation(s) of {unit} were started but not confirmed (the oldest since {started_at}).",
        ),
        RectificationOpened => (
            "{unit} 有新的整改事项（{rule}），请于 {deadline_at} 前完成。",
            "{unit} has a new rectification item ({rule}), due {deadline_at}.",
        ),
        RectificationReturned => (
            "{unit} 的整改事项（{rule}）被退回：{reason}",
            "The rectification item ({rule}) of {unit} was returned: {reason}",
        ),
        RectificationDue => (
            "{unit} 有 {count} 个整改事项明日到期（{rule}，最早 {deadline_at}）。",
            "{count} rectification item(s) of {unit} are due tomorrow ({rule}; the first at {deadline_at}).",
        ),
        RectificationOverdue => (
            "{unit} 有 {count} 个整改事项已逾期（{rule}，最早于 {deadline_at} 到期）。",
            "{count} rectification item(s) of {unit} are overdue ({rule}; the first was due {deadline_at}).",
        ),
        Escalation => match about {
            Some("rectification") => (
                "下级单位 {unit} 有 {count} 个整改事项逾期未完成。",
                "{unit}, a unit below yours, has {count} overdue rectification item(s).",
            ),
            Some("handover") => (
                "下级单位 {unit} 有人员交接已逾期未完成。",
                "A handover of {unit}, a unit below yours, is overdue.",
            ),
            Some("veto") => (
                "下级单位 {unit} 有 {count} 项单项否决问题。",
                "{unit}, a unit below yours, has {count} veto finding(s).",
            ),
            _ => (
                "下级单位 {unit} 有 {count} 个逾期事项。",
                "{unit}, a unit below yours, has {count} overdue item(s).",
            ),
        },
        DailySummary => (
            "{unit} 及下级单位今日巡检：待处理问题 {count} 项（单项否决 {veto}、高 {high}、中 {medium}、低 {low}），逾期整改 {rectifications_overdue} 项，逾期交接 {handovers_overdue} 项。",
            "Today's inspection of {unit} and the units below: {count} open finding(s) ({veto} veto, {high} high, {medium} medium, {low} low), {rectifications_overdue} overdue rectification item(s), {handovers_overdue} overdue handover(s).",
        ),
        HandoverOpened => (
            "{user} 的人员变动已开启交接（{unit}），截止 {deadline_at}。",
            "A handover for {user} ({unit}) was opened, due {deadline_at}.",
        ),
        HandoverAwaitingAck => (
            "{user} 的交接（{unit}）等待您确认接收。",
            "The handover from {user} ({unit}) is waiting for your acknowledgement.",
        ),
        HandoverOverdue => (
            "{unit} 有 {count} 个人员交接已逾期（{user}），最早于 {deadline_at} 到期。",
            "{count} handover(s) of {unit} are overdue ({user}); the first was due {deadline_at}.",
        ),
        HrEventProcessed => (
            "{user} 的人事变动（{event}）已处理。",
            "The staff change ({event}) of {user} was processed.",
        ),
        PrivilegedLockout => (
            "{unit} 的特权用户 {user} 因连续 {failures} 次登录失败被锁定至 {locked_until}。",
            "Privileged user {user} ({unit}) is locked out until {locked_until} after {failures} failed logins.",
        ),
        AuditVerifyFailed => (
            "{unit} 的审计日志校验失败：{reason}",
            "Verifying the audit trail of {unit} failed: {reason}",
        ),
        KeyRotated => (
            "主密钥已于 {rotated_at} 轮换。",
            "The master key was rotated on {rotated_at}.",
        ),
        DeliveryFailed => (
            "一条「{about}」通知经 {channel} 发送 {attempts} 次均失败：{error}",
            "A \"{about}\" message could not be sent over {channel} after {attempts} attempt(s): {error}",
        ),
        CalendarMissing => (
            "缺少 {year} 年的节假日日历，工作日期限按周末计算。",
            "The holiday calendar for {year} is missing; deadlines count weekends only.",
        ),
        ChannelTest => (
            "这是来自 {unit} 的测试消息。",
            "This is a test message from {unit}.",
        ),
    };
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// Replaces each `{key}` of `template` with `data.key` as text (`—` when absent),
/// passed through `esc` (names and reasons come from users: escaped for the body's
/// format).
fn fill(template: &str, data: &Value, esc: fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let key = &after[..close];
        let value = data.get(key).filter(|v| !v.is_null());
        match value {
            Some(v) if is_time(key) && v.is_i64() => out.push_str(&time(v.as_i64().unwrap_or(0))),
            Some(v) => out.push_str(&esc(&text_of(v))),
            None => out.push('—'),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

fn is_time(key: &str) -> bool {
    key.ends_with("_at") || key.ends_with("_until")
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A stored time as the district reads it (UTC+8, minutes).
pub fn time(ms: i64) -> String {
    let Some(zone) = FixedOffset::east_opt(8 * 3600) else {
        return ms.to_string();
    };
    match zone.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => ms.to_string(),
    }
}

/// A user's text made inert in robot / inbox markdown: markdown's markup characters
/// get a backslash, `<` and `>` become full-width (no `<@userid>` mention, `<font>` or
/// HTML tag survives on a platform that ignores backslashes), and line breaks become
/// spaces (no text starts a line of its own: no heading, list or quote).
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '*' | '_' | '`' | '[' | ']' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push('＜'),
            '>' => out.push('＞'),
            '\r' | '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_names_counts_and_times_in_both_languages() {
        let data = json!({ "unit": "区网信办", "user": "张三", "failures": 5,
                           "locked_until": 1_700_000_000_000_i64 });
        let zh = render(NotificationKind::PrivilegedLockout, Lang::ZhCn, &data);
        assert_eq!(zh.title, "特权用户被锁定");
        assert!(
            zh.markdown
                .contains("区网信办 的特权用户 张三 因连续 5 次登录失败被锁定至 2023-11-15 06:13"),
            "{}",
            zh.markdown
        );
        let en = render(NotificationKind::PrivilegedLockout, Lang::En, &data);
        assert!(en.markdown.contains("Privileged user 张三 (区网信办) is locked out until 2023-11-15 06:13 after 5 failed logins"), "{}", en.markdown);
    }

    #[test]
    fn digests_say_how_many_and_escalations_say_what_about() {
        let due = json!({ "unit": "区政务服务中心", "count": 2, "stage_days": 7,
                          "due_at": 1_700_000_000_000_i64, "items": ["政务微博 · 2023-11-15 06:13"] });
        let zh = render(NotificationKind::RotationDue, Lang::ZhCn, &due);
        assert!(
            zh.markdown.contains(
                "区政务服务中心 有 2 个账号的密码将在 7 天内到期（最早 2023-11-15 06:13）"
            ),
            "{}",
            zh.markdown
        );
        let en = render(NotificationKind::RotationDue, Lang::En, &due);
        assert!(
            en.markdown
                .contains("2 account password(s) of 区政务服务中心 fall due within 7 day(s)"),
            "{}",
            en.markdown
        );
        let veto = json!({ "unit": "区档案馆", "count": 1, "about": "veto" });
        let r = render(NotificationKind::Escalation, Lang::ZhCn, &veto);
        assert!(
            r.markdown.contains("下级单位 区档案馆 有 1 项单项否决问题"),
            "{}",
            r.markdown
        );
        let late = json!({ "unit": "区档案馆", "count": 3, "about": "rectification" });
        let r = render(NotificationKind::Escalation, Lang::En, &late);
        assert!(
            r.markdown.contains("has 3 overdue rectification item(s)"),
            "{}",
            r.markdown
        );
        let summary = json!({ "unit": "区政府办", "count": 4, "veto": 1, "high": 2, "medium": 1,
                              "low": 0, "rectifications_overdue": 2, "handovers_overdue": 0 });
        let r = render(NotificationKind::DailySummary, Lang::ZhCn, &summary);
        assert!(
            r.markdown.contains(
                "待处理问题 4 项（单项否决 1、高 2、中 1、低 0），逾期整改 2 项，逾期交接 0 项"
            ),
            "{}",
            r.markdown
        );
        let r = render(NotificationKind::DailySummary, Lang::En, &summary);
        assert!(!r.markdown.contains('—'), "{}", r.markdown);
    }

    #[test]
    fn names_and_reasons_cannot_inject_markdown_or_mentions() {
        let data = json!({ "unit": "**假**<@all>[点我](http://x.cn)", "rule": "r",
                           "reason": "第一行\n# 标题\n- 伪造条目 <font color=\"warning\">!</font>",
                           "count": 1, "items": ["<@zhangsan> `code` _x_"] });
        let r = render(NotificationKind::RectificationReturned, Lang::ZhCn, &data);
        let md = &r.markdown;
        assert!(!md.contains("<@"), "{md}");
        assert!(!md.contains("<font"), "{md}");
        assert!(
            md.contains("\\*\\*假\\*\\*＜@all＞\\[点我\\](http://x.cn)"),
            "{md}"
        );
        assert!(md.contains("第一行 \\# 标题 - 伪造条目"), "{md}");
        // The only lines are the heading, the sentence and the list's own items.
        assert_eq!(md.lines().filter(|l| l.starts_with('#')).count(), 0, "{md}");
        let r = render(NotificationKind::RotationOverdue, Lang::ZhCn, &data);
        assert!(
            r.markdown.ends_with("\n- ＜@zhangsan＞ \\`code\\` \\_x\\_"),
            "{}",
            r.markdown
        );
        // HTML gets the raw text, HTML-escaped.
        assert!(
            r.html.contains("&lt;@zhangsan&gt; `code` _x_"),
            "{}",
            r.html
        );
    }

    #[test]
    fn items_become_a_list_and_html_is_escaped() {
        let data = json!({ "unit": "<b>单位</b>", "count": 2, "items": ["甲 & 乙", "丙"] });
        let r = render(NotificationKind::RotationOverdue, Lang::ZhCn, &data);
        assert!(r.markdown.ends_with("\n- 甲 & 乙\n- 丙"), "{}", r.markdown);
        assert!(r.html.contains("&lt;b&gt;单位&lt;/b&gt;"), "{}", r.html);
        assert!(r.html.contains("<li>甲 &amp; 乙</li>"), "{}", r.html);
        let missing = render(NotificationKind::ChannelTest, Lang::En, &json!({}));
        assert!(missing.markdown.contains("test message from —"));
    }
}
