//! `content_stale` and `zombie_account` (one query over the active content accounts:
//! days since the newest publication, or since registration when none is known) and
//! `account_unreachable` (accounts whose feed failed probes in a row), against the
//! `[freshness]` policy in force for each account's unit.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{DAY_MS, Input, Observation, rows_with_policies};
use crate::freshness::CONTENT_PLATFORMS;
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;
use crate::vault::Platform;

/// `'gov_website_cms', 'wechat_official', …`: fixed names from the enum, never input.
fn content_platform_list() -> String {
    CONTENT_PLATFORMS
        .iter()
        .map(|p| format!("'{}'", p.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Silent past the warning or veto threshold (`content_stale`), or past the zombie
/// threshold (`zombie_account`; `content_stale` holds then too).
pub(super) async fn content_silence(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let sql = format!(
        "SELECT a.id, a.unit_id, n.path, a.name, a.platform, a.last_published_at, \
         COALESCE(a.last_published_at, a.created_at) AS since \
         FROM accounts a JOIN units n ON n.id = a.unit_id \
         WHERE a.status = 'active' AND a.platform IN ({}){{scope}}",
        content_platform_list()
    );
    let rows = rows_with_policies(conn, input, &sql).await?;
    let mut out = Vec::new();
    for row in rows.iter() {
        let (r, policy) = row?;
        let platform = Platform::parse(&r.try_get::<String, _>("platform")?);
        let Some(rule) = platform.and_then(|p| policy.freshness.rule(p)) else {
            continue;
        };
        let since: i64 = r.try_get("since")?;
        let silent = input.now - since;
        let past = |days: u32| silent > i64::from(days) * DAY_MS;
        let account: String = r.try_get("name")?;
        let last: Option<i64> = r.try_get("last_published_at")?;
        let details = |stage: &str, limit: u32| {
            json!({
                "account": account, "platform": platform.map(Platform::as_str),
                "limit_days": limit, "stage": stage,
                "last_published_at": last, "since": since,
            })
        };
        let stale = if past(rule.veto_days) {
            Some(details("veto", rule.veto_days))
        } else if past(rule.warn_days) {
            Some(details("warn", rule.warn_days))
        } else {
            None
        };
        if let Some(details) = stale {
            out.push(Observation::of_row(Rule::ContentStale, r, details)?);
        }
        if past(rule.zombie_days) {
            let details = details("zombie", rule.zombie_days);
            out.push(Observation::of_row(Rule::ZombieAccount, r, details)?);
        }
    }
    Ok(out)
}

/// Active accounts whose feed failed at least the unit's `unreachable_failures`
/// probes in a row.
pub(super) async fn unreachable(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let rows = rows_with_policies(
        conn,
        input,
        "SELECT a.id, a.unit_id, n.path, a.name, a.feed_url, a.probe_failures, a.probe_status, \
         a.probe_http_status, a.probe_at FROM accounts a JOIN units n ON n.id = a.unit_id \
         WHERE a.status = 'active' AND a.feed_url IS NOT NULL AND a.probe_failures > 0{scope}",
    )
    .await?;
    let mut out = Vec::new();
    for row in rows.iter() {
        let (r, policy) = row?;
        let failures: i64 = r.try_get("probe_failures")?;
        let limit = policy.freshness.unreachable_failures();
        if failures < i64::from(limit) {
            continue;
        }
        let code: Option<String> = r.try_get("probe_status")?;
        let http: Option<i64> = r.try_get("probe_http_status")?;
        let reason = match (code.as_deref(), http) {
            (Some("http_status"), Some(s)) => format!("HTTP {s}"),
            (Some(c), _) => c.to_string(),
            (None, _) => "unknown".into(),
        };
        let details = json!({
            "account": r.try_get::<String, _>("name")?,
            "url": r.try_get::<String, _>("feed_url")?,
            "failures": failures, "limit": limit, "reason": reason,
            "http_status": http, "last_probe_at": r.try_get::<Option<i64>, _>("probe_at")?,
        });
        out.push(Observation::of_row(Rule::AccountUnreachable, r, details)?);
    }
    Ok(out)
}
