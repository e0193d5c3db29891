//! Per-client-address throttling of failed logins across usernames (credential
//! stuffing). Same shape as the per-user lockout: an attempt reserves a slot for its
//! address in one conditional upsert that refuses once `failures + attempts in flight`
//! reaches `lockout.address_max_failures` in the current fixed window of
//! `lockout.address_window_minutes`; a failure turns its slot into a counted failure, a
//! success or a refusal elsewhere gives it back. State lives in the database, so it
//! holds across servers. IPv6 addresses count per /64 (one host usually owns a /64).

use std::net::IpAddr;

use sqlx::Row;

use super::error::IdentityResult;
use super::lockout::{IN_PROGRESS_RETRY_SECONDS, LEASE_MS, give_back_slot, took_slot};
use crate::clock::MINUTE_MS;
use crate::db::Tx;
use crate::policy::LockoutPolicy;

const LIVE_PENDING: &str =
    "(CASE WHEN login_throttle.pending_until > $2 THEN login_throttle.pending ELSE 0 END)";
const WINDOW_OVER: &str = "login_throttle.window_start <= $2 - $3";
const GIVE_BACK: &str = "pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END";

/// The throttling key of a client address: the address itself, or the /64 of an IPv6
/// address. Anything unparsable is used as it is.
pub(super) fn key(client_addr: &str) -> String {
    match client_addr.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => client_addr.to_string(),
    }
}

fn window_ms(policy: &LockoutPolicy) -> i64 {
    i64::from(policy.address_window_minutes) * MINUTE_MS
}

/// Reserves a slot for `key`. `Ok(Err(seconds))`: throttled, retry after that long.
pub(super) async fn reserve(
    tx: &mut Tx,
    policy: &LockoutPolicy,
    key: &str,
    now: i64,
) -> IdentityResult<Result<(), u64>> {
    let sql = format!(
        "INSERT INTO login_throttle (client_addr, window_start, failures, pending, pending_until) \
         VALUES ($1, $2, 0, 1, $2 + $5) \
         ON CONFLICT (client_addr) DO UPDATE SET \
         failures = CASE WHEN {WINDOW_OVER} THEN 0 ELSE login_throttle.failures END, \
         window_start = CASE WHEN {WINDOW_OVER} THEN $2 ELSE login_throttle.window_start END, \
         pending = {LIVE_PENDING} + 1, pending_until = $2 + $5 \
         WHERE {WINDOW_OVER} OR login_throttle.failures + {LIVE_PENDING} < $4"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .bind(now)
        .bind(window_ms(policy))
        .bind(i64::from(policy.address_max_failures))
        .bind(LEASE_MS);
    if took_slot(tx, query).await? {
        return Ok(Ok(()));
    }
    let row =
        sqlx::query("SELECT window_start, failures FROM login_throttle WHERE client_addr = $1")
            .bind(key)
            .fetch_optional(&mut **tx)
            .await?;
    let retry_ms = match row {
        Some(r) => {
            let start: i64 = r.try_get(0)?;
            let failures: i64 = r.try_get(1)?;
            if failures >= i64::from(policy.address_max_failures) {
                start + window_ms(policy) - now
            } else {
                0
            }
        }
        None => 0,
    };
    let seconds = u64::try_from((retry_ms + 999) / 1000).unwrap_or(0);
    Ok(Err(seconds.max(if retry_ms > 0 {
        1
    } else {
        IN_PROGRESS_RETRY_SECONDS
    })))
}

/// Gives the slot back without counting.
pub(super) async fn release(tx: &mut Tx, key: &str) -> IdentityResult<()> {
    give_back_slot(tx, "login_throttle", "client_addr", GIVE_BACK, key).await
}

/// Turns the slot into a counted failure, and forgets addresses whose window ended
/// long ago (the table stays as small as the set of recently failing addresses).
pub(super) async fn fail(
    tx: &mut Tx,
    policy: &LockoutPolicy,
    key: &str,
    now: i64,
) -> IdentityResult<i64> {
    let failures: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE login_throttle SET failures = failures + 1, {GIVE_BACK} WHERE client_addr = $1 \
         RETURNING failures"
    )))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    sqlx::query("DELETE FROM login_throttle WHERE window_start < $1 AND pending_until < $2")
        .bind(now - 2 * window_ms(policy))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("not-an-ip"), "not-an-ip");
    }
}
