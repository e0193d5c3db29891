//! Who hears about a notice: people (each gets an inbox row in their language, and a
//! personal e-mail per their preferences, `notify::prefs`) and unit groups (the unit's robots, webhook and e-mail list,
//! from the nearest unit up the tree whose channel settings configure them). Roles are
//! read from `memberships` (a role held on a unit covers its subtree), custodians from
//! `account_custodians`; only active users hear anything.

use sqlx::Row;

use super::prefs::store::{PERSON_COLUMNS, PERSON_JOIN, Reach, reach};
use crate::authz::Role;
use crate::db::Tx;
use crate::identity::UserStatus;
use crate::ids::{AccountId, UnitId, UserId};

/// One group of recipients of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The account's custodians and the unit admins of its unit (or a unit above).
    AccountPeople {
        unit_id: UnitId,
        account_id: AccountId,
    },
    /// Unit admins of the unit or a unit above it.
    UnitAdmins(UnitId),
    /// Supervisors holding the role on a unit strictly above this one.
    ParentSupervisors(UnitId),
    /// HR officers of the unit or a unit above it.
    UnitHr(UnitId),
    /// One named person (a successor, the person a case is about).
    User(UserId),
    /// Every system administrator.
    Sysadmins,
    /// The unit's group channels (robots, webhook, unit e-mail list), inherited down
    /// the tree.
    UnitGroups(UnitId),
}

/// A person who hears a notice, and how they are reached (language, addresses,
/// mention ids, muted kinds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub reach: Reach,
    /// Named for the notice's very unit: a custodian or a person named by id, or a role
    /// held on the unit itself (for supervisors: on its parent), not on a unit further
    /// up. Group messages mention only these.
    pub near: bool,
}

/// The resolved audience: people (each once, in the order first named) and units whose
/// group channels carry the notice.
#[derive(Debug, Default)]
pub struct Resolved {
    pub people: Vec<Person>,
    pub groups: Vec<UnitId>,
}

/// Users holding `role` on `unit_id` or a unit above it (`strict`: above only).
fn holders_sql() -> String {
    format!(
        "SELECT {PERSON_COLUMNS}, \
         CAST(CASE WHEN a.id = u.id OR ($4 = 1 AND a.depth = u.depth - 1) THEN 1 ELSE 0 END AS BIGINT) AS near \
         FROM memberships m \
         JOIN units a ON a.id = m.unit_id \
         JOIN units u ON u.path LIKE a.path || '%' \
         JOIN users s ON s.id = m.user_id {PERSON_JOIN} \
         WHERE u.id = $1 AND m.role = $2 AND s.status = $3"
    )
}

/// Resolves every group of `audience` inside the caller's transaction.
pub async fn resolve(tx: &mut Tx, audience: &[Audience]) -> Result<Resolved, sqlx::Error> {
    let mut out = Resolved::default();
    let active = UserStatus::Active.as_str();
    for a in audience {
        let rows = match a {
            Audience::AccountPeople {
                unit_id,
                account_id,
            } => {
                let sql = format!(
                    "SELECT {PERSON_COLUMNS}, CAST(1 AS BIGINT) AS near FROM account_custodians c \
                     JOIN users s ON s.id = c.user_id {PERSON_JOIN} \
                     WHERE c.unit_id = $1 AND c.account_id = $2 AND s.status = $3 \
                     ORDER BY c.created_at, s.id"
                );
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(unit_id.as_str())
                    .bind(account_id.as_str())
                    .bind(active)
                    .fetch_all(&mut **tx)
                    .await?;
                rows.extend(holders(tx, unit_id, Role::UnitAdmin, false).await?);
                rows
            }
            Audience::UnitAdmins(unit) => holders(tx, unit, Role::UnitAdmin, false).await?,
            Audience::ParentSupervisors(unit) => holders(tx, unit, Role::Supervisor, true).await?,
            Audience::UnitHr(unit) => holders(tx, unit, Role::Hr, false).await?,
            Audience::User(user) => {
                let sql = format!(
                    "SELECT {PERSON_COLUMNS}, CAST(1 AS BIGINT) AS near FROM users s {PERSON_JOIN} \
                     WHERE s.id = $1 AND s.status = $2"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(user.as_str())
                    .bind(active)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Audience::Sysadmins => {
                let sql = format!(
                    "SELECT DISTINCT {PERSON_COLUMNS}, CAST(0 AS BIGINT) AS near FROM memberships m \
                     JOIN users s ON s.id = m.user_id {PERSON_JOIN} \
                     WHERE m.role = $1 AND s.status = $2 ORDER BY s.id"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(Role::Sysadmin.as_str())
                    .bind(active)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Audience::UnitGroups(unit) => {
                if !out.groups.contains(unit) {
                    out.groups.push(unit.clone());
                }
                Vec::new()
            }
        };
        for r in &rows {
            let id = UserId::new(r.try_get::<String, _>("id")?);
            let near = r.try_get::<i64, _>("near")? == 1;
            match out.people.iter_mut().find(|p| p.id == id) {
                Some(p) => p.near |= near,
                None => out.people.push(Person {
                    id,
                    reach: reach(r)?,
                    near,
                }),
            }
        }
    }
    Ok(out)
}

/// Active holders of `role` on `unit` or above it (`strict`: strictly above).
async fn holders(
    tx: &mut Tx,
    unit: &UnitId,
    role: Role,
    strict: bool,
) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    let holders = holders_sql();
    let sql = if strict {
        format!("{holders} AND a.id <> u.id ORDER BY a.depth, s.id")
    } else {
        format!("{holders} ORDER BY a.depth, s.id")
    };
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(unit.as_str())
        .bind(role.as_str())
        .bind(UserStatus::Active.as_str())
        .bind(i64::from(strict))
        .fetch_all(&mut **tx)
        .await
}
