//! The accounts each unit keeps, drawn with a seeded generator so every demo district is
//! the same: WeChat official accounts and website back ends first, as in a real
//! district, then Weibo, Douyin, Toutiao, mailboxes, mini-programs, the portal's domain
//! registrar and cloud console.

use rand::Rng;
use rand::rngs::StdRng;

use super::units::{Flavour, UNITS, UnitSpec};
use crate::vault::{Classification, Platform};

use Classification::{Core, General, Important};
use Platform::*;

/// One account to register.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    /// Index in [`UNITS`].
    pub unit: usize,
    pub name: String,
    pub platform: Platform,
    pub classification: Classification,
    pub login_name: String,
    pub login_url: Option<&'static str>,
}

/// (platform, classification, name pattern, probability); `{b}` is the unit's brand,
/// `{u}` its name.
type Template = (Platform, Classification, &'static str, f64);

const DEPARTMENT: &[Template] = &[
    (
        GovWebsiteCms,
        Important,
        "区政府门户网站「{u}」栏目后台",
        1.0,
    ),
    (WechatOfficial, Important, "「{b}」微信公众号", 1.0),
    (Email, General, "{u}政务邮箱", 1.0),
    (GovWebsiteCms, Important, "「{u}」政务公开专栏后台", 0.8),
    (Weibo, General, "「{b}」官方微博", 0.9),
    (Douyin, General, "「{b}」抖音号", 0.8),
    (Toutiao, General, "「{b}」头条号", 0.6),
    (Other, General, "「{b}」微信视频号", 0.6),
    (WechatOfficial, General, "「{b}」服务号", 0.5),
    (GovWebsiteCms, Important, "{u}网上办事大厅后台", 0.5),
    (WechatMiniProgram, General, "「{b}」小程序", 0.4),
    (Kuaishou, General, "「{b}」快手号", 0.35),
    (Other, General, "{u}12345工单系统账号", 0.5),
    (Email, General, "{u}信息公开邮箱", 0.4),
    (CloudConsole, Core, "{u}政务云主机控制台", 0.2),
];

const PORTAL: &[Template] = &[
    (GovWebsiteCms, Core, "区政府门户网站后台（站群管理）", 1.0),
    (DomainRegistrar, Core, "门户网站域名注册商账号", 1.0),
    (CloudConsole, Core, "政府网站集约化平台云控制台", 1.0),
    (Other, Important, "门户网站SSL证书服务商账号", 1.0),
    (WechatOfficial, Core, "「{b}」微信公众号", 1.0),
    (Weibo, Core, "「{b}」官方微博", 1.0),
    (Douyin, Important, "「{b}」抖音号", 1.0),
    (Toutiao, Important, "「{b}」头条号", 1.0),
    (Kuaishou, General, "「{b}」快手号", 1.0),
    (Other, Important, "「{b}」微信视频号", 1.0),
    (Xiaohongshu, General, "「{b}」小红书号", 1.0),
    (Bilibili, General, "「{b}」哔哩哔哩号", 1.0),
    (Email, Core, "区政府政务邮箱系统管理员", 1.0),
    (Email, General, "{u}政务邮箱", 1.0),
    (GovWebsiteCms, Important, "政府信息公开平台后台", 1.0),
    (GovWebsiteCms, Important, "区长信箱后台", 1.0),
    (GovWebsiteCms, Important, "「渝快办」永川专区后台", 1.0),
    (WechatMiniProgram, Important, "「永川政务服务」小程序", 1.0),
];

const MEDIA: &[Template] = &[
    (WechatOfficial, Important, "「{b}」微信公众号", 1.0),
    (WechatOfficial, Important, "「永川日报」微信公众号", 1.0),
    (WechatOfficial, General, "「掌上永川」服务号", 1.0),
    (Weibo, Important, "「{b}」官方微博", 1.0),
    (Douyin, Important, "「{b}」抖音号", 1.0),
    (Douyin, General, "「永川新闻」抖音号", 1.0),
    (Kuaishou, General, "「{b}」快手号", 1.0),
    (Toutiao, General, "「{b}」头条号", 1.0),
    (Bilibili, General, "「{b}」哔哩哔哩号", 1.0),
    (Xiaohongshu, General, "「{b}」小红书号", 1.0),
    (Other, General, "「{b}」微信视频号", 1.0),
    (Other, Important, "「掌上永川」客户端内容管理后台", 1.0),
    (GovWebsiteCms, Important, "永川网新闻发布系统后台", 1.0),
    (Email, General, "{u}政务邮箱", 1.0),
    (DomainRegistrar, Core, "永川网域名注册商账号", 1.0),
    (CloudConsole, Core, "{u}云服务器控制台", 1.0),
];

const INSTITUTION: &[Template] = &[
    (WechatOfficial, Important, "「{b}」微信公众号", 1.0),
    (GovWebsiteCms, Important, "{u}官方网站后台", 1.0),
    (Email, General, "{u}政务邮箱", 1.0),
    (Douyin, General, "「{b}」抖音号", 0.8),
    (Other, General, "「{b}」微信视频号", 0.6),
    (WechatMiniProgram, Important, "「{b}」服务小程序", 0.6),
    (Weibo, General, "「{b}」官方微博", 0.5),
];

const LOCAL: &[Template] = &[
    (WechatOfficial, Important, "「{b}」微信公众号", 1.0),
    (
        GovWebsiteCms,
        Important,
        "区政府门户网站「{u}」栏目后台",
        1.0,
    ),
    (Email, General, "{u}政务邮箱", 1.0),
    (Douyin, General, "「{b}」抖音号", 0.9),
    (GovWebsiteCms, Important, "「{u}」政务公开栏目后台", 0.8),
    (Other, General, "「{b}」微信视频号", 0.7),
    (Weibo, General, "「{b}」官方微博", 0.6),
    (Toutiao, General, "「{b}」头条号", 0.5),
    (Other, General, "{u}网格化管理平台账号", 0.6),
    (Kuaishou, General, "「{b}」快手号", 0.4),
    (WechatOfficial, General, "「{b}」服务号", 0.4),
    (WechatMiniProgram, General, "「{u}便民服务」小程序", 0.3),
];

/// Extra accounts of particular departments (unit index, template).
const EXTRA: &[(usize, Template)] = &[
    (
        3,
        (WechatOfficial, Important, "「文明永川」微信公众号", 1.0),
    ),
    (3, (Weibo, General, "「文明永川」官方微博", 1.0)),
    (
        4,
        (WechatOfficial, Important, "「永川网络举报」微信公众号", 1.0),
    ),
    (
        7,
        (WechatOfficial, Important, "「永川交巡警」微信公众号", 1.0),
    ),
    (7, (Douyin, Important, "「永川交巡警」抖音号", 1.0)),
    (7, (Weibo, Important, "「永川公安」官方微博", 1.0)),
    (
        13,
        (WechatOfficial, Important, "「永川旅游」微信公众号", 1.0),
    ),
    (13, (Douyin, General, "「茶山竹海景区」抖音号", 1.0)),
    (13, (Xiaohongshu, General, "「{b}」小红书号", 1.0)),
    (
        14,
        (WechatOfficial, Important, "「永川疾控」微信公众号", 1.0),
    ),
    (16, (CloudConsole, Core, "区政务云管理平台", 1.0)),
    (16, (DomainRegistrar, Core, "政务服务域名注册商账号", 1.0)),
];

fn templates(spec: &UnitSpec) -> &'static [Template] {
    match spec.flavour {
        Flavour::Department => DEPARTMENT,
        Flavour::Portal => PORTAL,
        Flavour::Media => MEDIA,
        Flavour::Institution => INSTITUTION,
        Flavour::Local => LOCAL,
    }
}

