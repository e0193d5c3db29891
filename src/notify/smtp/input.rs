//! The body of `PUT /notify/smtp` and its checks: the whole body is checked before
//! anything is written, and each refusal names its field and says what would do.

use lettre::message::Mailbox;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::InputError;
use crate::notify::channels::email::SmtpTls;
use crate::outbound::OutboundClient;

/// The longest relay password taken (SMTP servers take far less).
pub const MAX_PASSWORD: usize = 512;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpInput {
    /// The relay's host name or IP address (no scheme, no port).
    pub host: String,
    /// 587 for STARTTLS, 465 for implicit TLS, 25 for a local relay.
    pub port: u16,
    /// `starttls` (the connection must upgrade; never sent in the clear), `tls` (TLS
    /// from the first byte) or `none` (unencrypted: only for a relay whose host is listed
    /// in `outbound.allowed_hosts`, such as one on this machine).
    pub tls: String,
    /// The relay account; null or absent: the relay takes mail without logging in.
    #[serde(default)]
    pub username: Option<String>,
    /// The relay account's password (write-only). Required with a username the first
    /// time; absent keeps the stored one.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub password: Option<Zeroizing<String>>,
    /// The sender: `noreply@example.gov.cn` or `区政府办公室 <noreply@example.gov.cn>`.
    pub from: String,
    /// Where replies go (same forms as `from`); null or absent: to `from`.
    #[serde(default)]
    pub reply_to: Option<String>,
}

/// A body that passed every check.
pub struct Checked {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Zeroizing<String>>,
    pub from: String,
    pub reply_to: Option<String>,
}

/// Checks every field of `input`; `has_password`: a password is stored already.
pub fn check(
    client: &OutboundClient,
    input: SmtpInput,
    has_password: bool,
) -> Result<Checked, InputError> {
    let host = check_host(client, &input.host)?;
    if input.port == 0 {
        return Err(InputError::field(
            "port",
            "give the relay's port: 587 for STARTTLS, 465 for implicit TLS, 25 for a local relay",
        )
        .zh("请填写邮件中继服务器的端口：STARTTLS 用 587，直接 TLS 用 465，本机中继用 25。"));
    }
    let tls = SmtpTls::parse(input.tls.trim()).ok_or_else(|| {
        InputError::field("tls", "tls must be one of starttls, tls, none")
            .zh("加密方式（tls）只能是 starttls、tls 或 none。")
    })?;
    if tls == SmtpTls::None && !client.lists_host(&host) {
        return Err(InputError::field(
            "tls",
            format!(
                "tls none sends mail and the password unencrypted: it is only for a relay listed \
                 in outbound.allowed_hosts (such as 127.0.0.1); use starttls or tls for {host}"
            ),
        )
        .zh(format!(
            "加密方式 none 会以明文发送邮件和密码，只能用于列入 outbound.allowed_hosts 的中继\
             （如 127.0.0.1）；{host} 请使用 starttls 或 tls。"
        )));
    }
    let username = input
        .username
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    if let Some(user) = &username
        && (user.chars().count() > 256 || user.chars().any(char::is_control))
    {
        return Err(InputError::field(
            "username",
            "the username is at most 256 characters without control characters",
        )
        .zh("用户名最多 256 个字符，且不能包含控制字符。"));
    }
    let password = input.password;
    if let Some(p) = &password {
        if username.is_none() {
            return Err(InputError::field(
                "username",
                "a password needs the username it belongs to",
            )
            .zh("填写了密码，请同时填写它所属的用户名。"));
        }
        if p.is_empty() || p.len() > MAX_PASSWORD || p.chars().any(char::is_control) {
            return Err(InputError::field(
                "password",
                format!("the password is 1 to {MAX_PASSWORD} bytes without control characters"),
            )
            .zh(format!(
                "密码须为 1 至 {MAX_PASSWORD} 个字节，且不能包含控制字符。"
            )));
        }
    }
    if username.is_some() && password.is_none() && !has_password {
        return Err(InputError::field(
            "password",
            "give the relay account's password with its username (it is stored sealed and never shown)",
        )
        .zh("请同时填写中继账号的密码（加密保存，不会再显示）。"));
    }
    let from = mailbox("from", &input.from)?;
    let reply_to = input
        .reply_to
        .filter(|r| !r.trim().is_empty())
        .map(|r| mailbox("reply_to", &r))
        .transpose()?;
    Ok(Checked {
        host,
        port: input.port,
        tls,
        username,
        password,
        from,
        reply_to,
    })
}

