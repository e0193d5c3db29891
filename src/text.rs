//! Validated text: the one place that trims, bounds and screens what people type into
//! names, notes and reasons. Each newtype's `parse(field, raw)` trims, counts characters
//! (not bytes, so 「发布通知」 is four) and answers 422 `invalid_input` naming the field,
//! in English for every edge and in Chinese for the console's zh-CN pages.

use std::fmt;

use crate::error::InputError;

/// Which control characters a kind of text may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Controls {
    /// None: one-line names and identifiers.
    Rejected,
    /// Line breaks only: multi-line notes.
    NewlinesOnly,
    /// Any: free text that is only stored and shown escaped.
    Allowed,
}

/// The bounds of a kind of text, in characters after trimming.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub min: usize,
    pub max: usize,
    pub controls: Controls,
}

impl Rule {
    /// The trimmed text, or 422 `invalid_input` naming `field`.
    pub fn check(&self, field: &str, raw: &str) -> Result<String, InputError> {
        let v = raw.trim();
        let n = v.chars().count();
        let bad_char = match self.controls {
            Controls::Rejected => v.chars().any(char::is_control),
            Controls::NewlinesOnly => v.chars().any(|c| c.is_control() && c != '\n'),
            Controls::Allowed => false,
        };
        if n < self.min || n > self.max || bad_char {
            return Err(InputError::field(field, self.message(field)).zh(self.message_zh(field)));
        }
        Ok(v.to_string())
    }

    fn message(&self, field: &str) -> String {
        let (min, max) = (self.min, self.max);
        let kind = match self.controls {
            Controls::Allowed => "characters",
            _ => "printable characters",
        };
        if min == 0 {
            format!("{field} must be at most {max} {kind}")
        } else {
            format!("{field} must be {min} to {max} {kind}")
        }
    }

    /// The same rule in Chinese, naming the field as the console labels it.
    fn message_zh(&self, field: &str) -> String {
        let (min, max, label) = (self.min, self.max, field_zh(field));
        let bounds = match min {
            0 => format!("{label}最多 {max} 个字符"),
            1 => format!("{label}不能为空，最多 {max} 个字符"),
            _ => format!("{label}须为 {min} 至 {max} 个字符"),
        };
        match self.controls {
            Controls::Rejected => format!("{bounds}，且不能包含换行、制表符等控制字符。"),
            Controls::NewlinesOnly => format!("{bounds}，除换行外不能包含控制字符。"),
            Controls::Allowed => format!("{bounds}。"),
        }
    }
}

/// What the console calls a field a person fills in, for the Chinese sentence of an
/// [`InputError`] naming it (`登录名不能为空…`); an unknown field is named as sent.
pub fn field_zh(field: &str) -> &str {
    FIELDS_ZH
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(field, |(_, zh)| zh)
}

/// The fields the services name in their refusals, with their Chinese names (the
/// words of the console's forms).
const FIELDS_ZH: &[(&str, &str)] = &[
    // Accounts
    ("name", "名称"),
    ("login_name", "登录名"),
    ("login_url", "登录地址"),
    ("bound_phone", "绑定手机"),
    ("bound_email", "绑定邮箱"),
    ("notes", "备注"),
    ("feed_url", "更新检测地址"),
    ("totp_secret", "动态码密钥"),
    ("version", "版本号"),
    // Publications
    ("title", "标题"),
    ("url", "链接"),
    ("published_at", "发布时间"),
    // People and units
    ("display_name", "姓名"),
    ("phone", "手机号"),
    ("email", "电子邮箱"),
    ("code", "单位代码"),
    ("expires_at", "有效期"),
    // Handovers and rectification
    ("note", "备注"),
    ("evidence", "情况说明"),
    ("reason", "原因"),
    ("effective_at", "生效时间"),
    ("accept_risk_until", "风险接受截止日期"),
    // Lists and reports
    ("state", "状态"),
    ("rule", "检查规则"),
    ("severity", "严重程度"),
    ("from", "开始日期"),
    ("to", "结束日期"),
    ("days", "天数"),
    ("limit", "每页条数"),
    ("after", "起始序号"),
    ("cursor", "翻页位置"),
];

