//! Publications: what a content account published and when. Reported one at a time
//! (`POST /accounts/{id}/publications`, by its custodians and unit admins), imported
//! from a CSV log, or found by the probe. Each one is a row in `publications` and moves
//! the account's `last_published_at` forward (never back); the account's findings are
//! re-evaluated in the same transaction, so `content_stale` clears at once.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::content::{parse_http_url, publishes_content};
use super::error::FreshnessError;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, UnitRef};
use crate::clock::{MINUTE_MS, Millis};
use crate::db::{Tx, new_id};
use crate::error::InputError;
use crate::ids::{AccountId, UnitId, UserId};
use crate::text::Title;
use crate::vault::Platform;

/// How far ahead of the server's clock a publication time may be (clock skew).
pub const FUTURE_TOLERANCE_MS: Millis = 5 * MINUTE_MS;

/// A publication to record (`POST /accounts/{id}/publications`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPublication {
    /// When it was published, Unix milliseconds UTC; not in the future.
    pub published_at: i64,
    /// Its title, at most 200 characters.
    pub title: Option<String>,
    /// Where it can be read (http/https).
    pub url: Option<String>,
}

/// A recorded publication.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Publication {
    pub id: String,
    pub unit_id: UnitId,
    pub account_id: AccountId,
    pub published_at: i64,
    pub title: Option<String>,
    pub url: Option<String>,
    /// `report` (API), `import` (CSV log) or `probe` (the feed or page).
    pub source: String,
    pub reported_by: Option<UserId>,
    pub created_at: i64,
    /// The account's newest publication after this one was recorded.
    pub last_published_at: i64,
}

/// A content account as freshness needs it: where it is, what it is, who keeps it.
#[derive(Debug, Clone)]
pub(super) struct ContentAccount {
    pub unit_id: UnitId,
    pub id: AccountId,
    pub name: String,
    pub platform: Option<Platform>,
    pub unit_path: String,
    pub custodians: Vec<String>,
}

impl ContentAccount {
    pub fn unit_ref(&self) -> UnitRef<'_> {
        UnitRef {
            id: self.unit_id.as_str(),
            path: &self.unit_path,
        }
    }

    /// Refuses accounts whose platform publishes no content.
    pub fn require_content(&self) -> Result<(), InputError> {
        if self.platform.is_some_and(publishes_content) {
            Ok(())
        } else {
            Err(InputError::new(format!(
                "account “{}” is not a website or new-media account: it has no publications",
                self.name
            ))
            .zh(format!(
                "账号“{}”不是网站或新媒体账号，没有发布记录。",
                self.name
            )))
        }
    }
}

/// One account by id with its unit path and custodians, or `None`.
pub(super) async fn content_account(
    pool: &sqlx::AnyPool,
    id: &AccountId,
) -> Result<Option<ContentAccount>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT a.unit_id, a.id, a.name, a.platform, n.path FROM accounts a \
         JOIN units n ON n.id = a.unit_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let custodians = sqlx::query("SELECT user_id FROM account_custodians WHERE account_id = $1")
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|c| c.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    Ok(Some(ContentAccount {
        unit_id: r.try_get("unit_id")?,
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        platform: Platform::parse(&r.try_get::<String, _>("platform")?),
        unit_path: r.try_get("path")?,
        custodians,
    }))
}

/// A publication's fields, checked: not in the future (beyond a few minutes of clock
/// skew), not before 2000, a title of at most 200 characters, an http/https URL.
#[derive(Debug, Clone)]
pub(super) struct ValidPublication {
    pub published_at: Millis,
    pub title: Option<String>,
    pub url: Option<String>,
}

/// 2000-01-01T00:00:00Z: nothing credgov keeps was published before.
const EARLIEST_MS: Millis = 946_684_800_000;

pub(super) fn validate(p: &NewPublication, now: Millis) -> Result<ValidPublication, InputError> {
    if p.published_at > now + FUTURE_TOLERANCE_MS {
        return Err(
            InputError::field("published_at", "published_at lies in the future")
                .zh("发布时间不能晚于现在。"),
        );
    }
    if p.published_at < EARLIEST_MS {
        return Err(InputError::field(
            "published_at",
            "published_at must be a time in Unix milliseconds after 2000-01-01",
        )
        .zh("发布时间须在 2000-01-01 之后（以 Unix 毫秒表示）。"));
    }
    Ok(ValidPublication {
        published_at: p.published_at.min(now),
        title: Title::parse_optional("title", p.title.as_deref())?
            .map(String::from)
            .filter(|t| !t.is_empty()),
        url: parse_http_url("url", p.url.as_deref())?,
    })
}

/// Who recorded a publication and how.
pub(super) struct Recorded<'a> {
    pub source: &'static str,
    pub by: Option<&'a str>,
    pub at: Millis,
}

