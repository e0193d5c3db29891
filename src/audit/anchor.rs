//! Signed anchors: a digest of every chain head, signed with HMAC-SHA256 under a key
//! derived from the system key, to keep outside the database. Verifying the database
//! against an anchor catches what a chain walk alone cannot: a chain truncated with its
//! head moved back, a unit's whole chain deleted, or a chain rewritten in full.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sqlx::Row;

use super::error::AuditResult;
use super::verify::{VerifyReport, verify_all};
use crate::db::Db;
use crate::ids::UnitId;

/// Identifies the file format.
pub const ANCHOR_FORMAT: &str = "credgov-audit-anchor/1";

/// One chain head as anchored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AnchoredHead {
    pub unit_id: UnitId,
    pub seq: i64,
    pub hash: String,
    /// Last event of the chain written before keying (v1), if any.
    pub legacy_seq: Option<i64>,
}

/// An anchor file: every chain head, when, and the signature (hex HMAC-SHA256 of the
/// JSON of the other three fields, in this order).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub format: String,
    /// Unix milliseconds UTC when the anchor was taken.
    pub at: i64,
    /// Every chain head, ordered by unit id.
    pub heads: Vec<AnchoredHead>,
    pub signature: String,
}

/// The signed fields.
#[derive(Serialize)]
struct Signed<'a> {
    format: &'a str,
    at: i64,
    heads: &'a [AnchoredHead],
}

#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error("the anchor file is not a credgov audit anchor: {0}")]
    Format(String),
    #[error(
        "the anchor's signature does not verify: the file was altered, or it was taken on another installation"
    )]
    Signature,
}

fn mac(key: &[u8; 32], body: &Signed<'_>) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    // Serialising strings and integers cannot fail.
    m.update(&serde_json::to_vec(body).unwrap_or_default());
    m
}

impl Anchor {
    /// Parses and authenticates an anchor file.
    pub fn parse(text: &str, key: &[u8; 32]) -> Result<Anchor, AnchorError> {
        let a: Anchor =
            serde_json::from_str(text).map_err(|e| AnchorError::Format(e.to_string()))?;
        if a.format != ANCHOR_FORMAT {
            return Err(AnchorError::Format(format!(
                "format is {:?}, expected {ANCHOR_FORMAT:?}",
                a.format
            )));
        }
        let sig = hex::decode(&a.signature).map_err(|_| AnchorError::Signature)?;
        mac(key, &a.signed())
            .verify_slice(&sig)
            .map_err(|_| AnchorError::Signature)?;
        Ok(a)
    }

    fn signed(&self) -> Signed<'_> {
        Signed {
            format: &self.format,
            at: self.at,
            heads: &self.heads,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Reads every chain head and signs the digest.
pub async fn take_anchor(db: &Db, key: &[u8; 32], at: i64) -> AuditResult<Anchor> {
    let rows =
        sqlx::query("SELECT unit_id, seq, hash, legacy_seq FROM audit_heads ORDER BY unit_id")
            .fetch_all(db.pool())
            .await?;
    let heads = rows
        .iter()
        .map(|r| {
            Ok(AnchoredHead {
                unit_id: r.try_get("unit_id")?,
                seq: r.try_get("seq")?,
                hash: r.try_get("hash")?,
                legacy_seq: r.try_get("legacy_seq")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mut anchor = Anchor {
        format: ANCHOR_FORMAT.into(),
        at,
        heads,
        signature: String::new(),
    };
    anchor.signature = hex::encode(mac(key, &anchor.signed()).finalize().into_bytes());
    Ok(anchor)
}

/// Verifies every chain (as [`verify_all`]) and then that each anchored chain still
/// exists, still reaches the anchored event, still holds it with the anchored link, and
/// still has the anchored keying boundary.
pub async fn verify_against(db: &Db, anchor: &Anchor) -> AuditResult<VerifyReport> {
    let report = verify_all(db).await?;
    if let VerifyReport::Broken { .. } = report {
        return Ok(report);
    }
    for h in &anchor.heads {
        let broken = |seq: i64, reason: String| VerifyReport::Broken {
            unit_id: h.unit_id.clone(),
            seq,
            reason,
        };
        let head = sqlx::query("SELECT seq, legacy_seq FROM audit_heads WHERE unit_id = $1")
            .bind(&h.unit_id)
            .fetch_optional(db.pool())
            .await?;
        let Some(head) = head else {
            return Ok(broken(
                h.seq,
                format!(
                    "the anchor holds this unit's chain up to event {} but the chain is gone (deleted)",
                    h.seq
                ),
            ));
        };
        let seq: i64 = head.try_get("seq")?;
        let legacy: Option<i64> = head.try_get("legacy_seq")?;
        if seq < h.seq {
            return Ok(broken(
                seq + 1,
                format!(
                    "the chain ends at event {seq} but the anchor holds it up to event {} (truncated)",
                    h.seq
                ),
            ));
        }
        let stored = sqlx::query("SELECT hash FROM audit_events WHERE unit_id = $1 AND seq = $2")
            .bind(&h.unit_id)
            .bind(h.seq)
            .fetch_optional(db.pool())
            .await?;
        let stored: Option<String> = stored.map(|r| r.try_get("hash")).transpose()?;
        if stored.as_deref() != Some(h.hash.as_str()) {
            return Ok(broken(
                h.seq,
                "event differs from the anchored one (the chain was rewritten up to here)".into(),
            ));
        }
        if legacy != h.legacy_seq {
            return Ok(broken(
                h.seq,
                "the chain's keying boundary differs from the anchored one (tampered)".into(),
            ));
        }
    }
    // Every chain that predates keying existed when the anchor was taken (anchors are
    // taken after the keying migration), so a later chain with a pre-keying boundary
    // was given one to pass off rewritten events as old.
    let rows = sqlx::query(
        "SELECT unit_id FROM audit_heads WHERE legacy_seq IS NOT NULL ORDER BY unit_id",
    )
    .fetch_all(db.pool())
    .await?;
    for r in &rows {
        let unit: UnitId = r.try_get("unit_id")?;
        if !anchor.heads.iter().any(|h| h.unit_id == unit) {
            return Ok(VerifyReport::Broken {
                unit_id: unit,
                seq: 0,
                reason:
                    "a chain created after the anchor claims events from before keying (tampered)"
                        .into(),
            });
        }
    }
    Ok(report)
}