macro_rules! text_types {
    ($($(#[$doc:meta])* $name:ident($min:expr, $max:expr, $controls:ident);)+) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const RULE: Rule = Rule { min: $min, max: $max, controls: Controls::$controls };

            /// The trimmed text, or 422 `invalid_input` naming `field`.
            pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
                Self::RULE.check(field, raw).map(Self)
            }

            /// Like `parse`, but absent or blank is `None`.
            pub fn parse_optional(field: &str, raw: Option<&str>) -> Result<Option<Self>, InputError> {
                match raw {
                    Some(r) if !r.trim().is_empty() => Self::parse(field, r).map(Some),
                    _ => Ok(None),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    )+

        /// Every text type: its name, rule and `parse`, for the tests.
        #[cfg(test)]
        const VALIDATORS: &[(&str, Rule, fn(&str, &str) -> Result<(), InputError>)] = &[$(
            (stringify!($name), $name::RULE, |field, raw| $name::parse(field, raw).map(drop)),
        )+];
    };
}

text_types! {
    /// The name of a unit, an account or an API token: 1 to 100 printable characters.
    Name(1, 100, Rejected);
    /// A person's name as shown: 1 to 64 printable characters.
    DisplayName(1, 64, Rejected);
    /// The login of an account on its platform: 1 to 200 printable characters.
    LoginName(1, 200, Rejected);
    /// Why something sensitive is done (recorded in the audit trail): 4 to 500 characters.
    Reason(4, 500, Allowed);
    /// What was done to complete a handover step: 2 to 1000 characters.
    Evidence(2, 1000, Allowed);
    /// What a unit did to fix a finding (整改情况), submitted for review: 2 to 2000
    /// characters, line breaks allowed.
    RectificationEvidence(2, 2000, NewlinesOnly);
    /// A short remark on a handover step: at most 1000 characters.
    Note(0, 1000, Allowed);
    /// Longer notes kept with an account: at most 2000 characters, line breaks allowed.
    LongNote(0, 2000, NewlinesOnly);
    /// A telephone number: at most 32 printable characters.
    Phone(0, 32, Rejected);
    /// An e-mail address: at most 254 printable characters.
    Email(0, 254, Rejected);
    /// A web address: at most 500 printable characters.
    Url(0, 500, Rejected);
    /// An organisation's own code for a unit: at most 64 printable characters.
    UnitCode(0, 64, Rejected);
    /// The title of a publication (an article, a post): at most 200 printable characters.
    Title(0, 200, Rejected);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: InputError) -> String {
        e.message
    }

    #[test]
    fn trims_and_keeps_the_inside() {
        assert_eq!(
            Name::parse("name", "  门户 网站 \t").unwrap().as_str(),
            "门户 网站"
        );
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(Name::parse("name", "").is_err());
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", "a").is_ok());
        assert!(Name::parse("name", &"a".repeat(100)).is_ok());
        assert!(Name::parse("name", &"a".repeat(101)).is_err());
        assert!(Reason::parse("reason", "abc").is_err());
        assert!(Reason::parse("reason", "  abcd  ").is_ok());
        assert!(Reason::parse("reason", &"x".repeat(501)).is_err());
    }

    #[test]
    fn cjk_counts_characters_not_bytes() {
        // Four characters, twelve bytes.
        assert!(Reason::parse("reason", "发布通知").is_ok());
        assert!(Reason::parse("reason", "年检").is_err());
        // 64 CJK characters are 192 bytes and still a valid display name.
        assert!(DisplayName::parse("display_name", &"张".repeat(64)).is_ok());
        assert!(DisplayName::parse("display_name", &"张".repeat(65)).is_err());
    }

    #[test]
    fn control_characters() {
        assert!(Name::parse("name", "a\u{0}b").is_err());
        assert!(LoginName::parse("login_name", "a\nb").is_err());
        assert_eq!(
            LongNote::parse("notes", "line 1\nline 2").unwrap().as_str(),
            "line 1\nline 2"
        );
        assert!(LongNote::parse("notes", "a\u{7}b").is_err());
        assert!(Reason::parse("reason", "why\tnot").is_ok());
    }

    #[test]
    fn optional_blank_is_none() {
        assert_eq!(Phone::parse_optional("phone", None).unwrap(), None);
        assert_eq!(Phone::parse_optional("phone", Some("  ")).unwrap(), None);
        assert_eq!(
            Phone::parse_optional("phone", Some(" 123 ")).unwrap(),
            Some(Phone("123".into()))
        );
        assert!(Phone::parse_optional("phone", Some(&"1".repeat(33))).is_err());
    }

    /// Every refusal of every text type carries a Chinese sentence with the same bounds
    /// and the field's Chinese name.
    #[test]
    fn every_refusal_carries_a_chinese_sentence() {
        assert_eq!(
            VALIDATORS.len(),
            13,
            "a text type is missing from VALIDATORS"
        );
        for (name, rule, parse) in VALIDATORS {
            let mut refused = vec![format!("x{}", "y".repeat(rule.max))];
            if rule.min > 0 {
                refused.push(String::new());
            }
            if rule.controls != Controls::Allowed {
                refused.push(format!("ab\u{7}{}", "c".repeat(rule.min)));
            }
            for raw in refused {
                let e = parse("login_name", &raw).unwrap_err();
                let zh = e.zh.as_deref().unwrap_or_else(|| panic!("{name}: no zh"));
                assert!(zh.starts_with("登录名"), "{name}: {zh}");
                assert!(zh.contains(&rule.max.to_string()), "{name}: {zh}");
                if rule.min > 1 {
                    assert!(zh.contains(&rule.min.to_string()), "{name}: {zh}");
                }
                assert!(zh.ends_with('。'), "{name}: {zh}");
            }
        }
    }

    #[test]
    fn chinese_sentences_read_naturally() {
        let zh = |e: InputError| e.zh.unwrap_or_default();
        assert_eq!(
            zh(Name::parse("name", "").unwrap_err()),
            "名称不能为空，最多 100 个字符，且不能包含换行、制表符等控制字符。"
        );
        assert_eq!(
            zh(Reason::parse("reason", "年检").unwrap_err()),
            "原因须为 4 至 500 个字符。"
        );
        assert_eq!(
            zh(LongNote::parse("notes", "a\u{7}b").unwrap_err()),
            "备注最多 2000 个字符，除换行外不能包含控制字符。"
        );
    }

    /// Every field the code hands a text type (or a URL or number check) has a Chinese
    /// name, so the Chinese sentence never names a field in English.
    #[test]
    fn every_field_checked_has_a_chinese_name() {
        let mut calls: Vec<String> = VALIDATORS
            .iter()
            .flat_map(|(name, _, _)| {
                [
                    format!("{name}::parse("),
                    format!("{name}::parse_optional("),
                ]
            })
            .collect();
        calls.extend(["parse_http_url(".into(), "in_range(".into()]);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![root];
        let mut seen = 0;
        let mut unnamed = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for call in &calls {
                    for (i, _) in text.match_indices(call.as_str()) {
                        // `url::Url::parse(` is not ours, nor the names above.
                        if text[..i].ends_with("url::") || text[..i].ends_with('"') {
                            continue;
                        }
                        let rest = text[i + call.len()..].trim_start();
                        let Some(literal) = rest.strip_prefix('"') else {
                            continue;
                        };
                        let field = &literal[..literal.find('"').unwrap()];
                        seen += 1;
                        if field_zh(field) == field {
                            unnamed.push(format!("{}: {field}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 30, "the scan found too few fields: {seen}");
        assert!(
            unnamed.is_empty(),
            "fields without a Chinese name: {unnamed:?}"
        );
    }

    #[test]
    fn messages_name_the_field_and_the_bounds() {
        let e = DisplayName::parse("display_name", "").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("display_name"));
        assert_eq!(
            message(e),
            "display_name must be 1 to 64 printable characters"
        );
        let e = Email::parse("email", "a\u{0}").unwrap_err();
        assert_eq!(message(e), "email must be at most 254 printable characters");
        let e = Evidence::parse("evidence", "x").unwrap_err();
        assert_eq!(message(e), "evidence must be 2 to 1000 characters");
    }
}
