//! The master key file split among officers (Shamir's secret sharing over GF(256), by
//! the audited `vsss-rs`), as Vault splits its unseal key: `threshold` of `shares`
//! shares rebuild the key file byte for byte; fewer reveal nothing about it.
//!
//! A share is a short text file an officer can keep on paper or a USB stick. It names
//! its index, the threshold, the split it belongs to (`set`), the SHA-256 of the key
//! file that was split (so a rebuilt key is checked before it is written), and a
//! checksum over all of that, so a mistyped or damaged share is named instead of
//! silently rebuilding a wrong key.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};
use vsss_rs::Gf256;
use zeroize::{Zeroize, Zeroizing};

/// The first line of every share file.
const MAGIC: &str = "credgov-key-share: v1";

/// What went wrong splitting or joining; each says what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShareError {
    #[error(
        "--threshold must be at least 2 and at most --shares, and --shares at most 255 (got {threshold} of {shares})"
    )]
    Counts { shares: usize, threshold: usize },
    #[error("{file}: not a credgov key share ({what})")]
    NotAShare { file: String, what: String },
    #[error(
        "{file} is damaged: its checksum does not match its contents (copy it again from the officer's original)"
    )]
    Damaged { file: String },
    #[error(
        "{file} belongs to another split of a key (set {set}, the first share is of set {expected}): use shares of one split only"
    )]
    OtherSet {
        file: String,
        set: String,
        expected: String,
    },
    #[error("{first} and {second} are the same share ({index}); each share counts once")]
    Duplicate {
        first: String,
        second: String,
        index: u8,
    },
    #[error("{needed} different shares are needed to rebuild the key, {given} given")]
    TooFew { needed: usize, given: usize },
    #[error(
        "the rebuilt key does not match the key that was split: a share was altered together with its checksum; try another combination of shares"
    )]
    Mismatch,
    #[error("secret sharing failed: {0}")]
    Sharing(String),
}

/// One officer's share, as written to and read from its file.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyShare {
    pub index: u8,
    pub shares: usize,
    pub threshold: usize,
    /// Random; the same in every share of one split.
    pub set: String,
    /// SHA-256 (hex) of the key file that was split.
    pub key_sha256: String,
    data: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .field("threshold", &self.threshold)
            .field("set", &self.set)
            .finish_non_exhaustive()
    }
}

/// Splits the key file's bytes into `shares` shares, any `threshold` of which rebuild it.
pub fn split(
    key_file: &[u8],
    shares: usize,
    threshold: usize,
) -> Result<Vec<KeyShare>, ShareError> {
    if threshold < 2 || threshold > shares || shares > 255 {
        return Err(ShareError::Counts { shares, threshold });
    }
    let mut set_bytes = [0u8; 4];
    super::random_bytes(&mut set_bytes);
    let set = hex::encode(set_bytes);
    let key_sha256 = hex::encode(Sha256::digest(key_file));
    let raw = Gf256::split_array(threshold, shares, key_file, aes_gcm::aead::OsRng)
        .map_err(|e| ShareError::Sharing(format!("{e:?}")))?;
    raw.into_iter()
        .map(|mut v| {
            // Each share starts with its identifier (the x of its point).
            let share = v.split_first().map(|(index, rest)| KeyShare {
                index: *index,
                shares,
                threshold,
                set: set.clone(),
                key_sha256: key_sha256.clone(),
                data: Zeroizing::new(rest.to_vec()),
            });
            v.zeroize();
            share.ok_or_else(|| ShareError::Sharing("an empty share".into()))
        })
        .collect()
}

