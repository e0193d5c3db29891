//! The body of `PUT /me/notifications` and its checks. The body replaces the person's
//! preferences whole; each refusal names its field.

use serde::Deserialize;

use crate::error::InputError;
use crate::notify::kinds::{Lang, NotificationKind};
use crate::notify::settings::input::plausible_email;

/// Longest WeCom / DingTalk user id taken (both platforms allow 64).
pub const MAX_USER_ID: usize = 64;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefsInput {
    /// Where your notices are e-mailed; null: the address in the user directory.
    #[serde(default)]
    pub email: Option<String>,
    /// Your mobile number for robot mentions (11 digits, optionally +86); null: the
    /// directory's phone.
    #[serde(default)]
    pub mobile: Option<String>,
    /// Your WeCom user id, mentioned by WeCom group robots.
    #[serde(default)]
    pub wecom_user_id: Option<String>,
    /// Your DingTalk user id, mentioned by DingTalk robots.
    #[serde(default)]
    pub dingtalk_user_id: Option<String>,
    /// `zh-CN` (default) or `en`: the language of your inbox and your e-mail.
    #[serde(default)]
    pub lang: Option<String>,
    /// Kinds you do not want by e-mail (they still reach your inbox). Security kinds
    /// (`privileged_lockout`, `audit_verify_failed`, `key_rotated`) cannot be muted.
    #[serde(default)]
    pub muted_kinds: Vec<String>,
}

/// Preferences that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub wecom_user_id: Option<String>,
    pub dingtalk_user_id: Option<String>,
    pub lang: Lang,
    pub muted_kinds: Vec<NotificationKind>,
}

fn given(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

pub fn check(input: PrefsInput) -> Result<Checked, InputError> {
    let email = given(input.email).map(|e| e.to_lowercase());
    if let Some(e) = &email
        && !plausible_email(e)
    {
        return Err(InputError::field(
            "email",
            format!("{e:?} is not an e-mail address (name@example.gov.cn)"),
        )
        .zh(format!(
            "{e:?} 不是电子邮件地址（应为 name@example.gov.cn 这样的格式）。"
        )));
    }
    let mobile = given(input.mobile).map(|m| mobile(&m)).transpose()?;
    let wecom_user_id = given(input.wecom_user_id)
        .map(|id| platform_id("wecom_user_id", id))
        .transpose()?;
    let dingtalk_user_id = given(input.dingtalk_user_id)
        .map(|id| platform_id("dingtalk_user_id", id))
        .transpose()?;
    let lang = match given(input.lang) {
        None => Lang::ZhCn,
        Some(l) => Lang::parse(&l).ok_or_else(|| {
            InputError::field("lang", "lang must be zh-CN or en")
                .zh("语言只能是 zh-CN（简体中文）或 en（英文）。")
        })?,
    };
    let mut muted_kinds = Vec::new();
    for text in &input.muted_kinds {
        let kind = NotificationKind::parse(text.trim()).ok_or_else(|| {
            let known = NotificationKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            InputError::field(
                "muted_kinds",
                format!("{text:?} is not a notification kind; known kinds: {known}"),
            )
            .zh(format!("{text:?} 不是通知类型；可用的类型：{known}。"))
        })?;
        if kind.always_emailed() {
            return Err(InputError::field(
                "muted_kinds",
                format!("{kind} cannot be muted: security notices always reach you by e-mail"),
            )
            .zh(format!(
                "“{}”（{kind}）不能屏蔽：安全通知总会通过电子邮件发给您。",
                kind.title(Lang::ZhCn)
            )));
        }
        if !muted_kinds.contains(&kind) {
            muted_kinds.push(kind);
        }
    }
    Ok(Checked {
        email,
        mobile,
        wecom_user_id,
        dingtalk_user_id,
        lang,
        muted_kinds,
    })
}

/// A mainland mobile number as robots take it: 11 digits starting with 1 (a leading
/// `+86`/`86` and spaces or dashes are dropped).
fn mobile(raw: &str) -> Result<String, InputError> {
    let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("86").filter(|d| d.len() == 11))
        .unwrap_or(&compact);
    let ok =
        digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(digits.to_string())
    } else {
        Err(InputError::field(
            "mobile",
            "give an 11-digit mobile number, e.g. 13800138000 or +86 138 0013 8000",
        )
        .zh("请填写 11 位手机号，例如 13800138000 或 +86 138 0013 8000。"))
    }
}

/// A WeCom or DingTalk user id: 1 to 64 letters, digits, `_ - . @`.
fn platform_id(field: &str, id: String) -> Result<String, InputError> {
    let ok = id.len() <= MAX_USER_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if ok {
        Ok(id)
    } else {
        Err(InputError::field(
            field,
            format!("a user id is 1 to {MAX_USER_ID} letters, digits, _ - . or @"),
        )
        .zh(format!(
            "用户 ID 须为 1 至 {MAX_USER_ID} 个字母、数字或 _ - . @。"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: serde_json::Value) -> Result<Checked, InputError> {
        check(serde_json::from_value(v).unwrap())
    }

    fn field(v: serde_json::Value) -> String {
        body(v).err().and_then(|e| e.field).unwrap_or_default()
    }

    #[test]
    fn defaults_and_normalising() {
        let c = body(serde_json::json!({})).unwrap();
        assert_eq!((c.lang, c.email, c.muted_kinds), (Lang::ZhCn, None, vec![]));
        let c = body(
            serde_json::json!({ "mobile": "+86 138-0013-8000", "email": " Li@Gov.CN ",
            "lang": "en", "muted_kinds": ["daily_summary", "daily_summary"] }),
        )
        .unwrap();
        assert_eq!(c.mobile.as_deref(), Some("13800138000"));
        assert_eq!(c.email.as_deref(), Some("li@gov.cn"));
        assert_eq!(c.lang, Lang::En);
        assert_eq!(c.muted_kinds, vec![NotificationKind::DailySummary]);
        assert_eq!(
            body(serde_json::json!({ "mobile": "8613800138000" }))
                .unwrap()
                .mobile
                .as_deref(),
            Some("13800138000")
        );
    }

    #[test]
    fn refusals_name_the_field() {
        assert_eq!(field(serde_json::json!({ "email": "nope" })), "email");
        for m in ["12345", "0571-88888888", "1380013800a", "+1 13800138000"] {
            assert_eq!(field(serde_json::json!({ "mobile": m })), "mobile", "{m}");
        }
        assert_eq!(
            field(serde_json::json!({ "wecom_user_id": "a b" })),
            "wecom_user_id"
        );
        let long = "x".repeat(65);
        assert_eq!(
            field(serde_json::json!({ "dingtalk_user_id": long })),
            "dingtalk_user_id"
        );
        assert_eq!(field(serde_json::json!({ "lang": "fr" })), "lang");
        let e = body(serde_json::json!({ "muted_kinds": ["weather"] })).unwrap_err();
        assert!(e.message.contains("\"weather\""), "{}", e.message);
        let e = body(serde_json::json!({ "muted_kinds": ["privileged_lockout"] })).unwrap_err();
        assert!(e.message.contains("cannot be muted"), "{}", e.message);
    }
}
