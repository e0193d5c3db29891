//! Every inspection rule, defined once: its code, severity, what kind of thing it is
//! about, the message in Chinese and English, and what fixes it. The daily scan, the
//! re-evaluation after a write and the findings list all read this table. Adding a rule
//! is one variant here, one entry in [`Rule::def`] and its detector in `detect`.

use serde_json::Value;

use crate::clock::HOUR_MS;
use crate::text_enum::text_enum;

text_enum!(
    /// A condition daily inspection looks for.
    Rule {
        /// The current password is older than the policy's maximum age for its class.
        RotationOverdue => "rotation_overdue",
        /// The maximum age is near (a reminder stage of `rotation.reminder_days`).
        RotationDue => "rotation_due",
        /// A staged rotation has been pending longer than `rotation.pending_max_hours`.
        RotationPendingStale => "rotation_pending_stale",
        /// The current password equals another account's current password.
        ReusedPassword => "reused_password",
        /// Someone who left or moved away saw the current password.
        ExposedToDeparted => "exposed_to_departed",
        /// The bound phone or e-mail belongs to someone who left or moved away.
        BindingHolderDeparted => "binding_holder_departed",
        /// An active account without an active custodian.
        NoCustodian => "no_custodian",
        /// A handover case past its deadline.
        HandoverOverdue => "handover_overdue",
        /// A user whose role needs TOTP has not enrolled in time.
        MfaNotEnrolled => "mfa_not_enrolled",
        /// A website or new-media account has published nothing for longer than its
        /// platform's content rule (`veto` past the veto threshold).
        ContentStale => "content_stale",
        /// A website or new-media account silent so long that it should be announced
        /// and closed (停更公告 + 注销).
        ZombieAccount => "zombie_account",
        /// The account's feed or page failed several probes in a row.
        AccountUnreachable => "account_unreachable",
        /// The current password falls short of the unit's current policy (judged on
        /// the strength recorded when it was sealed).
        WeakPassword => "weak_password",
        /// Next year's holiday calendar is not loaded after 1 December.
        CalendarMissing => "calendar_missing",
    }
);

text_enum!(
    /// How bad a finding is. `veto` is the national indicators' 单项否决: one such
    /// finding fails the unit's account or site.
    Severity {
        Veto => "veto",
        High => "high",
        Medium => "medium",
        Low => "low",
    }
);

text_enum!(
    /// What a finding is about.
    TargetKind {
        Account => "account",
        User => "user",
        Case => "case",
        Unit => "unit",
        District => "district",
    }
);

text_enum!(
    /// Whether the condition still holds.
    FindingState {
        Open => "open",
        Resolved => "resolved",
    }
);

/// One rule's fixed description. Messages are templates: `{key}` is replaced by the
/// finding's `details.key`.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    pub rule: Rule,
    pub severity: Severity,
    pub target: TargetKind,
    pub message_zh: &'static str,
    pub message_en: &'static str,
    pub fix_zh: &'static str,
    pub fix_en: &'static str,
}

const fn def(
    rule: Rule,
    severity: Severity,
    target: TargetKind,
    message: (&'static str, &'static str),
    fix: (&'static str, &'static str),
) -> RuleDef {
    RuleDef {
        rule,
        severity,
        target,
        message_zh: message.0,
        message_en: message.1,
        fix_zh: fix.0,
        fix_en: fix.1,
    }
}

