//! A group message cut into the parts its channel takes. WeCom markdown carries at most
//! [`WECOM_MAX_BYTES`], DingTalk markdown is kept under [`DINGTALK_MAX_BYTES`], a
//! webhook's whole JSON body under [`webhook::MAX_BODY_BYTES`]; e-mail is never cut.
//! A message that fits stays one part, unchanged. A longer one becomes `n` parts, each
//! titled `**{title}（i/n）**` and carrying whole lines of the body where it can
//! ([`split::split`]); the mentions ride on the first part only, and the budget of every
//! part leaves room for them. A webhook part's `details` carry the digest items (and
//! their `account_ids`) of that part's lines, and `part`/`parts`.

use serde_json::{Value, json};

use super::channels::webhook;
use super::channels::{DINGTALK_MAX_BYTES, Mentions, Outgoing, WECOM_MAX_BYTES};
use super::outbox::Channel;
use super::split;

/// One part of a group message.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// `part i/n` for the dedupe key (None when the message is one part).
    pub label: Option<String>,
    pub title: String,
    pub markdown: String,
    pub data: Value,
    /// Whether this part carries the mentions.
    pub mentions: bool,
}

/// The parts of the message `title`/`markdown`/`data` on `channel`, mentioning
/// `mentions` (for the robots' budget).
pub fn parts(
    channel: Channel,
    title: &str,
    markdown: &str,
    data: &Value,
    mentions: &Mentions,
) -> Vec<Part> {
    let whole = || {
        vec![Part {
            label: None,
            title: title.to_string(),
            markdown: markdown.to_string(),
            data: data.clone(),
            mentions: true,
        }]
    };
    match channel {
        Channel::Email => whole(),
        Channel::Wecom => {
            let mention_bytes = wecom_mention_bytes(mentions);
            cut_robot(title, markdown, data, WECOM_MAX_BYTES, mention_bytes).unwrap_or_else(whole)
        }
        Channel::Dingtalk => {
            let mention_bytes = dingtalk_mention_bytes(mentions);
            cut_robot(title, markdown, data, DINGTALK_MAX_BYTES, mention_bytes)
                .unwrap_or_else(whole)
        }
        Channel::Webhook => cut_webhook(title, markdown, data).unwrap_or_else(whole),
    }
}

/// Bytes the WeCom sender appends for the mentions (`\n\n<@a> <@b>`).
fn wecom_mention_bytes(m: &Mentions) -> usize {
    if m.wecom_user_ids.is_empty() {
        return 0;
    }
    2 + m
        .wecom_user_ids
        .iter()
        .map(|id| id.len() + 4)
        .sum::<usize>()
}

/// Bytes the DingTalk sender appends for the mentions (`\n\n@a @b`).
fn dingtalk_mention_bytes(m: &Mentions) -> usize {
    let all: Vec<&String> = m.mobiles.iter().chain(&m.dingtalk_user_ids).collect();
    if all.is_empty() {
        return 0;
    }
    2 + all.iter().map(|s| s.len() + 2).sum::<usize>()
}

/// Room the part heading `**{title}（i/n）**\n\n` takes beyond the title (n < 10⁶).
const HEADING_EXTRA: usize = "**（999999/999999）**\n\n".len();

/// The robot parts, or None when the message fits in one (or mentions alone would
/// not leave room for a line: then it is sent whole and the platform judges it).
fn cut_robot(
    title: &str,
    markdown: &str,
    data: &Value,
    max: usize,
    mention_bytes: usize,
) -> Option<Vec<Part>> {
    if markdown.len() + mention_bytes <= max {
        return None;
    }
    let body = strip_heading(title, markdown);
    let budget = max.checked_sub(title.len() + HEADING_EXTRA + mention_bytes)?;
    if budget < 64 {
        return None;
    }
    let chunks = split::split(body, budget);
    Some(labelled(title, &chunks, |_| data.clone()))
}

