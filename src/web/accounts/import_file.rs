//! The spreadsheet of a console import on its way: read from the multipart upload
//! (at most [`MAX_FILE_BYTES`]), then carried from the dry-run report to the import
//! itself sealed in the report's form ([`super::super::sealed`]: AES-256-GCM under a
//! sub-key of the system key), bound to the session and the unit and valid for
//! [`LIFETIME_MS`], so the second step needs no second upload and the browser can
//! neither read nor change what it carries.

use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::StatusCode;
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::ids::UnitId;
use crate::web::csrf;
use crate::web::error::{WebError, WebResult};
use crate::web::i18n::Tr;
use crate::web::sealed::{Unsealed, open_until, seal_until};

/// The largest spreadsheet the console takes.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// The upload's body. Up to this the whole body is read (what is over
/// [`MAX_FILE_BYTES`] is dropped as it comes) so that the browser gets the "too large"
/// page; beyond it the connection is closed mid-upload.
pub const UPLOAD_BODY_LIMIT: usize = 4 * MAX_FILE_BYTES;
/// The confirm form's body: the file sealed and in base64 (4/3 of it) and the token.
pub const CONFIRM_BODY_LIMIT: usize = MAX_FILE_BYTES / 3 * 4 + 64 * 1024;
/// How long a dry run's report may wait for its confirmation.
pub const LIFETIME_MS: i64 = 15 * 60 * 1000;
/// The longest form field other than the file.
const MAX_FIELD_BYTES: usize = 1024;
/// The longest file name kept (for the page and the audit event).
const MAX_NAME_CHARS: usize = 200;
const LABEL: &str = "web.import_file";
const AAD_PREFIX: &[u8] = b"credgov web import file v1/";

/// What the upload form sent.
pub struct Upload {
    pub csrf: Option<String>,
    pub unit_id: String,
    pub file_name: String,
    pub bytes: Zeroizing<Vec<u8>>,
}

/// A file carried from the dry run to the import.
pub struct Carried {
    pub unit_id: UnitId,
    pub file_name: String,
    pub bytes: Zeroizing<Vec<u8>>,
}

/// Reads the upload's fields (`_csrf`, `unit_id`, `file`); others are skipped. A file
/// above [`MAX_FILE_BYTES`] (or a body above the route's limit) is a 413 page, once
/// the body has been read to its end.
pub async fn read_upload(tr: Tr, mut form: Multipart) -> WebResult<Upload> {
    let mut up = Upload {
        csrf: None,
        unit_id: String::new(),
        file_name: String::new(),
        bytes: Zeroizing::new(Vec::new()),
    };
    let mut fits = true;
    while let Some(mut field) = form.next_field().await.map_err(|e| broken(tr, &e))? {
        let name = field.name().unwrap_or_default().to_string();
        let mut small = Vec::new();
        match name.as_str() {
            "file" => {
                up.file_name = clean_name(field.file_name().unwrap_or_default());
                fits &= read_into(tr, &mut field, &mut up.bytes, MAX_FILE_BYTES).await?;
            }
            _ => fits &= read_into(tr, &mut field, &mut small, MAX_FIELD_BYTES).await?,
        }
        match name.as_str() {
            csrf::FIELD => up.csrf = Some(text(tr, small)?),
            "unit_id" => up.unit_id = text(tr, small)?,
            _ => {}
        }
    }
    if !fits {
        return Err(too_large(tr));
    }
    Ok(up)
}

fn text(tr: Tr, raw: Vec<u8>) -> WebResult<String> {
    String::from_utf8(raw)
        .map_err(|_| WebError::page(tr, StatusCode::BAD_REQUEST, "error.bad_form"))
}

/// Appends the field's content to `out` up to `max` bytes; false when there was more
/// (read and dropped, so that the answer reaches the browser).
async fn read_into(
    tr: Tr,
    field: &mut Field<'_>,
    out: &mut Vec<u8>,
    max: usize,
) -> WebResult<bool> {
    let mut fits = true;
    while let Some(chunk) = field.chunk().await.map_err(|e| broken(tr, &e))? {
        if fits && out.len() + chunk.len() <= max {
            out.extend_from_slice(&chunk);
        } else {
            fits = false;
        }
    }
    Ok(fits)
}

fn too_large(tr: Tr) -> WebError {
    let mb = (MAX_FILE_BYTES / (1024 * 1024)).to_string();
    WebError::Page {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        tr,
        message: tr.f("import.too_large", [("mb", mb.as_str())]),
    }
}

/// A multipart body that could not be read: too large, or malformed.
fn broken(tr: Tr, e: &MultipartError) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(tr)
    } else {
        WebError::page(tr, StatusCode::BAD_REQUEST, "error.bad_form")
    }
}

/// The file's own name, without any folder a browser sent, shortened.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let base: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    if base.is_empty() {
        "upload".to_string()
    } else {
        base
    }
}

fn aad(session_hash: &str) -> Vec<u8> {
    [AAD_PREFIX, session_hash.as_bytes()].concat()
}

/// The form value that carries `bytes` (named `file_name`, for `unit_id`) to the
/// import, for the session whose token hashes to `session_hash`.
pub fn seal_file(
    state: &AppState,
    session_hash: &str,
    unit_id: &UnitId,
    file_name: &str,
    bytes: &[u8],
) -> String {
    let mut plain = Zeroizing::new(Vec::with_capacity(bytes.len() + 256));
    for part in [unit_id.as_str().as_bytes(), file_name.as_bytes()] {
        let part = &part[..part.len().min(usize::from(u16::MAX))];
        plain.extend_from_slice(&u16::try_from(part.len()).unwrap_or(u16::MAX).to_be_bytes());
        plain.extend_from_slice(part);
    }
    plain.extend_from_slice(bytes);
    let expires = state.now() + LIFETIME_MS;
    seal_until(state, LABEL, &aad(session_hash), expires, &plain)
}

/// The file [`seal_file`] sealed for this session, if it opens and is not too old.
pub fn open_file(state: &AppState, session_hash: &str, text: &str) -> Result<Carried, Unsealed> {
    let plain = open_until(state, LABEL, &aad(session_hash), text, state.now())?;
    let (unit_id, rest) = take_part(&plain).ok_or(Unsealed::Invalid)?;
    let (file_name, rest) = take_part(rest).ok_or(Unsealed::Invalid)?;
    Ok(Carried {
        unit_id: UnitId::new(unit_id),
        file_name: file_name.to_string(),
        bytes: Zeroizing::new(rest.to_vec()),
    })
}

/// A length-prefixed UTF-8 part and what follows it.
fn take_part(b: &[u8]) -> Option<(&str, &[u8])> {
    let len = usize::from(u16::from_be_bytes(b.get(..2)?.try_into().ok()?));
    let part = std::str::from_utf8(b.get(2..2 + len)?).ok()?;
    Some((part, b.get(2 + len..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_keeps_only_its_own_name() {
        assert_eq!(clean_name("C:\\Users\\王\\账号清单.xlsx"), "账号清单.xlsx");
        assert_eq!(clean_name("/tmp/a.csv"), "a.csv");
        assert_eq!(clean_name("  "), "upload");
        assert_eq!(clean_name("a\u{7}b.csv"), "ab.csv");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn parts_are_read_back_and_short_input_is_refused() {
        let mut b = vec![0, 3];
        b.extend_from_slice(b"abcrest");
        assert_eq!(take_part(&b), Some(("abc", &b"rest"[..])));
        assert_eq!(take_part(&[0, 9, b'a']), None);
        assert_eq!(take_part(&[1]), None);
    }
}