/// Inserts the publication and moves the account's `last_published_at` forward (a
/// conditional update: with concurrent writers the newest date wins). Returns the row
/// id and the account's `last_published_at` afterwards.
pub(super) async fn record(
    tx: &mut Tx,
    (unit_id, account_id): (&UnitId, &AccountId),
    p: &ValidPublication,
    how: &Recorded<'_>,
) -> Result<(String, Millis), sqlx::Error> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO publications (unit_id, id, account_id, published_at, title, url, source, reported_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(unit_id)
    .bind(&id)
    .bind(account_id)
    .bind(p.published_at)
    .bind(p.title.as_deref())
    .bind(p.url.as_deref())
    .bind(how.source)
    .bind(how.by)
    .bind(how.at)
    .execute(&mut **tx)
    .await?;
    let last: i64 = sqlx::query(
        "UPDATE accounts SET last_published_at = CASE WHEN last_published_at IS NULL \
         OR last_published_at < $1 THEN $1 ELSE last_published_at END \
         WHERE unit_id = $2 AND id = $3 RETURNING last_published_at",
    )
    .bind(p.published_at)
    .bind(unit_id)
    .bind(account_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok((id, last))
}

/// Records a publication of account `id` reported by its custodian or unit admin:
/// audited, and the account's findings re-evaluated in the same transaction.
pub async fn report_publication(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    id: &AccountId,
    input: NewPublication,
) -> Result<Publication, FreshnessError> {
    let account = content_account(state.db.pool(), id)
        .await?
        .ok_or(FreshnessError::NotFound)?;
    authz::authorize_custodial(ctx, &account.unit_ref(), &account.custodians)?;
    account.require_content()?;
    let now = state.now();
    let p = validate(&input, now)?;
    let mut tx = state.db.begin_write().await?;
    let how = Recorded {
        source: "report",
        by: ctx.user_id(),
        at: now,
    };
    let (pub_id, last) = record(&mut tx, (&account.unit_id, &account.id), &p, &how).await?;
    tx.reevaluate_audit_and_commit(
        state,
        now,
        meta,
        Entry::by(ctx, account.unit_id.as_str(), "publication.report")
            .target("account", account.id.as_str())
            .details(json!({
                "name": account.name,
                "publication_id": pub_id,
                "published_at": p.published_at,
                "title": p.title,
                "url": p.url,
            })),
    )
    .await?;
    Ok(Publication {
        id: pub_id,
        unit_id: account.unit_id,
        account_id: account.id,
        published_at: p.published_at,
        title: p.title,
        url: p.url,
        source: how.source.into(),
        reported_by: ctx.user_id().map(UserId::new),
        created_at: now,
        last_published_at: last,
    })
}

/// The newest `limit` publications of account `id`, for anyone who may read the
/// account (404 outside the caller's units).
pub async fn recent_publications(
    state: &AppState,
    ctx: &AuthContext,
    id: &AccountId,
    limit: i64,
) -> Result<Vec<Publication>, FreshnessError> {
    let account = content_account(state.db.pool(), id)
        .await?
        .ok_or(FreshnessError::NotFound)?;
    authz::authorize(
        ctx,
        authz::Permission::AccountsRead,
        &account.unit_ref(),
        "account",
    )?;
    let rows = sqlx::query(
        "SELECT p.id, p.published_at, p.title, p.url, p.source, p.reported_by, p.created_at, \
         a.last_published_at FROM publications p JOIN accounts a ON a.unit_id = p.unit_id AND a.id = p.account_id \
         WHERE p.unit_id = $1 AND p.account_id = $2 ORDER BY p.published_at DESC, p.id DESC LIMIT $3",
    )
    .bind(&account.unit_id)
    .bind(&account.id)
    .bind(limit)
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Publication {
                id: r.try_get("id")?,
                unit_id: account.unit_id.clone(),
                account_id: account.id.clone(),
                published_at: r.try_get("published_at")?,
                title: r.try_get("title")?,
                url: r.try_get("url")?,
                source: r.try_get("source")?,
                reported_by: r.try_get("reported_by")?,
                created_at: r.try_get("created_at")?,
                last_published_at: r
                    .try_get::<Option<i64>, _>("last_published_at")?
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(FreshnessError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_and_ancient_dates_are_refused() {
        let now = 1_800_000_000_000;
        let p = |published_at| NewPublication {
            published_at,
            title: Some("  ".into()),
            url: None,
        };
        let ok = validate(&p(now - 1), now).unwrap();
        assert_eq!((ok.published_at, ok.title), (now - 1, None));
        // A little clock skew is taken, and clamped to now.
        assert_eq!(validate(&p(now + 1_000), now).unwrap().published_at, now);
        let e = validate(&p(now + FUTURE_TOLERANCE_MS + 1), now).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("published_at"));
        assert!(validate(&p(1_000), now).is_err());
    }
}