/// A host name or IP literal the outbound rule admits, lower-cased.
fn check_host(client: &OutboundClient, host: &str) -> Result<String, InputError> {
    let host = host
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let shaped = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        // A colon only inside an IPv6 address, never before a port.
        && (!host.contains(':') || host.parse::<std::net::Ipv6Addr>().is_ok());
    if !shaped {
        return Err(InputError::field(
            "host",
            "give the relay's host name or IP address only, e.g. smtp.example.gov.cn (no scheme, port or path)",
        )
        .zh("只填写中继服务器的主机名或 IP 地址，例如 smtp.example.gov.cn（不要协议、端口或路径）。"));
    }
    client
        .check_host(&host)
        .map_err(|e| InputError::field_from("host", &e))?;
    Ok(host)
}

/// An address as the message builder will take it, kept as written.
fn mailbox(field: &str, value: &str) -> Result<String, InputError> {
    let value = value.trim();
    let ok = value.len() <= 320
        && !value.chars().any(char::is_control)
        && value.parse::<Mailbox>().is_ok();
    if ok {
        Ok(value.to_string())
    } else {
        Err(InputError::field(
            field,
            format!(
                "{value:?} is not an e-mail address (name@example.gov.cn, or 名称 <name@example.gov.cn>)"
            ),
        )
        .zh(format!(
            "{value:?} 不是电子邮件地址（应为 name@example.gov.cn 或 名称 <name@example.gov.cn>）。"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::OutboundConfig;

    fn client(allowed: &[&str]) -> OutboundClient {
        let config = OutboundConfig {
            allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
            ..OutboundConfig::default()
        };
        OutboundClient::new(&config).unwrap()
    }

    fn input(host: &str, tls: &str) -> SmtpInput {
        SmtpInput {
            host: host.into(),
            port: 587,
            tls: tls.into(),
            username: None,
            password: None,
            from: "区政府办公室 <noreply@example.gov.cn>".into(),
            reply_to: None,
        }
    }

    fn field(r: Result<Checked, InputError>) -> String {
        r.err().and_then(|e| e.field).unwrap_or_default()
    }

    #[test]
    fn none_only_for_listed_hosts() {
        assert!(check(&client(&["127.0.0.1"]), input("127.0.0.1", "none"), false).is_ok());
        assert_eq!(
            field(check(&client(&[]), input("127.0.0.1", "none"), false)),
            "host"
        );
        assert_eq!(
            field(check(
                &client(&[]),
                input("smtp.example.gov.cn", "none"),
                false
            )),
            "tls"
        );
        assert!(
            check(
                &client(&[]),
                input("smtp.example.gov.cn", "starttls"),
                false
            )
            .is_ok()
        );
        assert_eq!(
            field(check(
                &client(&[]),
                input("smtp.example.gov.cn", "ssl"),
                false
            )),
            "tls"
        );
        for bad in ["", "smtp://x.cn", "x.cn:25", "x.cn/a", "a b.cn"] {
            assert_eq!(
                field(check(&client(&[]), input(bad, "tls"), false)),
                "host",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_username_needs_a_password_once() {
        let with_user = || SmtpInput {
            username: Some("mailer".into()),
            ..input("smtp.example.gov.cn", "starttls")
        };
        assert_eq!(field(check(&client(&[]), with_user(), false)), "password");
        assert!(check(&client(&[]), with_user(), true).is_ok());
        let no_user = SmtpInput {
            password: Some(Zeroizing::new("pw".into())),
            ..input("smtp.example.gov.cn", "starttls")
        };
        assert_eq!(field(check(&client(&[]), no_user, false)), "username");
        let bad_from = SmtpInput {
            from: "nobody".into(),
            ..input("smtp.example.gov.cn", "starttls")
        };
        assert_eq!(field(check(&client(&[]), bad_from, false)), "from");
    }
}