/// The webhook parts, or None when the body fits in one.
fn cut_webhook(title: &str, markdown: &str, data: &Value) -> Option<Vec<Part>> {
    let fits = |p: &Part| json_len(p) <= webhook::MAX_BODY_BYTES;
    let one = Part {
        label: None,
        title: title.to_string(),
        markdown: markdown.to_string(),
        data: data.clone(),
        mentions: true,
    };
    if fits(&one) {
        return None;
    }
    let body = strip_heading(title, markdown);
    let all_items = items(data);
    // Text and details roughly double the items: start from half and shrink until
    // every part fits.
    let mut budget = webhook::MAX_BODY_BYTES / 2;
    while budget >= 256 {
        let chunks = split::split(body, budget);
        let parts = labelled(title, &chunks, |chunk| part_data(data, &all_items, chunk));
        if parts.iter().all(fits) {
            return Some(parts);
        }
        budget = budget * 3 / 4;
    }
    // Details too large even for small parts: the text carries the items.
    let slim = without_lists(data);
    let chunks = split::split(body, webhook::MAX_BODY_BYTES / 4);
    Some(labelled(title, &chunks, |_| slim.clone()))
}

/// The webhook JSON body's length for `part`.
fn json_len(part: &Part) -> usize {
    webhook::body(&Outgoing {
        id: "01JZZZZZZZZZZZZZZZZZZZZZZZ".into(),
        created_at: 0,
        kind: "rectification_overdue".into(),
        title: part.title.clone(),
        markdown: part.markdown.clone(),
        html: String::new(),
        data: part.data.clone(),
        mentions: Mentions::default(),
    })
    .len()
}

/// `chunks` as parts `1/n … n/n`.
fn labelled(title: &str, chunks: &[String], data: impl Fn(&str) -> Value) -> Vec<Part> {
    let n = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let i = i + 1;
            let mut d = data(chunk);
            if let Value::Object(map) = &mut d {
                map.insert("part".into(), json!(i));
                map.insert("parts".into(), json!(n));
            }
            Part {
                label: Some(format!("part {i}/{n}")),
                title: format!("{title}（{i}/{n}）"),
                markdown: format!("**{title}（{i}/{n}）**\n\n{chunk}"),
                data: d,
                mentions: i == 1,
            }
        })
        .collect()
}

/// The body without its `**title**` heading (each part gets its own).
fn strip_heading<'a>(title: &str, markdown: &'a str) -> &'a str {
    markdown
        .strip_prefix(&format!("**{title}**\n\n"))
        .unwrap_or(markdown)
}

fn items(data: &Value) -> Vec<String> {
    data.get("items")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `data` with `items` (and `account_ids`, when it runs beside them) cut down to the
/// items listed in `chunk`.
fn part_data(data: &Value, all_items: &[String], chunk: &str) -> Value {
    if all_items.is_empty() {
        return data.clone();
    }
    let lines: Vec<&str> = chunk.lines().collect();
    let keep: Vec<usize> = all_items
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            // Rendered as `- {item}`, escaped (one line).
            let line = super::render::escape_markdown(item);
            lines
                .iter()
                .any(|l| l.strip_prefix("- ") == Some(line.as_str()))
        })
        .map(|(i, _)| i)
        .collect();
    let mut d = data.clone();
    if let Value::Object(map) = &mut d {
        let pick = |v: &Value| -> Value {
            v.as_array()
                .filter(|a| a.len() == all_items.len())
                .map(|a| Value::Array(keep.iter().filter_map(|&i| a.get(i).cloned()).collect()))
                .unwrap_or(Value::Array(Vec::new()))
        };
        for key in ["items", "account_ids"] {
            if let Some(v) = map.get(key) {
                let picked = pick(v);
                map.insert(key.into(), picked);
            }
        }
    }
    d
}

