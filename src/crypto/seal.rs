//! AEAD sealing of small secrets. A sealed value is
//! `suite (1 byte) || nonce (12) || ciphertext+tag (16)`; the associated data binds it
//! to where it belongs, so a value copied to another row or tenant does not open.
//!
//! Two suites: AES-256-GCM (default) and SM4-GCM (GB/T 32907 block cipher in GCM mode as
//! in RFC 8998, for deployments that must use 国密 algorithms). Keys are 32 random
//! bytes; SM4 uses their first 16.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Suite {
    #[default]
    #[serde(rename = "aes-256-gcm")]
    Aes256Gcm,
    #[serde(rename = "sm4-gcm")]
    Sm4Gcm,
}

impl Suite {
    pub fn id(self) -> u8 {
        match self {
            Suite::Aes256Gcm => 1,
            Suite::Sm4Gcm => 2,
        }
    }

    fn from_id(id: u8) -> Option<Suite> {
        match id {
            1 => Some(Suite::Aes256Gcm),
            2 => Some(Suite::Sm4Gcm),
            _ => None,
        }
    }
}

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

fn encrypt(
    suite: Suite,
    key: &[u8; 32],
    nonce: &[u8],
    payload: Payload<'_, '_>,
) -> Result<Vec<u8>, aes_gcm::Error> {
    match suite {
        Suite::Aes256Gcm => Aes256Gcm::new(key.into()).encrypt(Nonce::from_slice(nonce), payload),
        Suite::Sm4Gcm => Sm4Gcm::new(key[..16].into()).encrypt(Nonce::from_slice(nonce), payload),
    }
}

fn decrypt(
    suite: Suite,
    key: &[u8; 32],
    nonce: &[u8],
    payload: Payload<'_, '_>,
) -> Result<Vec<u8>, aes_gcm::Error> {
    match suite {
        Suite::Aes256Gcm => Aes256Gcm::new(key.into()).decrypt(Nonce::from_slice(nonce), payload),
        Suite::Sm4Gcm => Sm4Gcm::new(key[..16].into()).decrypt(Nonce::from_slice(nonce), payload),
    }
}

/// Seals with AES-256-GCM.
pub fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Sealed {
    seal_with(Suite::Aes256Gcm, key, aad, plaintext)
}

pub fn seal_with(suite: Suite, key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Sealed {
    let mut nonce = [0u8; NONCE_LEN];
    super::random_bytes(&mut nonce);
    let ct = encrypt(
        suite,
        key,
        &nonce,
        Payload {
            msg: plaintext,
            aad,
        },
    )
    .unwrap_or_else(|_| unreachable!("GCM encryption of small inputs cannot fail"));
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(suite.id());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Opens a value sealed by either suite.
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let (&id, rest) = sealed.split_first().ok_or(SealError::Malformed)?;
    let suite = Suite::from_id(id).ok_or(SealError::UnknownSuite(id))?;
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(SealError::Malformed);
    }
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    decrypt(suite, key, nonce, Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::Open)
}

/// The suite a sealed value uses.
pub fn suite_of(sealed: &[u8]) -> Option<Suite> {
    sealed.first().and_then(|&b| Suite::from_id(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn seal_open_and_context_binding_both_suites() {
        for suite in [Suite::Aes256Gcm, Suite::Sm4Gcm] {
            let key = [7u8; 32];
            let s = seal_with(suite, &key, b"user:1", b"canary-secret");
            assert_eq!(suite_of(&s), Some(suite));
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
            assert_ne!(
                seal_with(suite, &key, b"a", b"x"),
                seal_with(suite, &key, b"a", b"x")
            );
        }
        assert_eq!(open(&[0; 32], b"", &[]).unwrap_err(), SealError::Malformed);
        assert_eq!(
            open(&[0; 32], b"", &[9; 40]).unwrap_err(),
            SealError::UnknownSuite(9)
        );
    }

    /// A published test vector (hex): encrypting `pt` under `key` (shorter keys are
    /// zero-padded to 32 bytes, as SM4 reads only the first 16) gives `ct ‖ tag`, and
    /// the sealed form (suite id, nonce, ciphertext, tag) opens to `pt` again.
    struct KnownAnswer {
        suite: Suite,
        /// The suite id a sealed value starts with.
        id: u8,
        key: &'static str,
        nonce: &'static str,
        aad: &'static str,
        pt: &'static str,
        ct: &'static str,
        tag: &'static str,
    }

    impl KnownAnswer {
        fn check(&self) {
            let mut key = [0u8; 32];
            let k = h(self.key);
            key[..k.len()].copy_from_slice(&k);
            let (nonce, aad, pt) = (h(self.nonce), h(self.aad), h(self.pt));
            let ct_tag = [h(self.ct), h(self.tag)].concat();
            let out = encrypt(
                self.suite,
                &key,
                &nonce,
                Payload {
                    msg: &pt,
                    aad: &aad,
                },
            )
            .unwrap();
            assert_eq!(hex::encode(&out), hex::encode(&ct_tag));
            assert_eq!(self.suite.id(), self.id);
            let sealed = [vec![self.id], nonce, ct_tag].concat();
            assert_eq!(open(&key, &aad, &sealed).unwrap().as_slice(), pt.as_slice());
        }
    }

    /// McGrew & Viega GCM test case 16 (AES-256, 60-byte plaintext, AAD).
    #[test]
    fn aes256_gcm_known_answer() {
        KnownAnswer {
            suite: Suite::Aes256Gcm,
            id: 1,
            key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            nonce: "cafebabefacedbaddecaf888",
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            ct: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            tag: "76fc6ece0f4e1768cddf8853bb2d551b",
        }
        .check();
    }

    /// RFC 8998 appendix A.1: SM4-GCM.
    #[test]
    fn sm4_gcm_known_answer_rfc8998() {
        KnownAnswer {
            suite: Suite::Sm4Gcm,
            id: 2,
            key: "0123456789ABCDEFFEDCBA9876543210",
            nonce: "00001234567800000000ABCD",
            aad: "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2",
            pt: "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
            ct: "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D",
            tag: "83DE3541E4C2B58177E065A9BF7B62EC",
        }
        .check();
    }
}
