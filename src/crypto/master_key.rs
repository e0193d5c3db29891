//! The master key: loaded from a file (32 raw bytes or 64 hex characters), generated
//! with mode 0600 on first start of an empty database, and checked against the
//! database so a wrong key is a clear start-up error rather than silent corruption.

use std::fmt;
use std::io::Write;
use std::path::Path;

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

pub const KEY_LEN: usize = 32;

#[derive(Clone)]
pub struct MasterKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("master key file {path}: {reason}")]
    File { path: String, reason: String },
    #[error(
        "master key file {path} does not exist, but the database already holds data sealed under a master key; restore the key file from backup or point CREDGOV_MASTER_KEY_FILE at it"
    )]
    MissingForExistingData { path: String },
    #[error(
        "master key in {path} does not match this database (key check failed); use the key this database was created with"
    )]
    Mismatch { path: String },
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        MasterKey {
            bytes: Zeroizing::new(bytes),
        }
    }

    pub fn generate() -> Self {
        let mut b = [0u8; KEY_LEN];
        super::random_bytes(&mut b);
        let k = Self::from_bytes(b);
        b.zeroize();
        k
    }

    /// Reads a key file: exactly 32 bytes, or 64 hex characters (surrounding
    /// whitespace allowed).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let err = |reason: String| KeyError::File {
            path: path.display().to_string(),
            reason,
        };
        let raw = Zeroizing::new(std::fs::read(path).map_err(|e| err(e.to_string()))?);
        if raw.len() == KEY_LEN {
            let mut b = [0u8; KEY_LEN];
            b.copy_from_slice(&raw);
            let k = Self::from_bytes(b);
            b.zeroize();
            return Ok(k);
        }
        let text = std::str::from_utf8(&raw)
            .map_err(|_| err("must hold 32 raw bytes or 64 hex characters".into()))?
            .trim();
        let mut b = [0u8; KEY_LEN];
        hex::decode_to_slice(text, &mut b)
            .map_err(|_| err("must hold 32 raw bytes or 64 hex characters".into()))?;
        let k = Self::from_bytes(b);
        b.zeroize();
        Ok(k)
    }

    /// Writes the key as hex with mode 0600, refusing to overwrite an existing file.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let err = |reason: String| KeyError::File {
            path: path.display().to_string(),
            reason,
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| err(e.to_string()))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| err(e.to_string()))?;
        let text = Zeroizing::new(hex::encode(self.bytes.as_ref()));
        f.write_all(text.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .and_then(|_| f.sync_all())
            .map_err(|e| err(e.to_string()))
    }

    /// A derived 32-byte sub-key for one purpose (HKDF-SHA256, info = label).
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; KEY_LEN]> {
        let hk = Hkdf::<Sha256>::new(Some(b"credgov/v1"), self.bytes.as_ref());
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        // 32 bytes is always a valid HKDF-SHA256 output length.
        if hk.expand(label.as_bytes(), out.as_mut()).is_err() {
            unreachable!("HKDF output length 32 is valid");
        }
        out
    }

    /// Public value stored in the database to recognise this key.
    pub fn check_value(&self) -> String {
        let key = self.derive("key-check");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"credgov master key check");
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_file_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k/master.key");
        let k = MasterKey::generate();
        k.write_new(&p).unwrap();
        let k2 = MasterKey::load(&p).unwrap();
        assert_eq!(k.check_value(), k2.check_value());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(k.write_new(&p).is_err(), "never overwrites a key");
        assert_ne!(MasterKey::generate().check_value(), k.check_value());
        assert!(!format!("{k:?}").contains(&hex::encode(k.bytes.as_ref())));
    }

    #[test]
    fn rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.key");
        std::fs::write(&p, "not a key").unwrap();
        let e = MasterKey::load(&p).unwrap_err().to_string();
        assert!(e.contains("64 hex"), "{e}");
    }
}
