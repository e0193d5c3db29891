//! English: notifications.

pub static MESSAGES: &[(&str, &str)] = &[
    ("inbox.title", "Notifications"),
    ("inbox.filter", "Which notifications to show"),
    ("inbox.show_all", "All"),
    ("inbox.show_unread", "Unread"),
    ("inbox.show_read", "Read"),
    ("inbox.unread", "Unread"),
    ("inbox.empty", "No notifications here."),
    ("inbox.mark_read", "Mark read"),
    ("inbox.mark_all", "Mark all read"),
    ("inbox.marked", "{n} notification(s) marked read."),
    ("inbox.open_case", "Open the handover case"),
];
