//! Who hears about a notice: people (each gets an inbox row in their language, and a
//! personal e-mail per their preferences, `notify::prefs`) and unit groups (the unit's robots, webhook and e-mail list,
//! from the nearest unit up the tree whose channel settings configure them). Roles are
//! read from `memberships` (a role held on a unit covers its subtree), custodians from
//! `account_custodians`; only active users hear anything.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;
use sqlx::any::AnyRow;

use super::prefs::store::{PERSON_COLUMNS, PERSON_JOIN, Reach, reach};
use crate::authz::Role;
use crate::db::Tx;
use crate::http::placeholders;
use crate::identity::UserStatus;
use crate::ids::{AccountId, UnitId, UserId};

/// One group of recipients of a notice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

impl Audience {
    /// For a group of role holders: the role, whether only units strictly above count,
    /// and the unit.
    fn role_holders(&self) -> Option<(Role, bool, &UnitId)> {
        match self {
            Audience::UnitAdmins(u) => Some((Role::UnitAdmin, false, u)),
            Audience::ParentSupervisors(u) => Some((Role::Supervisor, true, u)),
            Audience::UnitHr(u) => Some((Role::Hr, false, u)),
            _ => None,
        }
    }
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

/// Resolves audiences, each group once: the notices a scan queues together name the same
/// unit admins and people many times over. [`Resolver::prefetch`] reads every named
/// person and every unit's role holders of a batch in one query per kind.
#[derive(Debug, Default)]
pub struct Resolver {
    known: HashMap<Audience, Vec<Person>>,
}

/// Units per role-holder query, and people per named-person query.
const CHUNK: usize = 500;

impl Resolver {
    /// Reads the groups of `audiences` not known yet that one query can read for many:
    /// named people, and the holders of a role on many units.
    pub async fn prefetch(
        &mut self,
        tx: &mut Tx,
        audiences: &[&Audience],
    ) -> Result<(), sqlx::Error> {
        let mut users: Vec<&UserId> = Vec::new();
        let mut roles: BTreeMap<(Role, bool), Vec<(&UnitId, &Audience)>> = BTreeMap::new();
        for &a in audiences {
            if self.known.contains_key(a) {
                continue;
            }
            if let Audience::User(u) = a {
                users.push(u);
            } else if let Some((role, strict, unit)) = a.role_holders() {
                roles.entry((role, strict)).or_default().push((unit, a));
            }
        }
        users.sort_unstable();
        users.dedup();
        for chunk in users.chunks(CHUNK) {
            let mut found = named(tx, chunk).await?;
            for u in chunk {
                let people = found.remove(*u).unwrap_or_default();
                self.known.insert(Audience::User((*u).clone()), people);
            }
        }
        for ((role, strict), mut groups) in roles {
            groups.sort_unstable_by_key(|(unit, _)| *unit);
            groups.dedup_by_key(|(unit, _)| *unit);
            for chunk in groups.chunks(CHUNK) {
                let units: Vec<&UnitId> = chunk.iter().map(|(unit, _)| *unit).collect();
                let mut found = holders(tx, &units, role, strict).await?;
                for (unit, a) in chunk {
                    let people = found.remove(*unit).unwrap_or_default();
                    self.known.insert((*a).clone(), people);
                }
            }
        }
        Ok(())
    }

