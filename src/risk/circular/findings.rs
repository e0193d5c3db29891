//! The circular's second sheet (未整改问题清单): every open finding of the subtree with
//! its unit, its account and platform (for callers that may see account-level details),
//! the problem, its severity, when it was first seen and the deadline of its live
//! rectification item. One query; names and dates only, never a secret.

use sqlx::Row;

use crate::app::AppState;
use crate::inspection::{FindingState, Rule, Severity, TargetKind};
use crate::rectification::RectificationState;
use crate::tenancy::Unit;
use crate::vault::Platform;

/// Most findings listed in one circular (a note says when there are more).
pub const MAX_LINES: usize = 50_000;

/// One open finding.
#[derive(Debug, Clone)]
pub struct FindingLine {
    pub unit_name: String,
    /// The account's name (None: not an account's finding, or not shown to the caller).
    pub account: Option<String>,
    /// The account's platform, in Chinese.
    pub platform: Option<String>,
    /// The problem, in Chinese.
    pub problem: &'static str,
    /// 否决 / 高 / 中 / 低.
    pub severity: &'static str,
    pub first_seen: i64,
    /// The live rectification item's deadline, if one is open.
    pub deadline_at: Option<i64>,
}

/// The open findings under `unit`, by unit (tree order) then first seen; and whether
/// there were more than [`MAX_LINES`].
pub async fn open_findings(
    state: &AppState,
    unit: &Unit,
    account_details: bool,
) -> Result<(Vec<FindingLine>, bool), sqlx::Error> {
    let limit = i64::try_from(MAX_LINES).unwrap_or(i64::MAX) + 1;
    let rows = sqlx::query(
        "SELECT u.name AS unit_name, f.rule, f.severity, f.first_seen, \
           a.name AS account_name, a.platform, \
           (SELECT MIN(r.deadline_at) FROM rectifications r WHERE r.finding_id = f.id \
              AND r.state IN ($4, $5, $6)) AS deadline_at \
         FROM findings f JOIN units u ON u.id = f.unit_id \
         LEFT JOIN accounts a ON a.id = f.target_id AND f.target_kind = $3 \
         WHERE u.path LIKE $1 AND f.state = $2 \
         ORDER BY u.path, f.first_seen, f.id LIMIT $7",
    )
    .bind(format!("{}%", unit.path))
    .bind(FindingState::Open.as_str())
    .bind(TargetKind::Account.as_str())
    .bind(RectificationState::Open.as_str())
    .bind(RectificationState::Submitted.as_str())
    .bind(RectificationState::Returned.as_str())
    .bind(limit)
    .fetch_all(state.db.pool())
    .await?;
    let truncated = rows.len() > MAX_LINES;
    let mut out = Vec::with_capacity(rows.len().min(MAX_LINES));
    for r in rows.iter().take(MAX_LINES) {
        let rule: String = r.try_get("rule")?;
        let severity: String = r.try_get("severity")?;
        let (account, platform) = if account_details {
            let platform: Option<String> = r.try_get("platform")?;
            (
                r.try_get("account_name")?,
                platform.map(|p| platform_zh(&p).to_string()),
            )
        } else {
            (None, None)
        };
        out.push(FindingLine {
            unit_name: r.try_get("unit_name")?,
            account,
            platform,
            problem: Rule::parse(&rule).map_or("其他问题", rule_zh),
            severity: Severity::parse(&severity).map_or("", severity_zh),
            first_seen: r.try_get("first_seen")?,
            deadline_at: r.try_get("deadline_at")?,
        });
    }
    Ok((out, truncated))
}

/// A rule's short Chinese name (the ranking's column name where it has one).
pub fn rule_zh(rule: Rule) -> &'static str {
    match rule {
        Rule::WeakPassword => "弱口令",
        Rule::ReusedPassword => "重复使用",
        Rule::RotationOverdue => "超期未修改",
        Rule::RotationDue => "即将到期",
        Rule::RotationPendingStale => "待确认修改",
        Rule::ExposedToDeparted => "离岗人员知悉密码",
        Rule::BindingHolderDeparted => "绑定人已离岗",
        Rule::NoCustodian => "无保管人",
        Rule::HandoverOverdue => "交接超期",
        Rule::MfaNotEnrolled => "未启用双因素认证",
        Rule::ContentStale => "内容超期未更新",
        Rule::ZombieAccount => "僵尸账号",
        Rule::AccountUnreachable => "账号无法访问",
        Rule::CalendarMissing => "节假日日历缺失",
    }
}

pub fn severity_zh(severity: Severity) -> &'static str {
    match severity {
        Severity::Veto => "否决",
        Severity::High => "高",
        Severity::Medium => "中",
        Severity::Low => "低",
    }
}

fn platform_zh(platform: &str) -> &str {
    match Platform::parse(platform) {
        Some(Platform::GovWebsiteCms) => "政府网站",
        Some(Platform::WechatOfficial) => "微信公众号",
        Some(Platform::WechatMiniProgram) => "微信小程序",
        Some(Platform::Weibo) => "微博",
        Some(Platform::Douyin) => "抖音",
        Some(Platform::Toutiao) => "今日头条",
        Some(Platform::Kuaishou) => "快手",
        Some(Platform::Bilibili) => "哔哩哔哩",
        Some(Platform::Xiaohongshu) => "小红书",
        Some(Platform::Email) => "电子邮箱",
        Some(Platform::DomainRegistrar) => "域名注册商",
        Some(Platform::CloudConsole) => "云控制台",
        Some(Platform::Other) | None => platform,
    }
}
