//! English: the home page's lists of what waits.

pub static MESSAGES: &[(&str, &str)] = &[
    (
        "home.due_title",
        "Accounts I keep: passwords due or overdue",
    ),
    (
        "home.nothing_due",
        "No password of the accounts you keep is due.",
    ),
    ("home.due", "Due soon"),
    ("home.overdue", "Overdue"),
    ("home.rect_title", "Rectifications to do"),
    ("home.nothing_rect", "No rectification waits."),
    ("home.rect_state.open", "To fix"),
    ("home.rect_state.returned", "Returned"),
    ("home.rect_state.submitted", "To review"),
    ("home.deadline", "due {time}"),
    ("home.cases_title", "Handovers waiting for me"),
    ("home.nothing_cases", "No handover case waits for you."),
    ("home.case_as_successor", "for you to acknowledge"),
    ("home.case_to_sign_off", "to sign off"),
    ("home.case_to_work", "in progress"),
];
