//! A local SMTP listener for e-mail tests: speaks enough SMTP for lettre without TLS
//! (EHLO/HELO, AUTH PLAIN/LOGIN, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT), records
//! every accepted message with the login it came with, and can be told to refuse
//! recipients (a 550, as a relay that will not take the mail). `Mail` decodes what the
//! tests look at: headers (RFC 2047 words unfolded), and the text and HTML parts.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// (username, password) when the client logged in.
    pub login: Option<(String, String)>,
    /// The DATA as sent (dot-unstuffed).
    pub data: String,
}

#[derive(Default)]
struct Inner {
    mails: Mutex<Vec<Mail>>,
    logins: Mutex<usize>,
    refuse_rcpt: Mutex<Option<String>>,
}

#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    inner: Arc<Inner>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let inner = Arc::new(Inner::default());
        let shared = Arc::clone(&inner);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inner = Arc::clone(&shared);
                tokio::spawn(async move {
                    let _ = session(stream, inner).await;
                });
            }
        });
        SmtpServer { port, inner }
    }

    /// Answers every later RCPT TO with this reply (e.g. "550 5.7.1 relaying denied").
    pub fn refuse_recipients(&self, reply: &str) {
        *self.inner.refuse_rcpt.lock().unwrap() = Some(reply.to_string());
    }

    pub fn accept_recipients(&self) {
        *self.inner.refuse_rcpt.lock().unwrap() = None;
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.inner.mails.lock().unwrap().clone()
    }

    /// How many times a client logged in (sent a password).
    pub fn logins(&self) -> usize {
        *self.inner.logins.lock().unwrap()
    }
}

async fn session(stream: TcpStream, inner: Arc<Inner>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test.local ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut login = None;
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-test.local\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME".into()
        } else if upper.starts_with("HELO") {
            "250 test.local".into()
        } else if upper.starts_with("AUTH PLAIN") {
            let initial = line.get(11..).unwrap_or("").trim().to_string();
            let encoded = if initial.is_empty() {
                write.write_all(b"334 \r\n").await?;
                read_line(&mut lines).await?
            } else {
                initial
            };
            let raw = B64.decode(encoded.trim()).unwrap_or_default();
            let parts: Vec<String> = raw
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            login = Some((
                parts.get(1).cloned().unwrap_or_default(),
                parts.get(2).cloned().unwrap_or_default(),
            ));
            *inner.logins.lock().unwrap() += 1;
            "235 2.7.0 ok".into()
        } else if upper.starts_with("AUTH LOGIN") {
            write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
            let user = read_line(&mut lines).await?;
            write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
            let pass = read_line(&mut lines).await?;
            let text = |s: &str| {
                String::from_utf8_lossy(&B64.decode(s.trim()).unwrap_or_default()).into_owned()
            };
            login = Some((text(&user), text(&pass)));
            *inner.logins.lock().unwrap() += 1;
            "235 2.7.0 ok".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line[10..]);
            to.clear();
            "250 2.1.0 ok".into()
        } else if upper.starts_with("RCPT TO:") {
            let refused = inner.refuse_rcpt.lock().unwrap().clone();
            match refused {
                Some(reply) => reply,
                None => {
                    to.push(address(&line[8..]));
                    "250 2.1.5 ok".into()
                }
            }
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            inner.mails.lock().unwrap().push(Mail {
                from: from.clone(),
                to: to.clone(),
                login: login.clone(),
                data,
            });
            "250 2.0.0 queued".into()
        } else if upper == "RSET" || upper == "NOOP" {
            "250 2.0.0 ok".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 not implemented".into()
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

async fn read_line(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<String> {
    let mut l = String::new();
    lines.read_line(&mut l).await?;
    Ok(l.trim_end_matches(['\r', '\n']).to_string())
}

/// `<a@b.cn> BODY=8BITMIME` → `a@b.cn`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(open), Some(close)) if open < close => arg[open + 1..close].to_string(),
        _ => arg.split_whitespace().next().unwrap_or("").to_string(),
    }
}

impl Mail {
    /// A header's value, unfolded, with RFC 2047 encoded words decoded.
    pub fn header(&self, name: &str) -> String {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        header_in(head, name)
    }

    /// The decoded body of the part whose Content-Type starts with `mime`
    /// (`text/plain`, `text/html`).
    pub fn part(&self, mime: &str) -> String {
        let content_type = self.header("Content-Type");
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .map(|b| {
                b.trim_matches('"')
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim_matches('"')
                    .to_string()
            })
            .unwrap_or_else(|| panic!("not multipart: {content_type}"));
        for part in self.data.split(&format!("--{boundary}")) {
            let part = part.trim_start_matches("\r\n");
            let Some((head, body)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            if !header_in(head, "Content-Type").starts_with(mime) {
                continue;
            }
            let encoding = header_in(head, "Content-Transfer-Encoding").to_ascii_lowercase();
            return decode_body(&encoding, body.trim_end_matches("\r\n"));
        }
        panic!("no {mime} part in {}", self.data)
    }
}

fn header_in(head: &str, name: &str) -> String {
    let mut out: Option<String> = None;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(v) = out.as_mut() {
                v.push_str(line);
            }
            continue;
        }
        if out.is_some() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            out = Some(v.trim().to_string());
        }
    }
    decode_words(&out.unwrap_or_default())
}

/// Decodes `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words; whitespace between two words
/// goes.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 2..];
        let parts: Vec<&str> = word.splitn(3, '?').collect();
        let Some(end) = parts.get(2).and_then(|p| p.find("?=")) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = &parts[2][..end];
        let bytes = match parts[1].to_ascii_lowercase().as_str() {
            "b" => B64.decode(text).unwrap_or_default(),
            _ => qp(&text.replace('_', " ")),
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        let consumed = 2 + parts[0].len() + 1 + parts[1].len() + 1 + end + 2;
        rest = &rest[start + consumed..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

fn decode_body(encoding: &str, body: &str) -> String {
    match encoding {
        "base64" => String::from_utf8_lossy(
            &B64.decode(body.replace("\r\n", "").trim())
                .unwrap_or_default(),
        )
        .into_owned(),
        "quoted-printable" => String::from_utf8_lossy(&qp(body)).into_owned(),
        _ => body.to_string(),
    }
}

/// Quoted-printable: `=XX` bytes and `=` soft line breaks.
fn qp(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let Some(hex) = text.get(i + 1..i + 3)
                && let Ok(b) = u8::from_str_radix(hex, 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}
