//! `credgov import publications --unit UNIT_ID [--dry-run] FILE.csv`: a unit's
//! publication log (发布记录) from CSV (UTF-8 or GBK/GB18030, as Excel saves it).
//!
//! Columns (header row, any order; Chinese or English names): the account's name or id
//! (`account` / `账号`), `published_at` / `发布时间` (RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]`
//! in the `jobs.timezone`, default Asia/Shanghai), and optionally `title` / `标题` and
//! `url` / `链接`. Like the account import, every row is checked first; any problem
//! lists all of them with their row numbers and nothing is written. A good file is
//! written in one transaction with one audit event, and the accounts' findings are
//! re-evaluated in it.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use serde_json::json;
use sqlx::Row;

use super::error::FreshnessError;
use super::publications::{NewPublication, Recorded, ValidPublication, record, validate};
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{AuthContext, Permission};
use crate::clock::Millis;
use crate::ids::{AccountId, UnitId};
use crate::inspection::Targets;
use crate::vault::Platform;

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicationImport {
    pub unit_id: UnitId,
    pub unit_name: String,
    /// Data rows read (empty lines skipped).
    pub rows: usize,
    /// Publications written (0 on a dry run).
    pub imported: usize,
    /// Distinct accounts the rows name.
    pub accounts: usize,
    pub dry_run: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Account,
    PublishedAt,
    Title,
    Url,
}

fn column(header: &str) -> Option<Column> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    Some(match h.as_str() {
        "account" | "account_id" | "account_name" | "账号" | "账号名称" | "账号id" => {
            Column::Account
        }
        "published_at" | "发布时间" | "发布日期" => Column::PublishedAt,
        "title" | "标题" => Column::Title,
        "url" | "链接" | "网址" => Column::Url,
        _ => return None,
    })
}

/// A time as a log writes it: RFC 3339, or a local date (midnight) or date and time in
/// `tz`.
fn parse_time(text: &str, tz: chrono_tz::Tz) -> Option<Millis> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        ["%Y-%m-%d", "%Y/%m/%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp_millis())
}

/// One checked row: the account and the publication.
struct Good {
    account: AccountId,
    publication: ValidPublication,
}

/// The unit's accounts by id and by name: (id, name, platform).
async fn unit_accounts(
    state: &AppState,
    unit_id: &UnitId,
) -> Result<Vec<(AccountId, String, Option<Platform>)>, FreshnessError> {
    let rows = sqlx::query("SELECT id, name, platform FROM accounts WHERE unit_id = $1")
        .bind(unit_id)
        .fetch_all(state.db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("name")?,
                Platform::parse(&r.try_get::<String, _>("platform")?),
            ))
        })
        .collect()
}

/// Reads, checks and (unless `dry_run`) imports a publication log of `unit_id`.
pub async fn import_publications(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &UnitId,
    bytes: &[u8],
    dry_run: bool,
) -> Result<PublicationImport, FreshnessError> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::AccountsWrite).await?;
    let (text, _) = crate::vault::import::decode_text(bytes)
        .map_err(|e| FreshnessError::File(e.to_string()))?;
    let tz = state.config.jobs.tz().map_err(FreshnessError::File)?;
    let accounts = unit_accounts(state, unit_id).await?;
    let by_key: HashMap<&str, &(AccountId, String, Option<Platform>)> = accounts
        .iter()
        .flat_map(|a| [(a.0.as_str(), a), (a.1.as_str(), a)])
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FreshnessError::File(format!("the CSV header cannot be read: {e}")))?
        .clone();
    let columns: Vec<Option<Column>> = headers.iter().map(column).collect();
    for needed in [Column::Account, Column::PublishedAt] {
        if !columns.contains(&Some(needed)) {
            return Err(FreshnessError::File(
                "the header row must name the account (account / 账号) and the time (published_at / 发布时间); title / 标题 and url / 链接 are optional".into(),
            ));
        }
    }
    let now = state.now();
    let mut problems = Vec::new();
    let mut good = Vec::new();
    let mut rows = 0;
    for (index, record) in reader.records().enumerate() {
        // The header is row 1.
        let row = index + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!(
                    "第 {row} 行 / row {row}: the CSV cannot be read: {e}"
                ));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows += 1;
        let cell = |c: Column| {
            columns
                .iter()
                .position(|x| *x == Some(c))
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let mut problem = |m: String| problems.push(format!("第 {row} 行 / row {row}: {m}"));
        let account = match cell(Column::Account).and_then(|k| by_key.get(k)) {
            Some((id, name, platform)) => {
                if platform.is_some_and(super::publishes_content) {
                    Some(id.clone())
                } else {
                    problem(format!(
                        "account “{name}” is not a website or new-media account"
                    ));
                    None
                }
            }
            None => {
                problem(format!(
                    "no account named “{}” (or with that id) in this unit",
                    cell(Column::Account).unwrap_or("")
                ));
                None
            }
        };
        let Some(at) = cell(Column::PublishedAt).and_then(|t| parse_time(t, tz)) else {
            problem(
                "published_at must be a date (2026-03-02), a date and time (2026-03-02 16:00) or RFC 3339".into(),
            );
            continue;
        };
        let input = NewPublication {
            published_at: at,
            title: cell(Column::Title).map(str::to_string),
            url: cell(Column::Url).map(str::to_string),
        };
        match (validate(&input, now), account) {
            (Ok(publication), Some(account)) => good.push(Good {
                account,
                publication,
            }),
            (Err(e), _) => problem(e.message),
            (Ok(_), None) => {}
        }
    }
    if !problems.is_empty() {
        return Err(FreshnessError::Rows { problems });
    }
    if rows == 0 {
        return Err(FreshnessError::File("the file has no data rows".into()));
    }
    let touched: BTreeSet<AccountId> = good.iter().map(|g| g.account.clone()).collect();
    let mut report = PublicationImport {
        unit_id: unit_id.clone(),
        unit_name: unit.name.clone(),
        rows,
        imported: 0,
        accounts: touched.len(),
        dry_run,
    };
    if dry_run {
        return Ok(report);
    }
    let mut tx = state.db.begin_write().await?;
    let how = Recorded {
        source: "import",
        by: ctx.user_id(),
        at: now,
    };
    for g in &good {
        record(&mut tx, (unit_id, &g.account), &g.publication, &how).await?;
    }
    let targets = Targets {
        accounts: touched.into_iter().collect(),
        cause: "publication.import",
        ..Targets::default()
    };
    crate::inspection::reevaluate(state, &mut tx, now, &targets).await?;
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, unit_id.as_str(), "publication.import")
            .target("unit", unit_id.as_str())
            .details(json!({ "rows": rows, "accounts": report.accounts })),
    )
    .await?;
    report.imported = good.len();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_the_log() {
        let tz = chrono_tz::Asia::Shanghai;
        // 2026-03-02T08:00:00Z = 16:00 in Shanghai.
        let want = 1_772_438_400_000;
        assert_eq!(parse_time("2026-03-02T16:00:00+08:00", tz), Some(want));
        assert_eq!(parse_time("2026-03-02 16:00", tz), Some(want));
        assert_eq!(parse_time("2026/03/02 16:00:00", tz), Some(want));
        assert_eq!(
            parse_time("2026-03-02", tz),
            Some(want - 16 * crate::clock::HOUR_MS)
        );
        assert_eq!(parse_time("last tuesday", tz), None);
        assert_eq!(column("发布时间"), Some(Column::PublishedAt));
        assert_eq!(column(" Account "), Some(Column::Account));
        assert_eq!(column("remarks"), None);
    }
}
