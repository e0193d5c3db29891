//! What a notification is about: one kind per event that needs a person, each with its
//! title in zh-CN (the default) and English.

use crate::text_enum::text_enum;

text_enum!(
    /// The kind of a notification (stored as TEXT in `notifications.kind` and
    /// `outbox.kind`; the webhook payload's `type` is `credgov.<kind>`).
    NotificationKind {
        RotationDue => "rotation_due",
        RotationOverdue => "rotation_overdue",
        RotationPendingStale => "rotation_pending_stale",
        RectificationOpened => "rectification_opened",
        RectificationReturned => "rectification_returned",
        RectificationDue => "rectification_due",
        RectificationOverdue => "rectification_overdue",
        Escalation => "escalation",
        DailySummary => "daily_summary",
        HandoverOpened => "handover_opened",
        HandoverAwaitingAck => "handover_awaiting_ack",
        HandoverOverdue => "handover_overdue",
        HrEventProcessed => "hr_event_processed",
        PrivilegedLockout => "privileged_lockout",
        AuditVerifyFailed => "audit_verify_failed",
        KeyRotated => "key_rotated",
        DeliveryFailed => "delivery_failed",
        CalendarMissing => "calendar_missing",
        ChannelTest => "channel_test",
    }
);

/// The language a message is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// As stored and in the API: `zh-CN` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// `zh-CN` or `en` (any case).
    pub fn parse(s: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl NotificationKind {
    /// Security notices every recipient gets by e-mail too: a person cannot mute them
    /// (someone guessing an administrator's password, a broken audit trail, a new
    /// master key are not news to skip).
    pub fn always_emailed(self) -> bool {
        matches!(
            self,
            NotificationKind::PrivilegedLockout
                | NotificationKind::AuditVerifyFailed
                | NotificationKind::KeyRotated
        )
    }

    /// The title in `lang`.
    pub fn title(self, lang: Lang) -> &'static str {
        let (zh, en) = self.titles();
        match lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }

    /// (zh-CN, English).
    fn titles(self) -> (&'static str, &'static str) {
        use NotificationKind::*;
        match self {
            RotationDue => ("密码即将到期，请及时更换", "Password rotation due"),
            RotationOverdue => ("密码已超期未更换", "Password rotation overdue"),
            RotationPendingStale => (
                "密码更换未确认",
                "Password rotation started but not confirmed",
            ),
            RectificationOpened => ("新的整改事项", "New rectification item"),
            RectificationReturned => ("整改事项被退回", "Rectification item returned"),
            RectificationDue => ("整改事项明日到期", "Rectification item due tomorrow"),
            RectificationOverdue => ("整改事项已逾期", "Rectification item overdue"),
            Escalation => ("逾期事项上报", "Escalation"),
            DailySummary => ("每日巡检汇总", "Daily inspection summary"),
            HandoverOpened => ("新的交接事项", "Handover case opened"),
            HandoverAwaitingAck => ("交接待确认", "Handover awaiting acknowledgement"),
            HandoverOverdue => ("交接已逾期", "Handover overdue"),
            HrEventProcessed => ("人事变动已处理", "Staff change processed"),
            PrivilegedLockout => ("特权用户被锁定", "Privileged user locked out"),
            AuditVerifyFailed => ("审计日志校验失败", "Audit trail verification failed"),
            KeyRotated => ("主密钥已轮换", "Master key rotated"),
            DeliveryFailed => ("通知发送失败", "Notification delivery failed"),
            CalendarMissing => ("缺少节假日日历", "Holiday calendar missing"),
            ChannelTest => ("通知渠道测试", "Notification channel test"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_both_titles_and_round_trips() {
        for k in NotificationKind::ALL {
            assert!(!k.title(Lang::ZhCn).is_empty());
            assert!(k.title(Lang::En).is_ascii());
            assert_eq!(NotificationKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(NotificationKind::ALL.len(), 19);
    }

    #[test]
    fn languages_round_trip() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.as_str()), Some(l));
        }
        assert_eq!(Lang::parse("zh-cn"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("fr"), None);
    }
}
