//! `GET /findings`: one page of the findings in the caller's subtrees (or one unit's
//! subtree), newest first, filtered in SQL, with each rule's message and fix filled in.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::InspectionError;
use super::rules::{FindingState, Rule, Severity, TargetKind, render};
use crate::app::AppState;
use crate::authz::{self, AuthContext, Permission, UnitRef};
use crate::error::{AppResult, InputError};
use crate::http::{Page, Paging, bind_under, under_any};
use crate::ids::UnitId;
use crate::text::field_zh;

/// A text in the two languages the service speaks.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Localized {
    pub zh_cn: String,
    pub en: String,
}

/// One finding: a rule that holds (or held) for one target.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Finding {
    pub id: String,
    pub rule: Rule,
    pub severity: Severity,
    pub target_kind: TargetKind,
    /// The account, user or case id.
    pub target_id: String,
    pub unit_id: UnitId,
    pub state: FindingState,
    /// When the condition was first seen (since it last opened); unix ms.
    pub first_seen: i64,
    /// The latest scan or re-evaluation that saw it.
    pub last_seen: i64,
    pub resolved_at: Option<i64>,
    /// What cleared it: `daily_scan`, or the write that fixed it (`rotation.confirm` …).
    pub resolved_how: Option<String>,
    /// Rule-specific facts (ages, limits, which accounts share a password); never a secret.
    #[schema(value_type = Object)]
    pub details: Value,
    pub message: Localized,
    pub fix: Localized,
}

/// The list's filters, as given.
#[derive(Debug, Default)]
pub struct FindingFilter<'a> {
    pub unit_id: Option<&'a str>,
    pub rule: Option<&'a str>,
    pub severity: Option<&'a str>,
    pub state: Option<&'a str>,
    /// Only the findings about this account, user or case.
    pub target_id: Option<&'a str>,
}

fn parsed<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    as_str: fn(T) -> &'static str,
) -> Result<Option<T>, InputError>
where
    T: Copy,
{
    value
        .map(|v| {
            parse(v).ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|x| as_str(*x)).collect();
                InputError::field(
                    field,
                    format!("{field} must be one of {}", known.join(", ")),
                )
                .zh(format!("{}只能是：{}。", field_zh(field), known.join("、")))
            })
        })
        .transpose()
}

/// A stored finding as the API shows it, with the day counts as of `now` (open) or of
/// its last sighting (resolved). An open finding was last seen at the later of its own
/// `last_seen` and the district scan's sighting of every open finding (`seen_all`,
/// from `findings_seen`).
fn from_row(r: &AnyRow, now: i64) -> Result<Option<Finding>, sqlx::Error> {
    let rule: String = r.try_get("rule")?;
    let (Some(rule), Some(state)) = (
        Rule::parse(&rule),
        FindingState::parse(&r.try_get::<String, _>("state")?),
    ) else {
        // A rule this build does not know (a newer server wrote it): left out.
        return Ok(None);
    };
    let def = rule.def();
    let stored: i64 = r.try_get("last_seen")?;
    let (last_seen, as_of) = if state == FindingState::Open {
        (stored.max(r.try_get::<i64, _>("seen_all")?), now)
    } else {
        (stored, stored)
    };
    let details = rule.with_derived(
        serde_json::from_str(&r.try_get::<String, _>("details")?).unwrap_or(Value::Null),
        as_of,
    );
    Ok(Some(Finding {
        id: r.try_get("id")?,
        rule,
        severity: Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(def.severity),
        target_kind: TargetKind::parse(&r.try_get::<String, _>("target_kind")?)
            .unwrap_or(def.target),
        target_id: r.try_get("target_id")?,
        unit_id: UnitId::new(r.try_get::<String, _>("unit_id")?),
        state,
        first_seen: r.try_get("first_seen")?,
        last_seen,
        resolved_at: r.try_get("resolved_at")?,
        resolved_how: r.try_get("resolved_how")?,
        message: Localized {
            zh_cn: render(def.message_zh, &details),
            en: render(def.message_en, &details),
        },
        fix: Localized {
            zh_cn: def.fix_zh.into(),
            en: def.fix_en.into(),
        },
        details,
    }))
}

