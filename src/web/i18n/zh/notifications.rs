//! 简体中文：通知。

pub static MESSAGES: &[(&str, &str)] = &[
    ("inbox.title", "通知"),
    ("inbox.filter", "显示哪些通知"),
    ("inbox.show_all", "全部"),
    ("inbox.show_unread", "未读"),
    ("inbox.show_read", "已读"),
    ("inbox.unread", "未读"),
    ("inbox.empty", "这里没有通知。"),
    ("inbox.mark_read", "标记为已读"),
    ("inbox.mark_all", "全部标记为已读"),
    ("inbox.marked", "已将 {n} 条通知标记为已读。"),
    ("inbox.open_case", "打开交接单"),
];