/// Rebuilds the key file from shares named by `(file name, share)`: at least the
/// threshold of different shares of one split, each intact.
pub fn join(given: &[(String, KeyShare)]) -> Result<Zeroizing<Vec<u8>>, ShareError> {
    let Some((_, first)) = given.first() else {
        return Err(ShareError::TooFew {
            needed: 2,
            given: 0,
        });
    };
    let mut distinct: Vec<&(String, KeyShare)> = Vec::new();
    for named in given {
        let (file, s) = named;
        if s.set != first.set || s.threshold != first.threshold || s.key_sha256 != first.key_sha256
        {
            return Err(ShareError::OtherSet {
                file: file.clone(),
                set: s.set.clone(),
                expected: first.set.clone(),
            });
        }
        if let Some((earlier, _)) = distinct.iter().find(|(_, d)| d.index == s.index) {
            return Err(ShareError::Duplicate {
                first: earlier.clone(),
                second: file.clone(),
                index: s.index,
            });
        }
        distinct.push(named);
    }
    if distinct.len() < first.threshold {
        return Err(ShareError::TooFew {
            needed: first.threshold,
            given: distinct.len(),
        });
    }
    let mut raw: Vec<Vec<u8>> = distinct
        .iter()
        .map(|(_, s)| {
            let mut v = Vec::with_capacity(s.data.len() + 1);
            v.push(s.index);
            v.extend_from_slice(&s.data);
            v
        })
        .collect();
    let rebuilt = Gf256::combine_array(&raw).map_err(|e| ShareError::Sharing(format!("{e:?}")));
    for v in &mut raw {
        v.zeroize();
    }
    let rebuilt = Zeroizing::new(rebuilt?);
    if hex::encode(Sha256::digest(rebuilt.as_slice())) != first.key_sha256 {
        return Err(ShareError::Mismatch);
    }
    Ok(rebuilt)
}

impl KeyShare {
    /// The lines the checksum covers, in order.
    fn body(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::new());
        // Writing to a String cannot fail.
        let _ = write!(
            s,
            "{MAGIC}\nset: {}\nshare: {}\nshares: {}\nthreshold: {}\nkey-file-sha256: {}\ndata: {}\n",
            self.set,
            self.index,
            self.shares,
            self.threshold,
            self.key_sha256,
            hex::encode(self.data.as_slice())
        );
        s
    }

    /// The share file's text: a comment for the officer, the body and its checksum.
    pub fn to_text(&self) -> Zeroizing<String> {
        let body = self.body();
        let checksum = checksum(&body);
        Zeroizing::new(format!(
            "# credgov master key share {} of {} (set {}). Keep it offline and apart from the other shares;\n\
             # any {} shares rebuild the key file with `credgov keys join --out FILE SHARE_FILE...`.\n{}checksum: {}\n",
            self.index,
            self.shares,
            self.set,
            self.threshold,
            body.as_str(),
            checksum
        ))
    }

    /// Reads a share file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<KeyShare, ShareError> {
        let not = |what: &str| ShareError::NotAShare {
            file: file.to_string(),
            what: what.to_string(),
        };
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if lines.first() != Some(&MAGIC) {
            return Err(not("its first line must be `credgov-key-share: v1`"));
        }
        let field = |name: &str| -> Result<&str, ShareError> {
            lines
                .iter()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
                .ok_or_else(|| not(&format!("the line `{name}:` is missing")))
        };
        let number = |name: &str| -> Result<usize, ShareError> {
            field(name)?
                .parse()
                .map_err(|_| not(&format!("`{name}:` is not a number")))
        };
        let index = u8::try_from(number("share")?).map_err(|_| not("`share:` is out of range"))?;
        let mut data = Zeroizing::new(Vec::new());
        *data = hex::decode(field("data")?).map_err(|_| ShareError::Damaged {
            file: file.to_string(),
        })?;
        let share = KeyShare {
            index,
            shares: number("shares")?,
            threshold: number("threshold")?,
            set: field("set")?.to_string(),
            key_sha256: field("key-file-sha256")?.to_string(),
            data,
        };
        if checksum(&share.body()) != field("checksum")? {
            return Err(ShareError::Damaged {
                file: file.to_string(),
            });
        }
        Ok(share)
    }
}