fn login_url(platform: Platform) -> Option<&'static str> {
    Some(match platform {
        WechatOfficial | WechatMiniProgram => "https://mp.weixin.qq.com/",
        Weibo => "https://weibo.com/login.php",
        Douyin => "https://creator.douyin.com/",
        Toutiao => "https://mp.toutiao.com/",
        Kuaishou => "https://cp.kuaishou.com/",
        Bilibili => "https://member.bilibili.com/",
        Xiaohongshu => "https://creator.xiaohongshu.com/",
        GovWebsiteCms => "https://cms.yongchuan.example/admin",
        Email => "https://mail.yongchuan.example/",
        DomainRegistrar => "https://wanwang.aliyun.com/",
        CloudConsole => "https://console.yongchuan.example/",
        Other => return None,
    })
}

/// A login name as each platform has them: mailboxes for WeChat and Weibo, phone
/// numbers (from the reserved-looking 130-0000 block) for the video apps.
fn login_name(spec: &UnitSpec, platform: Platform, n: usize, serial: usize) -> String {
    let code = spec.code;
    match platform {
        WechatOfficial | WechatMiniProgram => format!("yc{code}{n}@yongchuan.example"),
        Weibo | Toutiao | Bilibili | Xiaohongshu => format!("yc_{code}_{n}@yongchuan.example"),
        Douyin | Kuaishou => format!("1300000{:04}", serial % 10_000),
        GovWebsiteCms => format!("{code}_admin{n}"),
        Email => format!("{code}{n}@mail.yongchuan.example"),
        DomainRegistrar => format!("yc-{code}-domain"),
        CloudConsole => format!("yc-{code}-ops"),
        Other => format!("yc-{code}-{n}"),
    }
}

/// Every unit's accounts, in [`UNITS`] order.
pub fn accounts(rng: &mut StdRng) -> Vec<AccountSpec> {
    let mut out: Vec<AccountSpec> = Vec::new();
    for (index, spec) in UNITS.iter().enumerate() {
        let extra = EXTRA.iter().filter(|(u, _)| *u == index).map(|(_, t)| t);
        let mut n = 0;
        for (platform, classification, pattern, p) in templates(spec).iter().chain(extra) {
            if *p < 1.0 && !rng.random_bool(*p) {
                continue;
            }
            n += 1;
            let serial = out.len() + 1;
            out.push(AccountSpec {
                unit: index,
                name: pattern.replace("{b}", spec.brand).replace("{u}", spec.name),
                platform: *platform,
                classification: *classification,
                login_name: login_name(spec, *platform, n, serial),
                login_url: login_url(*platform),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn about_three_hundred_accounts_mostly_wechat_and_websites() {
        let list = accounts(&mut StdRng::seed_from_u64(super::super::SEED));
        assert!((280..=320).contains(&list.len()), "{} accounts", list.len());
        let count = |p: Platform| list.iter().filter(|a| a.platform == p).count();
        let wechat = count(WechatOfficial);
        let web = count(GovWebsiteCms);
        for p in [Weibo, Douyin, Email, Toutiao, Other] {
            assert!(wechat > count(p) && web > count(p), "{p:?}");
        }
        for a in &list {
            assert_eq!(
                list.iter()
                    .filter(|o| o.unit == a.unit && o.name == a.name)
                    .count(),
                1,
                "{} twice in one unit",
                a.name
            );
        }
        // The same seed draws the same district.
        let again = accounts(&mut StdRng::seed_from_u64(super::super::SEED));
        assert_eq!(
            list.iter().map(|a| &a.name).collect::<Vec<_>>(),
            again.iter().map(|a| &a.name).collect::<Vec<_>>()
        );
    }
}
