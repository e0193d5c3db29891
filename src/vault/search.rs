//! The accounts of every unit the caller may read, filtered (one unit, platform,
//! classification, status, open findings, a search on name and login name) and paged by name: what the
//! console's account list shows. One query for the page, one for its custodians.

use std::collections::HashMap;

use sqlx::Row;

use super::error::VaultResult;
use super::model::{Account, AccountStatus, Classification, Custodian, Platform, SELECT_ACCOUNT};
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission};
use crate::http::{Page, Paging, bind_under, placeholders, under_any};
use crate::ids::{AccountId, UnitId};

/// What the list is narrowed to; `None` / `false` is "any".
#[derive(Debug, Default, Clone)]
pub struct AccountFilter {
    pub platform: Option<Platform>,
    pub classification: Option<Classification>,
    pub status: Option<AccountStatus>,
    /// Only accounts with at least one open finding.
    pub with_findings: bool,
    /// Part of the name or login name (case-insensitive).
    pub search: Option<String>,
    /// Only the accounts of this unit (not its sub-units); a unit the caller may not
    /// read simply has none.
    pub unit: Option<UnitId>,
}

/// `text` as a LIKE pattern that matches it anywhere, its wildcards taken literally.
fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// One page of the accounts in the caller's subtrees (403 for a caller who may read
/// accounts nowhere), by name.
pub async fn search_accounts(
    state: &AppState,
    ctx: &AuthContext,
    filter: &AccountFilter,
    paging: &Paging,
) -> VaultResult<Page<Account>> {
    let scopes = authz::require_anywhere(ctx, Permission::AccountsRead)?;
    let scope = under_any("n.path", 10, scopes.len());
    let sql = format!(
        "SELECT x.* FROM ({SELECT_ACCOUNT}) x JOIN units n ON n.id = x.unit_id WHERE {scope} \
         AND ($1 IS NULL OR x.platform = $1) AND ($2 IS NULL OR x.classification = $2) \
         AND ($3 IS NULL OR x.status = $3) \
         AND ($4 = 0 OR EXISTS (SELECT 1 FROM findings f WHERE f.target_kind = 'account' \
              AND f.target_id = x.id AND f.state = 'open')) \
         AND ($5 IS NULL OR LOWER(x.name) LIKE $5 ESCAPE '\\' OR LOWER(x.login_name) LIKE $5 ESCAPE '\\') \
         AND ($9 IS NULL OR x.unit_id = $9) \
         AND ($6 IS NULL OR (x.name, x.id) > ($6, $7)) ORDER BY x.name, x.id LIMIT $8"
    );
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(contains_pattern);
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(filter.platform.map(Platform::as_str))
        .bind(filter.classification.map(Classification::as_str))
        .bind(filter.status.map(AccountStatus::as_str))
        .bind(i64::from(filter.with_findings))
        .bind(search)
        .bind(paging.after_key())
        .bind(paging.after_id())
        .bind(paging.fetch())
        .bind(filter.unit.as_ref().map(UnitId::as_str));
    let rows = bind_under(q, &scopes).fetch_all(state.db.pool()).await?;
    let mut page = paging.page(
        rows.iter()
            .map(Account::from_row)
            .collect::<Result<Vec<_>, _>>()?,
        |a| (a.name.clone(), a.id.as_str().to_string()),
    );
    let ids: Vec<&AccountId> = page.items.iter().map(|a| &a.id).collect();
    let mut custodians = custodians_of(state.db.pool(), &ids).await?;
    for a in &mut page.items {
        a.custodians = custodians.remove(&a.id).unwrap_or_default();
    }
    Ok(page)
}

/// The custodians of these accounts, in one query, by account id.
async fn custodians_of(
    pool: &sqlx::AnyPool,
    account_ids: &[&AccountId],
) -> VaultResult<HashMap<AccountId, Vec<Custodian>>> {
    let mut out: HashMap<AccountId, Vec<Custodian>> = HashMap::new();
    if account_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT c.account_id, c.user_id, u.username FROM account_custodians c JOIN users u ON u.id = c.user_id \
         WHERE c.account_id IN ({}) ORDER BY c.account_id, u.username",
        placeholders(1, account_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in account_ids {
        q = q.bind(*id);
    }
    for r in &q.fetch_all(pool).await? {
        out.entry(r.try_get(0)?).or_default().push(Custodian {
            user_id: r.try_get(1)?,
            username: r.try_get(2)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_wildcards_are_literal() {
        assert_eq!(super::contains_pattern("A_b%"), "%a\\_b\\%%");
        assert_eq!(super::contains_pattern("公众号"), "%公众号%");
    }
}
