//! Writing and reading events.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::chain::{Canonical, GENESIS_HASH, V_KEYED, event_mac};
use crate::app::AppState;
use crate::clock::Millis;
use crate::db::{Tx, Values, new_id};
use crate::error::InternalError;
use crate::ids::UnitId;
use crate::inspection::Targets;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// Who acted.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: &'static str,
    pub id: Option<String>,
    pub name: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            kind: "system",
            id: None,
            name: None,
        }
    }

    pub fn anonymous(claimed_name: &str) -> Actor {
        Actor {
            kind: "anonymous",
            id: None,
            name: Some(claimed_name.chars().take(64).collect()),
        }
    }

    /// The operator at the command line (named by the OS user when known).
    pub fn operator() -> Actor {
        let name = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .map(|u| u.chars().take(64).collect())
            .unwrap_or_else(|| "operator".into());
        Actor {
            kind: "operator",
            id: None,
            name: Some(name),
        }
    }

    pub fn user(id: &str, name: &str) -> Actor {
        Actor {
            kind: "user",
            id: Some(id.into()),
            name: Some(name.into()),
        }
    }
}

impl From<&crate::authz::AuthContext> for Actor {
    fn from(ctx: &crate::authz::AuthContext) -> Self {
        let (kind, id, name) = ctx.actor();
        Actor {
            kind,
            id: Some(id.into()),
            name: Some(name.into()),
        }
    }
}

/// Request facts every event carries.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

/// One event as a service describes it. `details` must never contain a secret.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub unit_id: &'a str,
    pub actor: Actor,
    pub action: &'static str,
    pub target_kind: Option<&'static str>,
    pub target_id: Option<&'a str>,
    pub outcome: Outcome,
    pub details: Value,
}

impl<'a> Entry<'a> {
    /// An event by `actor` on `unit_id` (a [`UnitId`], or its text): success, no
    /// target, empty details.
    pub fn new<U: AsRef<str> + ?Sized>(unit_id: &'a U, actor: Actor, action: &'static str) -> Self {
        Entry {
            unit_id: unit_id.as_ref(),
            actor,
            action,
            target_kind: None,
            target_id: None,
            outcome: Outcome::Success,
            details: Value::Object(Default::default()),
        }
    }

    /// An event by the authenticated principal of `ctx` (user or API token).
    pub fn by<U: AsRef<str> + ?Sized>(
        ctx: &crate::authz::AuthContext,
        unit_id: &'a U,
        action: &'static str,
    ) -> Self {
        Entry::new(unit_id, Actor::from(ctx), action)
    }