/// The first 16 hex characters of the body's SHA-256: enough to catch any slip.
fn checksum(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n";

    fn named(shares: &[KeyShare], pick: &[usize]) -> Vec<(String, KeyShare)> {
        pick.iter()
            .map(|i| (format!("share-{}.txt", i + 1), shares[*i].clone()))
            .collect()
    }

    /// Every subset of `0..n` as a list of indexes.
    fn subsets(n: usize) -> Vec<Vec<usize>> {
        (0u32..(1 << n))
            .map(|m| (0..n).filter(|i| m & (1 << i) != 0).collect())
            .collect()
    }

    #[test]
    fn every_k_of_n_combination_rebuilds_the_file_and_fewer_do_not() {
        for n in 2..=5 {
            for k in 2..=n {
                let shares = split(KEY, n, k).unwrap();
                assert_eq!(shares.len(), n);
                for pick in subsets(n) {
                    let got = join(&named(&shares, &pick));
                    if pick.len() >= k {
                        assert_eq!(got.unwrap().as_slice(), KEY, "{k} of {n}: {pick:?}");
                    } else if !pick.is_empty() {
                        assert_eq!(
                            got.unwrap_err(),
                            ShareError::TooFew {
                                needed: k,
                                given: pick.len()
                            },
                            "{k} of {n}: {pick:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn share_files_round_trip_and_name_their_facts() {
        let shares = split(KEY, 5, 3).unwrap();
        let text = shares[1].to_text();
        assert!(text.contains("share: 2\n") && text.contains("threshold: 3\n"));
        assert!(!text.contains("9f86d081"), "the key is not in a share");
        let back = KeyShare::parse("share-2.txt", &text).unwrap();
        assert_eq!(back, shares[1]);
    }

    #[test]
    fn a_damaged_share_is_named() {
        let shares = split(KEY, 5, 3).unwrap();
        let text = shares[2].to_text();
        let data_at = text.find("data: ").unwrap() + 6;
        let mut bytes = text.as_bytes().to_vec();
        bytes[data_at] = if bytes[data_at] == b'0' { b'1' } else { b'0' };
        let damaged = String::from_utf8(bytes).unwrap();
        assert_eq!(
            KeyShare::parse("share-3.txt", &damaged).unwrap_err(),
            ShareError::Damaged {
                file: "share-3.txt".into()
            }
        );
        let missing = text.replace("threshold: 3\n", "");
        assert!(matches!(
            KeyShare::parse("share-3.txt", &missing),
            Err(ShareError::NotAShare { .. })
        ));
        assert!(matches!(
            KeyShare::parse("notes.txt", "hello"),
            Err(ShareError::NotAShare { .. })
        ));
    }

    #[test]
    fn a_share_altered_with_its_checksum_is_caught_by_the_key_digest() {
        let shares = split(KEY, 3, 2).unwrap();
        let mut forged = shares[0].clone();
        forged.data[0] ^= 1;
        let forged = KeyShare::parse("share-1.txt", &forged.to_text()).unwrap();
        let given = vec![
            ("share-1.txt".to_string(), forged),
            ("share-2.txt".to_string(), shares[1].clone()),
        ];
        assert_eq!(join(&given).unwrap_err(), ShareError::Mismatch);
    }

    #[test]
    fn shares_of_two_splits_and_duplicates_are_refused() {
        let a = split(KEY, 3, 2).unwrap();
        let b = split(KEY, 3, 2).unwrap();
        let mixed = vec![
            ("a-1.txt".to_string(), a[0].clone()),
            ("b-2.txt".to_string(), b[1].clone()),
        ];
        assert!(matches!(join(&mixed), Err(ShareError::OtherSet { .. })));
        let twice = vec![
            ("share-1.txt".to_string(), a[0].clone()),
            ("copy.txt".to_string(), a[0].clone()),
        ];
        assert_eq!(
            join(&twice).unwrap_err(),
            ShareError::Duplicate {
                first: "share-1.txt".into(),
                second: "copy.txt".into(),
                index: a[0].index
            }
        );
    }

    #[test]
    fn counts_are_checked() {
        for (n, k) in [(5, 1), (3, 4), (256, 3), (1, 1)] {
            assert_eq!(
                split(KEY, n, k).unwrap_err(),
                ShareError::Counts {
                    shares: n,
                    threshold: k
                }
            );
        }
    }
}