impl Rule {
    /// The rule's definition.
    pub fn def(self) -> RuleDef {
        use Severity::*;
        use TargetKind::*;
        match self {
            Rule::RotationOverdue => def(
                self,
                High,
                Account,
                (
                    "账号“{account}”的密码已 {age_days} 天未更换，超过{classification}级账号 {max_age_days} 天的上限",
                    "the password of account “{account}” is {age_days} days old, past the {max_age_days}-day limit for {classification} accounts",
                ),
                (
                    "立即轮换密码（发起轮换、在平台上修改、确认）",
                    "rotate the password now (start a rotation, set it on the platform, confirm)",
                ),
            ),
            Rule::RotationDue => def(
                self,
                Low,
                Account,
                (
                    "账号“{account}”的密码将在 {days_left} 天内到期，请提前更换",
                    "the password of account “{account}” reaches its maximum age in {days_left} days",
                ),
                ("在到期前轮换密码", "rotate the password before it expires"),
            ),
            Rule::RotationPendingStale => def(
                self,
                Medium,
                Account,
                (
                    "账号“{account}”的密码轮换已挂起 {age_hours} 小时（上限 {max_hours} 小时），无法确定平台上使用的是哪个密码",
                    "a rotation of account “{account}” has been pending for {age_hours} hours (limit {max_hours}): nobody knows which password the platform has",
                ),
                (
                    "确认平台上的密码后确认轮换，或撤销轮换",
                    "check which password the platform accepts, then confirm or cancel the rotation",
                ),
            ),
            Rule::ReusedPassword => def(
                self,
                High,
                Account,
                (
                    "账号“{account}”的密码与本单位 {same_unit_count} 个、其他单位 {other_units} 个账号的当前密码相同",
                    "account “{account}” shares its password with {same_unit_count} account(s) of its unit and {other_units} elsewhere in the district",
                ),
                (
                    "为每个账号轮换为不同的密码",
                    "rotate each of these accounts to a password of its own",
                ),
            ),
            Rule::ExposedToDeparted => def(
                self,
                High,
                Account,
                (
                    "已离职或调离的人员（{people}）看过账号“{account}”的当前密码",
                    "people who left or moved away ({people}) saw the current password of account “{account}”",
                ),
                ("轮换密码", "rotate the password"),
            ),
            Rule::BindingHolderDeparted => def(
                self,
                High,
                Account,
                (
                    "账号“{account}”绑定的手机或邮箱属于已离职或调离的 {holder}",
                    "the phone or e-mail bound to account “{account}” belongs to {holder}, who left or moved away",
                ),
                (
                    "在平台上改绑到在岗人员，并更新账号的绑定人",
                    "rebind the account to a current member of staff on the platform and update its binding holder",
                ),
            ),
            Rule::NoCustodian => def(
                self,
                Medium,
                Account,
                (
                    "账号“{account}”没有在岗的保管人",
                    "account “{account}” has no active custodian",
                ),
                ("指定一名保管人", "name a custodian"),
            ),
            Rule::HandoverOverdue => def(
                self,
                High,
                Case,
                (
                    "{leaver} 的交接已超过期限 {days_overdue} 天",
                    "the handover of {leaver} is {days_overdue} day(s) past its deadline",
                ),
                (
                    "完成交接事项并由继任人确认、负责人签字",
                    "finish the case's items, have the successor acknowledge and sign it off",
                ),
            ),
            Rule::MfaNotEnrolled => def(
                self,
                Medium,
                User,
                (
                    "用户 {username} 担任须双因素登录的角色已 {days} 天，仍未绑定动态口令",
                    "user {username} has held a role that needs two-factor login for {days} days without enrolling TOTP",
                ),
                ("登录后绑定动态口令（TOTP）", "log in and enrol TOTP"),
            ),
            // Severity at the warning stage; `severity_of` raises it to veto.
            Rule::ContentStale => def(
                self,
                Medium,
                Account,
                (
                    "账号“{account}”已 {days} 天未更新内容（超过 {limit_days} 天的要求）",
                    "account “{account}” has published nothing for {days} days (limit {limit_days})",
                ),
                (
                    "发布内容后登记发布记录（或等待订阅源探测到更新）",
                    "publish, then report the publication (or let the feed probe find it)",
                ),
            ),
            Rule::ZombieAccount => def(
                self,
                High,
                Account,
                (
                    "账号“{account}”已 {days} 天未更新（超过 {limit_days} 天），属“僵尸”账号",
                    "account “{account}” has been silent for {days} days (over {limit_days}): a zombie account",
                ),
                (
                    "恢复更新；不再运营的，发布停更公告后注销账号",
                    "resume publishing, or announce the end of the account and close it",
                ),
            ),
            Rule::AccountUnreachable => def(
                self,
                High,
                Account,
                (
                    "账号“{account}”的订阅源或页面连续 {failures} 次无法访问（{reason}）",
                    "the feed or page of account “{account}” failed {failures} probes in a row ({reason})",
                ),
                (
                    "恢复网站或订阅源的访问，或更正账号的 feed_url",
                    "bring the site or feed back, or correct the account's feed_url",
                ),
            ),
            Rule::WeakPassword => def(
                self,
                High,
                Account,
                (
                    "账号“{account}”的当前密码（强度评分 {score}）不符合本单位现行的密码策略（最低评分 {min_score}，须含字符类别 {required_classes}，至少 {min_length} 位）",
                    "the current password of account “{account}” (strength score {score}) falls short of its unit's current password policy (minimum score {min_score}, required character classes {required_classes}, at least {min_length} characters)",
                ),
                (
                    "轮换为符合现行策略的密码",
                    "rotate to a password that meets the current policy",
                ),
            ),
            Rule::CalendarMissing => def(
                self,
                Medium,
                District,
                (
                    "{year} 年节假日安排尚未导入：期限按周一至周五计算，可能不准",
                    "the {year} holiday calendar is not loaded: deadlines count Monday to Friday and may be wrong",
                ),
                (
                    "国务院办公厅通知发布后，用 credgov calendar import 导入该年文件",
                    "once the State Council notice is out, import the year's file with `credgov calendar import`",
                ),
            ),
        }
    }
}

