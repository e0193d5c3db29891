//! 简体中文：首页的待办清单。

pub static MESSAGES: &[(&str, &str)] = &[
    ("home.due_title", "我保管的账号：密码即将到期或已超期"),
    ("home.nothing_due", "您保管的账号没有即将到期的密码。"),
    ("home.due", "即将到期"),
    ("home.overdue", "已超期"),
    ("home.rect_title", "待办整改"),
    ("home.nothing_rect", "没有待办的整改。"),
    ("home.rect_state.open", "待整改"),
    ("home.rect_state.returned", "被退回"),
    ("home.rect_state.submitted", "待审核"),
    ("home.deadline", "期限 {time}"),
    ("home.cases_title", "等待我办理的交接"),
    ("home.nothing_cases", "没有等待您办理的交接单。"),
    ("home.case_as_successor", "待您确认接收"),
    ("home.case_to_sign_off", "待审核签字"),
    ("home.case_to_work", "办理中"),
];
