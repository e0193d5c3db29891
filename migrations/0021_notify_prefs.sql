-- Each person's notification preferences (issue 10), set by the person with
-- PUT /api/v1/me/notifications. No row: the defaults (zh-CN, every kind by e-mail, the
-- directory's e-mail address and phone from `users`).
--
-- `email` / `mobile`: where personal e-mail goes and which mobile robots mention (NULL:
-- the directory's `users.email` / `users.phone`); `wecom_user_id` / `dingtalk_user_id`:
-- robot mentions; `lang`: zh-CN or en, for the inbox and personal e-mail;
-- `muted_kinds`: a JSON array of notification kinds not sent by e-mail (the inbox row
-- is always written).
CREATE TABLE notify_prefs (
    user_id           TEXT PRIMARY KEY REFERENCES users (id),
    email             TEXT,
    mobile            TEXT,
    wecom_user_id     TEXT,
    dingtalk_user_id  TEXT,
    lang              TEXT NOT NULL,
    muted_kinds       TEXT NOT NULL,
    updated_at        BIGINT NOT NULL
);
