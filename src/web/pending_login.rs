//! A sign-in between its two steps. When the password was right and the person has
//! TOTP, the console asks for the code on a second page; what the first page proved
//! travels to it sealed (AES-256-GCM under a sub-key of the system key) in a cookie
//! that lives three minutes, is `HttpOnly`, `SameSite=Strict` and scoped to `/login`.
//! The second step replays the whole login (password and code) through
//! `identity::login`, so lockout, throttling, audit and TOTP replay rules hold exactly
//! as for the API. The browser never sees the password in the clear; a copied cookie
//! is worth nothing without a current code and dies with its three minutes, a master
//! key rotation or a password change.

use zeroize::Zeroizing;

use super::sealed::{open_until, seal_until};
use crate::app::AppState;

/// How long the second step may wait.
pub const LIFETIME_MS: i64 = 180_000;
const LABEL: &str = "web.pending_login";
const AAD: &[u8] = b"credgov web pending login v1";

/// The username and password of a sign-in waiting for its code.
pub struct Pending {
    pub username: String,
    pub password: Zeroizing<String>,
}

/// The cookie value for `username` / `password`, valid until `now + LIFETIME_MS`.
pub fn seal_pending(state: &AppState, username: &str, password: &str, now: i64) -> String {
    let name = username.as_bytes();
    let name = &name[..name.len().min(usize::from(u16::MAX))];
    let mut plain = Zeroizing::new(Vec::with_capacity(2 + name.len() + password.len()));
    plain.extend_from_slice(&u16::try_from(name.len()).unwrap_or(u16::MAX).to_be_bytes());
    plain.extend_from_slice(name);
    plain.extend_from_slice(password.as_bytes());
    seal_until(state, LABEL, AAD, now + LIFETIME_MS, &plain)
}

/// The sign-in sealed in `cookie`, if it opens and has not expired.
pub fn open_pending(state: &AppState, cookie: &str, now: i64) -> Option<Pending> {
    let plain = open_until(state, LABEL, AAD, cookie, now).ok()?;
    let len = usize::from(u16::from_be_bytes(plain.get(..2)?.try_into().ok()?));
    let username = std::str::from_utf8(plain.get(2..2 + len)?)
        .ok()?
        .to_string();
    let password = Zeroizing::new(std::str::from_utf8(plain.get(2 + len..)?).ok()?.to_string());
    Some(Pending { username, password })
}
