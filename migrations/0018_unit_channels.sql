-- Notification channel settings per unit (issue 10), inherited down the tree: a unit
-- without its own row for a channel uses the nearest unit above that has one.
--
-- `sealed` holds the channel's settings as JSON (URLs that carry robot keys, webhook
-- secrets, e-mail addresses), AES-GCM under the unit's data key with the AAD
-- "credgov/channel/v1/{unit_id}/{channel}"; the API never shows it. `shown` is what the
-- API may show (the URL's host, the e-mail list, when a previous webhook secret stops
-- signing); `fingerprint` is a keyed hash of the secret parts, so an administrator can
-- tell which secret is set without seeing it. `disabled_at`/`disabled_reason`: a webhook
-- receiver answered 410 Gone; saving the channel again enables it.
CREATE TABLE unit_channels (
    unit_id          TEXT NOT NULL REFERENCES units (id),
    channel          TEXT NOT NULL,
    sealed           BYTEA NOT NULL,
    shown            TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    disabled_at      BIGINT,
    disabled_reason  TEXT,
    updated_at       BIGINT NOT NULL,
    updated_by       TEXT,
    PRIMARY KEY (unit_id, channel)
);
