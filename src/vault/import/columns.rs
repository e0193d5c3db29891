//! The documented column set (Chinese or English headers) and the labels accepted for
//! platforms and classifications.

use std::fmt;

use crate::vault::model::{Classification, Platform};

/// One column of the import file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Name,
    Platform,
    LoginName,
    Password,
    Classification,
    LoginUrl,
    BoundPhone,
    BoundEmail,
    Notes,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Name,
        Field::Platform,
        Field::LoginName,
        Field::Password,
        Field::Classification,
        Field::LoginUrl,
        Field::BoundPhone,
        Field::BoundEmail,
        Field::Notes,
    ];

    /// The English header, also the API field name.
    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Platform => "platform",
            Field::LoginName => "login_name",
            Field::Password => "password",
            Field::Classification => "classification",
            Field::LoginUrl => "login_url",
            Field::BoundPhone => "bound_phone",
            Field::BoundEmail => "bound_email",
            Field::Notes => "notes",
        }
    }

    /// The Chinese header.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "名称",
            Field::Platform => "平台",
            Field::LoginName => "登录名",
            Field::Password => "密码",
            Field::Classification => "级别",
            Field::LoginUrl => "登录地址",
            Field::BoundPhone => "绑定手机",
            Field::BoundEmail => "绑定邮箱",
            Field::Notes => "备注",
        }
    }

    pub fn required(self) -> bool {
        matches!(
            self,
            Field::Name | Field::Platform | Field::LoginName | Field::Password
        )
    }

    /// Maps a header cell: Chinese or English, trimmed, case-insensitive; spaces and
    /// hyphens count as underscores (`Login Name` = `login_name`).
    pub fn from_header(header: &str) -> Option<Field> {
        let h: String = header
            .trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Field::ALL
            .into_iter()
            .find(|f| h == f.key() || h == f.label())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.label(), self.key())
    }
}

/// Every column as `名称/name`, required ones first, for error messages.
pub fn known_columns() -> String {
    let mut out = Vec::new();
    for f in Field::ALL {
        let mark = if f.required() { " (required)" } else { "" };
        out.push(format!("{f}{mark}"));
    }
    out.join(", ")
}

/// The same in Chinese (`名称/name（必填）、…`).
pub fn known_columns_zh() -> String {
    let mut out = Vec::new();
    for f in Field::ALL {
        let mark = if f.required() { "（必填）" } else { "" };
        out.push(format!("{f}{mark}"));
    }
    out.join("、")
}

/// Chinese labels of the platforms (the API codes are accepted too).
const PLATFORM_LABELS: &[(&str, Platform)] = &[
    ("政府网站", Platform::GovWebsiteCms),
    ("网站后台", Platform::GovWebsiteCms),
    ("政府网站内容管理系统", Platform::GovWebsiteCms),
    ("微信公众号", Platform::WechatOfficial),
    ("公众号", Platform::WechatOfficial),
    ("微信小程序", Platform::WechatMiniProgram),
    ("小程序", Platform::WechatMiniProgram),
    ("微博", Platform::Weibo),
    ("新浪微博", Platform::Weibo),
    ("抖音", Platform::Douyin),
    ("今日头条", Platform::Toutiao),
    ("头条", Platform::Toutiao),
    ("头条号", Platform::Toutiao),
    ("快手", Platform::Kuaishou),
    ("哔哩哔哩", Platform::Bilibili),
    ("b站", Platform::Bilibili),
    ("小红书", Platform::Xiaohongshu),
    ("邮箱", Platform::Email),
    ("电子邮箱", Platform::Email),
    ("域名注册商", Platform::DomainRegistrar),
    ("域名", Platform::DomainRegistrar),
    ("云控制台", Platform::CloudConsole),
    ("其他", Platform::Other),
    ("其它", Platform::Other),
];

/// A platform from its API code (`wechat_official`, any case) or Chinese label (`微信公众号`).
pub fn parse_platform(s: &str) -> Option<Platform> {
    let s = s.trim().to_lowercase();
    Platform::parse(&s).or_else(|| {
        PLATFORM_LABELS
            .iter()
            .find(|(label, _)| *label == s)
            .map(|(_, p)| *p)
    })
}

/// What a bad platform message lists: the documented labels, then the API codes.
pub fn platform_choices() -> String {
    let codes: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
    format!(
        "微信公众号 微信小程序 微博 抖音 今日头条 快手 哔哩哔哩/B站 小红书 邮箱 域名注册商/域名 \
         云控制台 政府网站/网站后台 其他, or {}",
        codes.join(" ")
    )
}