    /// What the event is about (`"user"`, `"account"`, … and its id).
    pub fn target<I: AsRef<str> + ?Sized>(mut self, kind: &'static str, id: &'a I) -> Self {
        self.target_kind = Some(kind);
        self.target_id = Some(id.as_ref());
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Facts about the event; never a secret.
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

impl Tx {
    /// Writes `entry` into this transaction: the only way an audit event is written.
    /// The event commits with the change it records or not at all, so an audited change
    /// reads: begin → change → `tx.audit(…)` → `tx.commit()` (the last two in one:
    /// [`Tx::audit_and_commit`]). Fails (and the caller's `?` drops the transaction,
    /// rolling the change back) when the event cannot be written, e.g. without a chain
    /// key.
    pub async fn audit(
        &mut self,
        at: Millis,
        meta: &RequestMeta,
        entry: Entry<'_>,
    ) -> Result<(), InternalError> {
        append(self, at, meta, entry).await
    }

    /// [`Tx::audit`] for many entries at once (a scan's items): the chains written are
    /// exactly those of `audit` called for each entry in order, in a few statements
    /// instead of two per entry. Per unit (in unit id order, so that concurrent writers
    /// lock heads in one order), one statement claims as many sequence numbers as the
    /// unit has entries and returns the head's hash; the events are chained here and
    /// written with multi-row inserts; the head then takes the last hash.
    pub async fn audit_all(
        &mut self,
        at: Millis,
        meta: &RequestMeta,
        entries: Vec<Entry<'_>>,
    ) -> Result<(), InternalError> {
        append_all(self, at, meta, entries).await
    }

    /// [`Tx::audit`], then commit: the end of an audited change with nothing more to do
    /// in its transaction. A failed commit is an internal error (`database: …`), as `?`
    /// on the commit makes it in every capability's error.
    pub async fn audit_and_commit(
        mut self,
        at: Millis,
        meta: &RequestMeta,
        entry: Entry<'_>,
    ) -> Result<(), InternalError> {
        self.audit(at, meta, entry).await?;
        Ok(self.commit().await?)
    }

    /// [`Tx::audit`] for a change that can raise or clear inspection findings: first
    /// re-evaluates the findings of the entry's target (an account, a person, a unit's
    /// subtree; see [`Targets::of`]) with the entry's action as their cause, then
    /// writes the entry. Both run in this transaction, before commit: when either
    /// fails, the change rolls back. A target without findings is a bug: it fails.
    pub async fn audit_and_reevaluate(
        &mut self,
        state: &AppState,
        at: Millis,
        meta: &RequestMeta,
        entry: Entry<'_>,
    ) -> Result<(), InternalError> {
        let targets = Targets::of(&entry).ok_or_else(|| {
            InternalError::new(format!(
                "{}: its target has no findings to re-evaluate",
                entry.action
            ))
        })?;
        crate::inspection::reevaluate(state, self, at, &targets).await?;
        self.audit(at, meta, entry).await
    }

    /// [`Tx::audit_and_reevaluate`], then commit: [`Tx::audit_and_commit`] for a change
    /// that can raise or clear inspection findings.
    pub async fn reevaluate_audit_and_commit(
        mut self,
        state: &AppState,
        at: Millis,
        meta: &RequestMeta,
        entry: Entry<'_>,
    ) -> Result<(), InternalError> {
        self.audit_and_reevaluate(state, at, meta, entry).await?;
        Ok(self.commit().await?)
    }
}

/// One audit event; `$16` is its hash.
const INSERT_EVENT: &str = "INSERT INTO audit_events (unit_id, seq, id, at, actor_kind, actor_id, \
     actor_name, action, target_kind, target_id, outcome, request_id, client_addr, details, \
     prev_hash, hash, v) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

/// Appends `entry` to its unit's chain inside `tx`, linked with HMAC-SHA256 under the
/// chain key (encoding v2). The chain head row serialises appenders of one unit (row
/// lock on PostgreSQL, the write lock on SQLite). Without a chain key (no keyring
/// loaded on this database handle) nothing is written: fail closed. Private: callers
/// go through [`Tx::audit`].
async fn append(
    tx: &mut Tx,
    at: Millis,
    meta: &RequestMeta,
    entry: Entry<'_>,
) -> Result<(), InternalError> {
    let key = tx
        .chain_key()
        .cloned()
        .ok_or_else(|| InternalError::new(super::AuditError::ChainKeyMissing))?;
    let (seq, prev) = claim(tx, entry.unit_id, 1).await?;
    let id = new_id();
    let details = entry.details.to_string();
    let hash = link(key.bytes(), &prev, &entry, meta, seq, &id, at, &details);
    // The event and the head's new hash: one statement where the engine allows.
    let (sql, head_separately) = tx.write_then(
        INSERT_EVENT,
        "UPDATE audit_heads SET hash = $16 WHERE unit_id = $1",
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(entry.unit_id)
        .bind(seq)
        .bind(&id)
        .bind(at)
        .bind(entry.actor.kind)
        .bind(entry.actor.id.as_deref())
        .bind(entry.actor.name.as_deref())
        .bind(entry.action)
        .bind(entry.target_kind)
        .bind(entry.target_id)
        .bind(entry.outcome.as_str())
        .bind(meta.request_id.as_deref())
        .bind(meta.client_addr.as_deref())
        .bind(&details)
        .bind(&prev)
        .bind(&hash)
        .bind(i64::from(V_KEYED))
        .execute(&mut **tx)
        .await?;
    if head_separately {
        set_head(tx, entry.unit_id, &hash).await?;
    }
    crate::telemetry::audited(entry.action, entry.outcome.as_str());
    Ok(())
}

/// Claims the next `n` sequence numbers of `unit_id`'s chain in one statement: the
/// first of them and the hash they follow (the genesis hash for a new chain). The head
/// row stays locked (PostgreSQL) or the write lock is held (SQLite) until commit, so
/// appenders of one unit take turns.
async fn claim(tx: &mut Tx, unit_id: &str, n: i64) -> Result<(i64, String), InternalError> {
    let head = sqlx::query(
        "INSERT INTO audit_heads (unit_id, seq, hash) VALUES ($1, $2, $3) \
         ON CONFLICT (unit_id) DO UPDATE SET seq = audit_heads.seq + $2 RETURNING seq, hash",
    )
    .bind(unit_id)
    .bind(n)
    .bind(GENESIS_HASH)
    .fetch_one(&mut **tx)
    .await?;
    let last: i64 = head.try_get("seq")?;
    Ok((last - n + 1, head.try_get("hash")?))
}

/// The head of `unit_id`'s chain takes `hash`, its last event's.
async fn set_head(tx: &mut Tx, unit_id: &str, hash: &str) -> Result<(), InternalError> {
    sqlx::query("UPDATE audit_heads SET hash = $1 WHERE unit_id = $2")
        .bind(hash)
        .bind(unit_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The link of `entry` as event `seq` (id `id`, details as stored) after `prev`:
/// HMAC-SHA256 under the chain key over its canonical encoding (v2).
#[allow(clippy::too_many_arguments)]
fn link(
    key: &[u8; 32],
    prev: &str,
    entry: &Entry<'_>,
    meta: &RequestMeta,
    seq: i64,
    id: &str,
    at: Millis,
    details: &str,
) -> String {
    event_mac(
        key,
        prev,
        &Canonical {
            v: V_KEYED,
            unit_id: entry.unit_id,
            seq,
            id,
            at,
            actor_kind: entry.actor.kind,
            actor_id: entry.actor.id.as_deref(),
            actor_name: entry.actor.name.as_deref(),
            action: entry.action,
            target_kind: entry.target_kind,
            target_id: entry.target_id,
            outcome: entry.outcome.as_str(),
            request_id: meta.request_id.as_deref(),
            client_addr: meta.client_addr.as_deref(),
            details,
        },
    )
}

/// [`Tx::audit_all`]'s writes (see there).
async fn append_all(
    tx: &mut Tx,
    at: Millis,
    meta: &RequestMeta,
    entries: Vec<Entry<'_>>,
) -> Result<(), InternalError> {
    if entries.is_empty() {
        return Ok(());
    }
    let key = tx
        .chain_key()
        .cloned()
        .ok_or_else(|| InternalError::new(super::AuditError::ChainKeyMissing))?;
    let mut by_unit: BTreeMap<&str, Vec<Entry<'_>>> = BTreeMap::new();
    for e in entries {
        by_unit.entry(e.unit_id).or_default().push(e);
    }
    let mut events = EventColumns::default();
    let mut heads = Vec::with_capacity(by_unit.len());
    for (unit_id, entries) in &by_unit {
        let claimed = i64::try_from(entries.len())
            .map_err(|_| InternalError::new("audit: too many events at once"))?;
        let (first, mut prev) = claim(tx, unit_id, claimed).await?;
        for (seq, entry) in (first..).zip(entries) {
            let id = new_id();
            let details = entry.details.to_string();
            let hash = link(key.bytes(), &prev, entry, meta, seq, &id, at, &details);
            events.push(
                entry,
                seq,
                id,
                details,
                std::mem::replace(&mut prev, hash.clone()),
                hash,
            );
        }
        heads.push((*unit_id, prev));
    }
    tx.insert_rows("audit_events", events.into_columns(at, meta))
        .await?;
    for (unit_id, hash) in heads {
        set_head(tx, unit_id, &hash).await?;
    }
    for entries in by_unit.values() {
        for e in entries {
            crate::telemetry::audited(e.action, e.outcome.as_str());
        }
    }
    Ok(())
}

/// The per-event columns of [`append_all`]'s insert.
#[derive(Default)]
struct EventColumns {
    unit_id: Vec<Option<String>>,
    seq: Vec<i64>,
    id: Vec<Option<String>>,
    actor_kind: Vec<Option<String>>,
    actor_id: Vec<Option<String>>,
    actor_name: Vec<Option<String>>,
    action: Vec<Option<String>>,
    target_kind: Vec<Option<String>>,
    target_id: Vec<Option<String>>,
    outcome: Vec<Option<String>>,
    details: Vec<Option<String>>,
    prev_hash: Vec<Option<String>>,
    hash: Vec<Option<String>>,
}

impl EventColumns {
    fn push(
        &mut self,
        e: &Entry<'_>,
        seq: i64,
        id: String,
        details: String,
        prev_hash: String,
        hash: String,
    ) {
        self.unit_id.push(Some(e.unit_id.to_string()));
        self.seq.push(seq);
        self.id.push(Some(id));
        self.actor_kind.push(Some(e.actor.kind.to_string()));
        self.actor_id.push(e.actor.id.clone());
        self.actor_name.push(e.actor.name.clone());
        self.action.push(Some(e.action.to_string()));
        self.target_kind.push(e.target_kind.map(str::to_string));
        self.target_id.push(e.target_id.map(str::to_string));
        self.outcome.push(Some(e.outcome.as_str().to_string()));
        self.details.push(Some(details));
        self.prev_hash.push(Some(prev_hash));
        self.hash.push(Some(hash));
    }

    fn into_columns(self, at: Millis, meta: &RequestMeta) -> Vec<(&'static str, Values)> {
        vec![
            ("unit_id", Values::Text(self.unit_id)),
            ("seq", Values::Int(self.seq)),
            ("id", Values::Text(self.id)),
            ("at", Values::SharedInt(at)),
            ("actor_kind", Values::Text(self.actor_kind)),
            ("actor_id", Values::Text(self.actor_id)),
            ("actor_name", Values::Text(self.actor_name)),
            ("action", Values::Text(self.action)),
            ("target_kind", Values::Text(self.target_kind)),
            ("target_id", Values::Text(self.target_id)),
            ("outcome", Values::Text(self.outcome)),
            ("request_id", Values::SharedText(meta.request_id.clone())),
            ("client_addr", Values::SharedText(meta.client_addr.clone())),
            ("details", Values::Text(self.details)),
            ("prev_hash", Values::Text(self.prev_hash)),
            ("hash", Values::Text(self.hash)),
            ("v", Values::SharedInt(i64::from(V_KEYED))),
        ]
    }
}

/// An event as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub unit_id: UnitId,
    pub seq: i64,
    pub id: String,
    /// Unix milliseconds UTC.
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
    pub prev_hash: String,
    /// The link: SHA-256 for events written before keying (v1), HMAC-SHA256 since (v2).
    pub hash: String,
    /// Encoding version (1 = SHA-256 link, 2 = HMAC-SHA256 link).
    #[serde(skip)]
    pub v: i64,
    #[serde(skip)]
    pub details_raw: String,
}

impl AuditEvent {
    pub(super) fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let details_raw: String = r.try_get("details")?;
        Ok(AuditEvent {
            unit_id: r.try_get("unit_id")?,
            seq: r.try_get("seq")?,
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            actor_kind: r.try_get("actor_kind")?,
            actor_id: r.try_get("actor_id")?,
            actor_name: r.try_get("actor_name")?,
            action: r.try_get("action")?,
            target_kind: r.try_get("target_kind")?,
            target_id: r.try_get("target_id")?,
            outcome: r.try_get("outcome")?,
            request_id: r.try_get("request_id")?,
            client_addr: r.try_get("client_addr")?,
            details: serde_json::from_str(&details_raw).unwrap_or(Value::Null),
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
            v: r.try_get("v")?,
            details_raw,
        })
    }

    /// The fields its link covers.
    pub fn canonical(&self) -> Canonical<'_> {
        Canonical {
            // An out-of-range stored version is no known version (0): the link fails.
            v: u8::try_from(self.v).unwrap_or(0),
            unit_id: self.unit_id.as_str(),
            seq: self.seq,
            id: &self.id,
            at: self.at,
            actor_kind: &self.actor_kind,
            actor_id: self.actor_id.as_deref(),
            actor_name: self.actor_name.as_deref(),
            action: &self.action,
            target_kind: self.target_kind.as_deref(),
            target_id: self.target_id.as_deref(),
            outcome: &self.outcome,
            request_id: self.request_id.as_deref(),
            client_addr: self.client_addr.as_deref(),
            details: &self.details_raw,
        }
    }
}

pub(super) const SELECT_EVENTS: &str = "SELECT unit_id, seq, id, at, actor_kind, actor_id, actor_name, action, \
     target_kind, target_id, outcome, request_id, client_addr, details, prev_hash, hash, v FROM audit_events";

/// Events of one unit's chain with `seq > after`, oldest first.
pub async fn list(
    pool: &sqlx::AnyPool,
    unit_id: &UnitId,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, InternalError> {
    let sql = format!("{SELECT_EVENTS} WHERE unit_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(unit_id)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| AuditEvent::from_row(r).map_err(Into::into))
        .collect()
}

/// What a trail page asks for: an action (prefix: `rectification.` matches every step),
/// an actor (name or id), and a time range (unix ms, `from` included, `to` excluded).
#[derive(Debug, Default, Clone)]
pub struct TrailFilter<'a> {
    pub action: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Events of one unit's chain matching `filter` with `seq < before` (all when None),
/// newest first: the console's trail page.
pub async fn list_filtered(
    pool: &sqlx::AnyPool,
    unit_id: &UnitId,
    filter: &TrailFilter<'_>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, InternalError> {
    let sql = format!(
        "{SELECT_EVENTS} WHERE unit_id = $1 AND ($2 IS NULL OR seq < $2) \
         AND ($3 IS NULL OR action LIKE $3) \
         AND ($4 IS NULL OR actor_name = $4 OR actor_id = $4) \
         AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) \
         ORDER BY seq DESC LIMIT $7"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(unit_id)
        .bind(before)
        .bind(filter.action.map(|a| format!("{a}%")))
        .bind(filter.actor.map(str::to_string))
        .bind(filter.from)
        .bind(filter.to)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| AuditEvent::from_row(r).map_err(Into::into))
        .collect()
}
