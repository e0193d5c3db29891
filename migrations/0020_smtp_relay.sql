-- The SMTP relay every e-mail goes through (issue 10): one row for the installation
-- (id = 'relay'), set by a system administrator with PUT /api/v1/notify/smtp.
--
-- `tls` is starttls (required, never downgraded), tls (implicit, port 465) or none (a
-- relay this server reaches unencrypted: only a host listed in outbound.allowed_hosts).
-- `sealed_password` is the relay account's password, AES-GCM (or SM4-GCM) under a key
-- derived from the system key (so a master key rotation does not touch it) with the AAD
-- "credgov/smtp/v1/password"; the API never shows it, only `password_fingerprint`, a
-- keyed hash that changes when the password changes.
CREATE TABLE smtp_relay (
    id                    TEXT PRIMARY KEY,
    host                  TEXT NOT NULL,
    port                  BIGINT NOT NULL,
    tls                   TEXT NOT NULL,
    username              TEXT,
    sealed_password       BYTEA,
    password_fingerprint  TEXT,
    from_address          TEXT NOT NULL,
    reply_to              TEXT,
    updated_at            BIGINT NOT NULL,
    updated_by            TEXT
);