impl RuleDef {
    /// The severity of one finding of this rule: the rule's own, except
    /// `content_stale` past its veto threshold (`details.stage = "veto"`), which is the
    /// national indicators' 单项否决.
    pub fn severity_of(&self, details: &Value) -> Severity {
        if self.rule == Rule::ContentStale && details.get("stage") == Some(&Value::from("veto")) {
            return Severity::Veto;
        }
        self.severity
    }
}

const DAY_MS: i64 = 24 * HOUR_MS;

impl Rule {
    /// `details` as stored plus the values that change by the day (or hour) without
    /// the condition changing, computed as of `as_of` (now for an open finding, its
    /// last sighting for a resolved one): `age_days` of an overdue password, `days_left`
    /// before a due one, `age_hours` of a stale pending rotation, `days_overdue` of a
    /// late handover, and `days` of a silent account or of a user without MFA. Stored
    /// details keep only the dates, so the daily scan rewrites a finding only when its
    /// condition changed, not every finding every day.
    pub fn with_derived(self, mut details: Value, as_of: i64) -> Value {
        let at = |key: &str| details.get(key).and_then(Value::as_i64);
        let derived = match self {
            Rule::RotationOverdue => {
                at("since").map(|since| ("age_days", (as_of - since) / DAY_MS))
            }
            Rule::RotationDue => {
                at("due_at").map(|due| ("days_left", ((due - as_of).max(0) + DAY_MS - 1) / DAY_MS))
            }
            Rule::RotationPendingStale => {
                at("started_at").map(|started| ("age_hours", (as_of - started) / HOUR_MS))
            }
            Rule::HandoverOverdue => at("deadline_at")
                .map(|deadline| ("days_overdue", ((as_of - deadline) / DAY_MS).max(1))),
            Rule::ContentStale | Rule::ZombieAccount | Rule::MfaNotEnrolled => {
                at("since").map(|since| ("days", (as_of - since) / DAY_MS))
            }
            _ => None,
        };
        if let (Some((key, value)), Some(map)) = (derived, details.as_object_mut()) {
            map.insert(key.into(), value.into());
        }
        details
    }
}

/// Fills `{key}` placeholders from `details` (strings as they are, other values as
/// JSON); unknown keys stay as written.
pub fn render(template: &str, details: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let key = &after[..end];
                match details.get(key) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(v) => out.push_str(&v.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_rule_is_defined_once_with_both_languages() {
        for r in Rule::ALL {
            let d = r.def();
            assert_eq!(d.rule, *r);
            for text in [d.message_zh, d.message_en, d.fix_zh, d.fix_en] {
                assert!(!text.trim().is_empty(), "{r}");
            }
        }
    }

    #[test]
    fn templates_take_details() {
        let d = json!({ "account": "区网信办公众号", "age_days": 120, "max_age_days": 90, "classification": "core" });
        let m = render(Rule::RotationOverdue.def().message_en, &d);
        assert!(
            m.contains("120 days") && m.contains("区网信办公众号"),
            "{m}"
        );
        assert_eq!(render("{missing} {", &json!({})), "{missing} {");
    }

    #[test]
    fn day_counts_are_derived_when_read() {
        let since = 1_000 * DAY_MS;
        let d =
            Rule::RotationOverdue.with_derived(json!({ "since": since }), since + 91 * DAY_MS + 5);
        assert_eq!(d["age_days"], 91);
        let due = json!({ "due_at": since + 10 * DAY_MS });
        assert_eq!(
            Rule::RotationDue.with_derived(due.clone(), since)["days_left"],
            10
        );
        assert_eq!(
            Rule::RotationDue.with_derived(due, since + 9 * DAY_MS + 1)["days_left"],
            1
        );
        let pending = json!({ "started_at": since });
        let hours = Rule::RotationPendingStale.with_derived(pending, since + 49 * HOUR_MS + 5);
        assert_eq!(hours["age_hours"], 49);
        let case = json!({ "deadline_at": since });
        assert_eq!(
            Rule::HandoverOverdue.with_derived(case.clone(), since + 5)["days_overdue"],
            1,
            "a case just past its deadline is a day late"
        );
        assert_eq!(
            Rule::HandoverOverdue.with_derived(case, since + 3 * DAY_MS + 5)["days_overdue"],
            3
        );
        for rule in [
            Rule::ContentStale,
            Rule::ZombieAccount,
            Rule::MfaNotEnrolled,
        ] {
            let silent = rule.with_derived(json!({ "since": since }), since + 40 * DAY_MS + 5);
            assert_eq!(silent["days"], 40, "{rule:?}");
        }
        let other = json!({ "account": "x" });
        assert_eq!(Rule::NoCustodian.with_derived(other.clone(), 0), other);
    }

    #[test]
    fn enums_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(*s));
        }
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.as_str()), Some(*r));
        }
    }
}
