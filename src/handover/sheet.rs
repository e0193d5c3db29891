//! The printable handover sheet (交接单), HTML in Chinese. No secrets on it.

use super::case::Handover;
use super::case_state::ShownState;
use crate::clock::to_rfc3339;

fn esc(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `2026-11-28 10:32` in China time.
fn when(ms: Option<i64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) => {
            let t = to_rfc3339(ms + 8 * 3_600_000);
            format!("{} {}", &t[..10], &t[11..16])
        }
    }
}

fn event_label(t: &str) -> &'static str {
    match t {
        "departure" => "离职",
        "transfer" => "调动",
        "role_change" => "岗位变动",
        "leave" => "休假/借调",
        _ => "人员变动",
    }
}

fn action_label(a: &str) -> &'static str {
    match a {
        "rotate" => "修改密码",
        "rebind" => "变更绑定手机/邮箱",
        "reassign" => "重新指定保管人",
        _ => "其他",
    }
}

fn state_label(s: &str) -> &'static str {
    match ShownState::parse(s) {
        Some(ShownState::Open) => "办理中",
        Some(ShownState::AwaitingAcknowledgement) => "待接收人确认",
        Some(ShownState::AwaitingSignOff) => "待审核签字",
        Some(ShownState::Closed) => "已办结",
        Some(ShownState::Cancelled) => "已撤销",
        Some(ShownState::Escalated) => "已超期",
        None => "—",
    }
}

pub fn render(h: &Handover) -> String {
    let mut rows = String::new();
    for item in &h.items {
        for a in &item.actions {
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&item.account_name),
                esc(&item.platform),
                action_label(&a.action),
                esc(&a.reason),
                if a.done { "已完成" } else { "未完成" },
                esc(a.done_by.as_deref().unwrap_or("—")),
                when(a.done_at),
            ));
        }
    }
    if rows.is_empty() {
        rows.push_str("<tr><td colspan=\"7\">无涉及账号</td></tr>\n");
    }
    let successor = h
        .successor
        .as_ref()
        .map(|s| format!("{}（{}）", s.display_name, s.username))
        .unwrap_or_else(|| "未指定".into());
    let check = |done: bool, by: &Option<String>, at: Option<i64>| {
        if done {
            format!(
                "已确认（{}，{}）",
                esc(by.as_deref().unwrap_or("—")),
                when(at)
            )
        } else {
            "未确认".into()
        }
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>账号交接单 — {unit}</title>
<style>
body {{ font-family: "SimSun", "Songti SC", serif; margin: 2em; color: #000; }}
h1 {{ text-align: center; font-size: 22px; letter-spacing: 4px; }}
table {{ border-collapse: collapse; width: 100%; margin: 1em 0; }}
th, td {{ border: 1px solid #000; padding: 4px 6px; font-size: 13px; }}
th {{ background: #eee; }}
.sign td {{ height: 3em; }}
.meta td:nth-child(odd) {{ width: 14%; background: #f7f7f7; }}
@media print {{ body {{ margin: 0; }} }}
</style>
</head>
<body>
<h1>政务网站和政务新媒体账号交接单</h1>
<table class="meta">
<tr><td>单位</td><td>{unit}</td><td>编号</td><td>{id}</td></tr>
<tr><td>变动类型</td><td>{event}</td><td>状态</td><td>{state}</td></tr>
<tr><td>移交人</td><td>{leaver}</td><td>接收人</td><td>{successor}</td></tr>
<tr><td>发起时间</td><td>{created}</td><td>办结时限</td><td>{deadline}</td></tr>
</table>
<h2>涉及账号及处置</h2>
<table>
<tr><th>账号</th><th>平台</th><th>处置事项</th><th>原因</th><th>完成情况</th><th>完成人</th><th>完成时间</th></tr>
{rows}</table>
<h2>交接事项</h2>
<table>
<tr><td>资料交接</td><td>{materials}</td></tr>
<tr><td>业务培训</td><td>{training}</td></tr>
</table>
<p>本交接单不含任何密码。密码仅可通过 credgov 按授权查看，每次查看均留痕审计。</p>
<table class="sign">
<tr><th>移交人签字</th><th>接收人确认</th><th>单位审核签字</th></tr>
<tr><td></td><td>{ack}</td><td>{signoff}</td></tr>
</table>
</body>
</html>
"#,
        unit = esc(&h.unit_name),
        id = esc(h.id.as_str()),
        event = event_label(&h.event_type),
        state = state_label(&h.state),
        leaver = esc(&format!(
            "{}（{}）",
            h.leaver.display_name, h.leaver.username
        )),
        successor = esc(&successor),
        created = when(Some(h.created_at)),
        deadline = when(Some(h.deadline_at)),
        rows = rows,
        materials = check(
            h.materials.done,
            &h.materials.confirmed_by,
            h.materials.confirmed_at
        ),
        training = check(
            h.training.done,
            &h.training.confirmed_by,
            h.training.confirmed_at
        ),
        ack = if h.acknowledged_at.is_some() {
            format!("已以动态口令确认，{}", when(h.acknowledged_at))
        } else {
            String::new()
        },
        signoff = h
            .signed_off_by
            .as_ref()
            .map(|b| format!("{}，{}", esc(b), when(h.signed_off_at)))
            .unwrap_or_default(),
    )
}
