//! A master key rotation completed (`key_rotated`): the system administrators hear of
//! it in the transaction that makes the new key current (and records `keys.rotate`).
//! Only the epoch, the count of re-wrapped keys and the time go out — never a key or
//! its check value.

use serde_json::json;

use crate::db::Tx;
use crate::ids::UnitId;
use crate::notify::{Audience, Notice, NotificationKind, enqueue};

/// Queues the notice about the root unit `root`: the key of `epoch` became current.
pub(super) async fn rotated(
    tx: &mut Tx,
    now: i64,
    root: &str,
    epoch: i64,
    rewrapped: u64,
) -> Result<(), sqlx::Error> {
    let notice = Notice::new(
        NotificationKind::KeyRotated,
        UnitId::new(root.to_string()),
        now,
    )
    .to(Audience::Sysadmins)
    .data(json!({
        "rotated_at": now,
        "epoch": epoch,
        "keys_rewrapped": rewrapped,
    }))
    .dedupe(format!("key_rotated|{epoch}"));
    enqueue(tx, &notice).await?;
    Ok(())
}