    /// Resolves every group of `audience` inside the caller's transaction.
    pub async fn resolve(
        &mut self,
        tx: &mut Tx,
        audience: &[Audience],
    ) -> Result<Resolved, sqlx::Error> {
        let mut out = Resolved::default();
        for a in audience {
            if let Audience::UnitGroups(unit) = a {
                if !out.groups.contains(unit) {
                    out.groups.push(unit.clone());
                }
                continue;
            }
            if !self.known.contains_key(a) {
                let people = group(tx, a).await?;
                self.known.insert(a.clone(), people);
            }
            for person in self.known.get(a).into_iter().flatten() {
                match out.people.iter_mut().find(|p| p.id == person.id) {
                    Some(p) => p.near |= person.near,
                    None => out.people.push(person.clone()),
                }
            }
        }
        Ok(out)
    }
}

/// Resolves every group of `audience` inside the caller's transaction.
pub async fn resolve(tx: &mut Tx, audience: &[Audience]) -> Result<Resolved, sqlx::Error> {
    Resolver::default().resolve(tx, audience).await
}

/// The people of one group (in the order its query gives them; one person may come
/// twice, holding the role on two units above).
async fn group(tx: &mut Tx, a: &Audience) -> Result<Vec<Person>, sqlx::Error> {
    if let Some((role, strict, unit)) = a.role_holders() {
        return Ok(holders(tx, &[unit], role, strict)
            .await?
            .remove(unit)
            .unwrap_or_default());
    }
    let active = UserStatus::Active.as_str();
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
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(unit_id.as_str())
                .bind(account_id.as_str())
                .bind(active)
                .fetch_all(&mut **tx)
                .await?;
            let mut people = people(&rows)?;
            let admins = holders(tx, &[unit_id], Role::UnitAdmin, false).await?;
            people.extend(admins.into_values().flatten());
            return Ok(people);
        }
        Audience::User(user) => {
            let mut found = named(tx, &[user]).await?;
            return Ok(found.remove(user).unwrap_or_default());
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
        // Role holders are read above; a unit's group channels name no people.
        Audience::UnitAdmins(_)
        | Audience::ParentSupervisors(_)
        | Audience::UnitHr(_)
        | Audience::UnitGroups(_) => Vec::new(),
    };
    people(&rows)
}

/// People from rows read with [`PERSON_COLUMNS`] and `near`.
fn people(rows: &[AnyRow]) -> Result<Vec<Person>, sqlx::Error> {
    rows.iter().map(person).collect()
}

fn person(r: &AnyRow) -> Result<Person, sqlx::Error> {
    Ok(Person {
        id: UserId::new(r.try_get::<String, _>("id")?),
        reach: reach(r)?,
        near: r.try_get::<i64, _>("near")? == 1,
    })
}

/// The active people among `users`, by id.
async fn named(
    tx: &mut Tx,
    users: &[&UserId],
) -> Result<HashMap<UserId, Vec<Person>>, sqlx::Error> {
    let sql = format!(
        "SELECT {PERSON_COLUMNS}, CAST(1 AS BIGINT) AS near FROM users s {PERSON_JOIN} \
         WHERE s.status = $1 AND s.id IN ({})",
        placeholders(2, users.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(UserStatus::Active.as_str());
    for u in users {
        q = q.bind(u.as_str());
    }
    let mut out: HashMap<UserId, Vec<Person>> = HashMap::new();
    for r in q.fetch_all(&mut **tx).await? {
        let p = person(&r)?;
        out.entry(p.id.clone()).or_default().push(p);
    }
    Ok(out)
}

/// Active holders of `role` on each of `units` or a unit above it (`strict`: strictly
/// above), nearest first; `near` when held on the unit itself (for supervisors: on
/// its parent).
async fn holders(
    tx: &mut Tx,
    units: &[&UnitId],
    role: Role,
    strict: bool,
) -> Result<HashMap<UnitId, Vec<Person>>, sqlx::Error> {
    let strictly_above = if strict { " AND a.id <> u.id" } else { "" };
    let sql = format!(
        "SELECT {PERSON_COLUMNS}, u.id AS for_unit, \
         CAST(CASE WHEN a.id = u.id OR ($3 = 1 AND a.depth = u.depth - 1) THEN 1 ELSE 0 END AS BIGINT) AS near \
         FROM memberships m \
         JOIN units a ON a.id = m.unit_id \
         JOIN units u ON u.path LIKE a.path || '%' \
         JOIN users s ON s.id = m.user_id {PERSON_JOIN} \
         WHERE m.role = $1 AND s.status = $2 AND u.id IN ({}){strictly_above} \
         ORDER BY u.id, a.depth, s.id",
        placeholders(4, units.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(role.as_str())
        .bind(UserStatus::Active.as_str())
        .bind(i64::from(strict));
    for u in units {
        q = q.bind(u.as_str());
    }
    let mut out: HashMap<UnitId, Vec<Person>> = HashMap::new();
    for r in q.fetch_all(&mut **tx).await? {
        let unit = UnitId::new(r.try_get::<String, _>("for_unit")?);
        out.entry(unit).or_default().push(person(&r)?);
    }
    Ok(out)
}