/// `data` without its lists (digest items and ids).
fn without_lists(data: &Value) -> Value {
    let mut d = data.clone();
    if let Value::Object(map) = &mut d {
        map.retain(|_, v| !v.is_array());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: usize) -> (String, String, Value) {
        let title = "密码轮换已逾期".to_string();
        let items: Vec<String> = (0..n)
            .map(|i| format!("政务新媒体账号{i:04} · 2026-11-30 09:00 · 已逾期 12 天"))
            .collect();
        let ids: Vec<String> = (0..n).map(|i| format!("ACCT{i:022}")).collect();
        let mut markdown =
            format!("**{title}**\n\n区政务服务中心 有 {n} 个账号的密码已超期未更换。\n");
        for item in &items {
            markdown.push_str(&format!("\n- {item}"));
        }
        let data =
            json!({ "unit": "区政务服务中心", "count": n, "items": items, "account_ids": ids });
        (title, markdown, data)
    }

    fn mentions() -> Mentions {
        Mentions {
            wecom_user_ids: vec!["zhangsan".into(), "lisi".into()],
            dingtalk_user_ids: vec!["ding01".into()],
            mobiles: vec!["13800000000".into()],
        }
    }

    #[test]
    fn short_messages_stay_whole_everywhere() {
        let (title, markdown, data) = digest(3);
        for channel in [
            Channel::Email,
            Channel::Wecom,
            Channel::Dingtalk,
            Channel::Webhook,
        ] {
            let p = parts(channel, &title, &markdown, &data, &mentions());
            assert_eq!(p.len(), 1, "{channel}");
            assert_eq!(p[0].markdown, markdown);
            assert_eq!(p[0].label, None);
        }
    }

    #[test]
    fn long_digests_are_cut_per_channel_and_lose_no_line() {
        let (title, markdown, data) = digest(400);
        assert!(markdown.len() > webhook::MAX_BODY_BYTES);
        let m = mentions();
        let email = parts(Channel::Email, &title, &markdown, &data, &m);
        assert_eq!(email.len(), 1);
        for (channel, max) in [
            (Channel::Wecom, WECOM_MAX_BYTES),
            (Channel::Dingtalk, DINGTALK_MAX_BYTES),
        ] {
            let p = parts(channel, &title, &markdown, &data, &m);
            let n = p.len();
            assert!(n > 1, "{channel}");
            for (i, part) in p.iter().enumerate() {
                let extra = if part.mentions {
                    match channel {
                        Channel::Wecom => wecom_mention_bytes(&m),
                        _ => dingtalk_mention_bytes(&m),
                    }
                } else {
                    0
                };
                assert!(part.markdown.len() + extra <= max, "{channel} part {i}");
                assert!(part.markdown.contains(&format!("（{}/{n}）", i + 1)));
                assert_eq!(part.label, Some(format!("part {}/{n}", i + 1)));
                assert_eq!(part.mentions, i == 0);
            }
            for item in items(&data) {
                assert!(
                    p.iter()
                        .any(|part| part.markdown.contains(&format!("- {item}"))),
                    "{channel} lost {item}"
                );
            }
        }
        let p = parts(Channel::Webhook, &title, &markdown, &data, &m);
        assert!(p.len() > 1);
        let mut seen = Vec::new();
        for part in &p {
            assert!(json_len(part) <= webhook::MAX_BODY_BYTES);
            let its = items(&part.data);
            assert_eq!(
                its.len(),
                part.data["account_ids"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or(0)
            );
            seen.extend(its);
        }
        assert_eq!(seen, items(&data), "every item once, in order");
    }

    #[test]
    fn details_too_large_for_any_part_lose_their_lists_not_the_text() {
        let title = "t";
        let markdown = "**t**\n\nshort";
        let data = json!({ "unit": "u", "blob": vec!["x".repeat(100); 400] });
        let p = parts(
            Channel::Webhook,
            title,
            markdown,
            &data,
            &Mentions::default(),
        );
        assert!(
            p.iter()
                .all(|part| json_len(part) <= webhook::MAX_BODY_BYTES)
        );
        assert!(p[0].markdown.contains("short"));
    }
}