/// The same in Chinese (`…、其他，或 API 代码 …`).
pub fn platform_choices_zh() -> String {
    let codes: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
    format!(
        "微信公众号、微信小程序、微博、抖音、今日头条、快手、哔哩哔哩/B站、小红书、邮箱、\
         域名注册商/域名、云控制台、政府网站/网站后台、其他，或接口代码 {}",
        codes.join(" ")
    )
}

/// A classification from `core`/`important`/`general` (any case) or 核心/重要/一般.
pub fn parse_classification(s: &str) -> Option<Classification> {
    let s = s.trim().to_lowercase();
    Classification::parse(&s).or(match s.as_str() {
        "核心" => Some(Classification::Core),
        "重要" => Some(Classification::Important),
        "一般" => Some(Classification::General),
        _ => None,
    })
}

/// Spreadsheet-style column name: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_in_both_languages_case_and_space_insensitive() {
        assert_eq!(Field::from_header("名称"), Some(Field::Name));
        assert_eq!(Field::from_header(" 密码 "), Some(Field::Password));
        assert_eq!(Field::from_header("\u{3000}平台"), Some(Field::Platform));
        assert_eq!(Field::from_header("NAME"), Some(Field::Name));
        assert_eq!(Field::from_header("Login Name"), Some(Field::LoginName));
        assert_eq!(Field::from_header("login-name"), Some(Field::LoginName));
        assert_eq!(Field::from_header("login_url"), Some(Field::LoginUrl));
        assert_eq!(Field::from_header("绑定邮箱"), Some(Field::BoundEmail));
        assert_eq!(Field::from_header("级别"), Some(Field::Classification));
        assert_eq!(
            Field::from_header("Classification"),
            Some(Field::Classification)
        );
        assert_eq!(Field::from_header("口令"), None);
        assert_eq!(Field::from_header(""), None);
        for f in Field::ALL {
            assert_eq!(Field::from_header(f.key()), Some(f));
            assert_eq!(Field::from_header(f.label()), Some(f));
        }
    }

    #[test]
    fn platform_labels_and_codes() {
        assert_eq!(
            parse_platform("wechat_official"),
            Some(Platform::WechatOfficial)
        );
        assert_eq!(
            parse_platform("WeChat_Official"),
            Some(Platform::WechatOfficial)
        );
        assert_eq!(parse_platform("微信公众号"), Some(Platform::WechatOfficial));
        assert_eq!(
            parse_platform("微信小程序"),
            Some(Platform::WechatMiniProgram)
        );
        assert_eq!(parse_platform("微博"), Some(Platform::Weibo));
        assert_eq!(parse_platform("抖音"), Some(Platform::Douyin));
        assert_eq!(parse_platform("今日头条"), Some(Platform::Toutiao));
        assert_eq!(parse_platform("快手"), Some(Platform::Kuaishou));
        assert_eq!(parse_platform("哔哩哔哩"), Some(Platform::Bilibili));
        assert_eq!(parse_platform("B站"), Some(Platform::Bilibili));
        assert_eq!(parse_platform("b站"), Some(Platform::Bilibili));
        assert_eq!(parse_platform("小红书"), Some(Platform::Xiaohongshu));
        assert_eq!(parse_platform("邮箱"), Some(Platform::Email));
        assert_eq!(
            parse_platform("域名注册商"),
            Some(Platform::DomainRegistrar)
        );
        assert_eq!(parse_platform("域名"), Some(Platform::DomainRegistrar));
        assert_eq!(parse_platform("云控制台"), Some(Platform::CloudConsole));
        assert_eq!(parse_platform("政府网站"), Some(Platform::GovWebsiteCms));
        assert_eq!(parse_platform("网站后台"), Some(Platform::GovWebsiteCms));
        assert_eq!(parse_platform(" 其他 "), Some(Platform::Other));
        assert_eq!(parse_platform("myspace"), None);
        assert_eq!(parse_platform(""), None);
        for p in Platform::ALL {
            assert_eq!(parse_platform(p.as_str()), Some(*p));
        }
        let choices = platform_choices();
        assert!(choices.contains("B站") && choices.contains("wechat_official"));
        let zh = platform_choices_zh();
        let (labels, codes) = zh.split_once('，').unwrap();
        for label in labels.split(['、', '/']) {
            assert!(parse_platform(label).is_some(), "{label}");
        }
        assert!(codes.contains("wechat_official"), "{zh}");
    }

    #[test]
    fn classifications() {
        assert_eq!(parse_classification("核心"), Some(Classification::Core));
        assert_eq!(
            parse_classification("重要"),
            Some(Classification::Important)
        );
        assert_eq!(parse_classification("一般"), Some(Classification::General));
        assert_eq!(parse_classification("Core"), Some(Classification::Core));
        assert_eq!(
            parse_classification("general"),
            Some(Classification::General)
        );
        assert_eq!(parse_classification("绝密"), None);
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