/// The unit paths the caller may read under with `perm`: one unit's subtree (404
/// outside the caller's units, 403 without the permission) or all of the caller's.
/// Shared by the findings and rectification lists.
pub(crate) async fn readable_prefixes<E>(
    state: &AppState,
    ctx: &AuthContext,
    perm: Permission,
    unit_id: Option<&str>,
) -> Result<Vec<String>, E>
where
    E: From<authz::AuthzError> + From<sqlx::Error>,
{
    let Some(id) = unit_id else {
        return Ok(authz::require_anywhere(ctx, perm)?);
    };
    let path: Option<String> = sqlx::query("SELECT path FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let path = path.ok_or(authz::AuthzError::NotFound("unit"))?;
    authz::authorize(ctx, perm, &UnitRef { id, path: &path }, "unit")?;
    Ok(vec![path])
}

/// One page of findings, newest first.
pub async fn list_findings(
    state: &AppState,
    ctx: &AuthContext,
    filter: &FindingFilter<'_>,
    paging: &Paging,
) -> AppResult<Page<Finding>> {
    let prefixes: Vec<String> =
        readable_prefixes::<InspectionError>(state, ctx, Permission::FindingsRead, filter.unit_id)
            .await?;
    let rule = parsed("rule", filter.rule, Rule::parse, Rule::ALL, Rule::as_str)?;
    let severity = parsed(
        "severity",
        filter.severity,
        Severity::parse,
        Severity::ALL,
        Severity::as_str,
    )?;
    let st = parsed(
        "state",
        filter.state,
        FindingState::parse,
        FindingState::ALL,
        FindingState::as_str,
    )?;
    let scope = under_any("n.path", 8, prefixes.len());
    let sql = format!(
        "SELECT f.*, (SELECT at FROM findings_seen) AS seen_all FROM findings f JOIN units n ON n.id = f.unit_id WHERE {scope} \
         AND ($1 IS NULL OR f.rule = $1) AND ($2 IS NULL OR f.severity = $2) \
         AND ($3 IS NULL OR f.state = $3) AND ($7 IS NULL OR f.target_id = $7) \
         AND ($4 IS NULL OR (f.first_seen, f.id) < ($4, $5)) \
         ORDER BY f.first_seen DESC, f.id DESC LIMIT $6"
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rule.map(Rule::as_str))
        .bind(severity.map(Severity::as_str))
        .bind(st.map(FindingState::as_str))
        .bind(paging.after_int()?)
        .bind(paging.after_id().map(str::to_string))
        .bind(paging.fetch())
        .bind(filter.target_id);
    let q = bind_under(q, &prefixes);
    let rows = q.fetch_all(state.db.pool()).await?;
    let now = state.now();
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(f) = from_row(r, now)? {
            items.push(f);
        }
    }
    Ok(paging.page(items, |f| (f.first_seen.to_string(), f.id.clone())))
}

/// The open rotation findings (`rotation_overdue`, `rotation_due`) of the accounts the
/// caller keeps as a custodian: what their home page lists as due. Overdue first, then
/// by first sighting; at most `limit`. Only accounts in units where the caller may
/// still read accounts count (someone whose role was taken away while still named on
/// an account sees nothing of it); a caller who is not a person keeps nothing.
pub async fn my_rotation_findings(
    state: &AppState,
    ctx: &AuthContext,
    limit: i64,
) -> Result<Vec<Finding>, InspectionError> {
    let Some(me) = ctx.user_id() else {
        return Ok(Vec::new());
    };
    let scopes = authz::scopes(ctx, Permission::AccountsRead);
    if scopes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT f.*, (SELECT at FROM findings_seen) AS seen_all FROM findings f \
         JOIN account_custodians c ON c.account_id = f.target_id \
         JOIN units n ON n.id = f.unit_id \
         WHERE c.user_id = $1 AND f.state = $2 AND f.target_kind = $3 \
         AND f.rule IN ($4, $5) AND {} \
         ORDER BY CASE WHEN f.rule = $4 THEN 0 ELSE 1 END, f.first_seen, f.id LIMIT $6",
        under_any("n.path", 7, scopes.len())
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(me)
        .bind(FindingState::Open.as_str())
        .bind(TargetKind::Account.as_str())
        .bind(Rule::RotationOverdue.as_str())
        .bind(Rule::RotationDue.as_str())
        .bind(limit);
    let rows = bind_under(q, &scopes).fetch_all(state.db.pool()).await?;
    let now = state.now();
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(f) = from_row(r, now)? {
            items.push(f);
        }
    }
    Ok(items)
}
