//! AEAD sealing of small secrets. A sealed value is
//! `suite (1 byte) || nonce (12) || ciphertext+tag`, and the associated data binds it
//! to where it belongs, so a value copied to another row does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

/// Cipher-suite byte of AES-256-GCM with a 96-bit random nonce.
pub const SUITE_AES256_GCM: u8 = 1;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("unknown cipher suite {0}")]
    UnknownSuite(u8),
    #[error("sealed value does not open with this key and context")]
    Open,
}

/// Bytes as stored.
pub type Sealed = Vec<u8>;

pub fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Sealed {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    super::random_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .unwrap_or_else(|_| unreachable!("AES-GCM encryption of small inputs cannot fail"));
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(SUITE_AES256_GCM);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let (&suite, rest) = sealed.split_first().ok_or(SealError::Malformed)?;
    if suite != SUITE_AES256_GCM {
        return Err(SealError::UnknownSuite(suite));
    }
    if rest.len() < NONCE_LEN + 16 {
        return Err(SealError::Malformed);
    }
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_context_binding() {
        let key = [7u8; 32];
        let s = seal(&key, b"user:1", b"canary-secret");
        assert_eq!(
            open(&key, b"user:1", &s).unwrap().as_slice(),
            b"canary-secret"
        );
        assert_eq!(open(&key, b"user:2", &s).unwrap_err(), SealError::Open);
        assert_eq!(
            open(&[8u8; 32], b"user:1", &s).unwrap_err(),
            SealError::Open
        );
        let mut t = s.clone();
        let last = t.len() - 1;
        t[last] ^= 1;
        assert_eq!(open(&key, b"user:1", &t).unwrap_err(), SealError::Open);
        assert_eq!(open(&key, b"", &[]).unwrap_err(), SealError::Malformed);
        assert_ne!(
            seal(&key, b"a", b"x"),
            seal(&key, b"a", b"x"),
            "random nonce"
        );
    }

    /// NIST GCM test vector (AES-256, test case 16 of McGrew & Viega).
    #[test]
    fn aes256_gcm_known_answer() {
        let key: [u8; 32] =
            hex::decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
                .unwrap()
                .try_into()
                .unwrap();
        let nonce = hex::decode("cafebabefacedbaddecaf888").unwrap();
        let pt = hex::decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39").unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let mut sealed = vec![SUITE_AES256_GCM];
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&hex::decode("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662").unwrap());
        sealed.extend_from_slice(&hex::decode("76fc6ece0f4e1768cddf8853bb2d551b").unwrap());
        assert_eq!(open(&key, &aad, &sealed).unwrap().as_slice(), pt.as_slice());
    }
}
