//! E-mail over an SMTP relay with `lettre`: STARTTLS (required, never downgraded),
//! implicit TLS, or plain SMTP to a relay the operator listed in
//! `outbound.allowed_hosts` (a relay on this machine or the intranet); optional login;
//! a plain-text and an HTML part; the outbox id in `Message-ID`, so a receiver that sees
//! a message twice (a crash between sending and marking) can tell. The connection goes
//! to an address the deliverer already checked (`address`), while TLS verifies the
//! relay's name.

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use super::{Delivery, Outgoing};

/// How long the relay has for the whole exchange.
pub const TIMEOUT: Duration = Duration::from_secs(30);

crate::text_enum::text_enum!(
    /// How the connection to the relay is protected.
    SmtpTls {
        /// Plain connection upgraded with STARTTLS; refused if the relay cannot.
        Starttls => "starttls",
        /// TLS from the first byte (port 465).
        Tls => "tls",
        /// No TLS: only for a relay listed in `outbound.allowed_hosts` (this machine,
        /// the intranet); chosen explicitly, never a fallback.
        None => "none",
    }
);

/// The relay and the sender's addresses, with the password opened for this send.
pub struct EmailRelay {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from: String,
    pub reply_to: Option<String>,
}

impl std::fmt::Debug for EmailRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailRelay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "set"))
            .finish_non_exhaustive()
    }
}

/// The message: both parts, `Message-ID: <outbox id@credgov>`.
pub fn message(relay: &EmailRelay, to: &[String], outgoing: &Outgoing) -> Result<Message, String> {
    let from: Mailbox = relay
        .from
        .parse()
        .map_err(|_| "the sender address (from) of the SMTP settings is not valid".to_string())?;
    let mut builder = Message::builder()
        .from(from)
        .subject(outgoing.title.clone())
        .message_id(Some(format!("<{}@credgov>", outgoing.id)));
    if let Some(reply_to) = &relay.reply_to {
        let reply_to: Mailbox = reply_to
            .parse()
            .map_err(|_| "the reply-to address of the SMTP settings is not valid".to_string())?;
        builder = builder.reply_to(reply_to);
    }
    for address in to {
        let mailbox: Mailbox = address
            .parse()
            .map_err(|_| format!("{address} is not a valid e-mail address"))?;
        builder = builder.to(mailbox);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            outgoing.markdown.clone(),
            outgoing.html.clone(),
        ))
        .map_err(|e| format!("the message could not be built: {e}"))
}

fn transport(
    relay: &EmailRelay,
    address: IpAddr,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls_parameters = || {
        TlsParameters::new(relay.host.clone())
            .map_err(|e| format!("TLS towards {} could not be set up: {e}", relay.host))
    };
    let tls = match relay.tls {
        SmtpTls::Starttls => Tls::Required(tls_parameters()?),
        SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
        SmtpTls::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.to_string())
        .port(relay.port)
        .tls(tls)
        .timeout(Some(TIMEOUT));
    if let (Some(user), Some(password)) = (&relay.username, &relay.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_string(),
        ));
    }
    Ok(builder.build())
}

/// Sends one message to `to` through the relay, connecting to `address` (one of the
/// relay's checked addresses).
pub async fn send(
    relay: &EmailRelay,
    address: IpAddr,
    to: &[String],
    outgoing: &Outgoing,
) -> Delivery {
    if to.is_empty() {
        return Delivery::Reject {
            error: "the message has no recipient address".into(),
        };
    }
    let built = match message(relay, to, outgoing) {
        Ok(m) => m,
        Err(error) => return Delivery::Reject { error },
    };
    let transport = match transport(relay, address) {
        Ok(t) => t,
        Err(error) => return Delivery::Reject { error },
    };
    match transport.send(built).await {
        Ok(_) => Delivery::Delivered,
        Err(e) if e.is_permanent() => Delivery::Reject {
            error: format!(
                "the SMTP relay {} refused the message: {}",
                relay.host,
                short(&e)
            ),
        },
        Err(e) => Delivery::Retry {
            error: format!(
                "the SMTP relay {} did not take the message: {}",
                relay.host,
                short(&e)
            ),
            after: None,
        },
    }
}

/// The relay's answer or the connection failure, cut to a line's length (it is the
/// relay's text: kept out of the outbox in bulk), with any long base64-like run (what a
/// relay echoing `AUTH PLAIN <credentials>` would send back) replaced by `[…]`.
fn short(e: &lettre::transport::smtp::Error) -> String {
    const MAX: usize = 300;
    let text = without_blobs(&e.to_string().replace(['\r', '\n'], " "));
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `text` with every whitespace-separated word of 16 or more base64 characters (letters,
/// digits, `+`, `/`, `=`) replaced by `[…]`.
fn without_blobs(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let blob = word.len() >= 16
                && word
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
            if blob { "[…]" } else { word }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::without_blobs;

    #[test]
    fn echoed_credentials_are_cut_out_of_the_relay_answer() {
        // base64 of "\0mailer\0canary-smtp-pass"
        let answer = "535 5.7.8 AUTH PLAIN AG1haWxlcgBjYW5hcnktc210cC1wYXNz rejected";
        assert_eq!(without_blobs(answer), "535 5.7.8 AUTH PLAIN […] rejected");
        let plain = "450 4.2.0 mailbox busy at relay.example.gov.cn, try later";
        assert_eq!(without_blobs(plain), plain);
    }
}
