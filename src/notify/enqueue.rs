//! `enqueue` (or a [`Batch`] of notices): the only way a producer notifies anyone. Inside the producer's write
//! transaction it resolves the audience, renders the notice per language, writes an
//! inbox row per person (in their language), an e-mail outbox row per person who gets
//! this kind by e-mail, and per group channel one outbox row per part of the message
//! (`parts`: robots and webhooks take so much at a time; e-mail takes it whole). Nothing is sent here: if
//! the producer's transaction rolls back, nobody hears anything. E-mail rows (personal
//! and unit lists) are queued only while an SMTP relay is set: without one they could
//! only fail. A producer with many notices at once (the daily scan's digests) queues
//! them as one [`Batch`]: the same rows, each audience resolved once and the rows
//! written in a few multi-row statements.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};

use super::audience::{Audience, Person, Resolved, Resolver};
use super::channels::Mentions;
use super::inbox::{NewNotification, NewNotifications};
use super::kinds::{Lang, NotificationKind};
use super::outbox::{Channel, NewMessage, NewMessages};
use super::parts;
use super::render::{Rendered, render};
use crate::clock::Millis;
use crate::db::Tx;
use crate::ids::UnitId;

/// One event that needs people: what, about which unit, for whom, with which facts.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NotificationKind,
    /// The unit it is about.
    pub unit_id: UnitId,
    pub audience: Vec<Audience>,
    /// People group messages mention beside the audience's near ones (see
    /// [`super::audience::Person::near`]) without hearing the notice themselves: the
    /// custodians of a digest's accounts, who get their own digest.
    pub mention: Vec<Audience>,
    /// Names, counts and dates (never a secret): the words of the message and the
    /// webhook's `details`. `items` (an array of strings) lists a digest's lines.
    pub data: Value,
    /// Set for digests: the same key is queued once (per person and destination).
    pub dedupe_key: Option<String>,
    pub at: Millis,
}

impl Notice {
    pub fn new(kind: NotificationKind, unit_id: UnitId, at: Millis) -> Self {
        Notice {
            kind,
            unit_id,
            audience: Vec::new(),
            mention: Vec::new(),
            data: json!({}),
            dedupe_key: None,
            at,
        }
    }

    pub fn to(mut self, audience: Audience) -> Self {
        self.audience.push(audience);
        self
    }

    /// Mentions `audience` in group messages (no inbox row, no e-mail).
    pub fn mention(mut self, audience: Audience) -> Self {
        self.mention.push(audience);
        self
    }

    pub fn data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }

    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// What `enqueue` wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    /// Inbox rows.
    pub inbox: usize,
    /// Outbox rows (messages the deliverer will send).
    pub outbox: usize,
}

/// The name of unit `unit_id`, for a notice's data (the producers of notices about a
/// unit all name it).
pub async fn unit_name(conn: &mut AnyConnection, unit_id: &str) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT name FROM units WHERE id = $1")
        .bind(unit_id)
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// Writes the notice's inbox and outbox rows in `tx`. Call [`super::wake`] after the
/// commit so the deliverer picks the rows up at once.
pub async fn enqueue(tx: &mut Tx, notice: &Notice) -> Result<Queued, sqlx::Error> {
    write(tx, &mut Resolver::default(), std::slice::from_ref(notice)).await
}

/// Notices queued together in one transaction (a daily scan's digests): each audience
/// is resolved once for all of them, and their rows are written in a few multi-row
/// statements. What each notice writes is what [`enqueue`] would write for it.
#[derive(Default)]
pub struct Batch {
    notices: Vec<Notice>,
    resolver: Resolver,
}

impl Batch {
    pub fn push(&mut self, notice: Notice) {
        self.notices.push(notice);
    }

    /// Reads the groups of `audiences` in a few statements ([`Resolver::prefetch`]), for
    /// a producer about to resolve them one at a time.
    pub async fn prefetch(
        &mut self,
        tx: &mut Tx,
        audiences: &[&Audience],
    ) -> Result<(), sqlx::Error> {
        self.resolver.prefetch(tx, audiences).await
    }

    /// The people and groups of `audience`, resolved as the batch's notices will be.
    pub async fn resolve(
        &mut self,
        tx: &mut Tx,
        audience: &[Audience],
    ) -> Result<Resolved, sqlx::Error> {
        self.resolver.resolve(tx, audience).await
    }

    /// Writes every notice's rows in `tx`.
    pub async fn enqueue(mut self, tx: &mut Tx) -> Result<Queued, sqlx::Error> {
        write(tx, &mut self.resolver, &self.notices).await
    }
}

/// The rows of `notices`, written together.
async fn write(
    tx: &mut Tx,
    resolver: &mut Resolver,
    notices: &[Notice],
) -> Result<Queued, sqlx::Error> {
    if notices.is_empty() {
        return Ok(Queued::default());
    }
    let named: Vec<&Audience> = notices
        .iter()
        .flat_map(|n| n.audience.iter().chain(&n.mention))
        .collect();
    resolver.prefetch(tx, &named).await?;
    let email = super::smtp::store::configured(tx).await?;
    let mut inbox = NewNotifications::default();
    let mut outbox = NewMessages::default();
    let mut routes: HashMap<UnitId, Vec<(Channel, UnitId)>> = HashMap::new();
    for notice in notices {
        let resolved = resolver.resolve(tx, &notice.audience).await?;
        let mut zh: Option<Rendered> = None;
        let mut en: Option<Rendered> = None;
        for person in &resolved.people {
            let text = rendered(notice, person.reach.lang, &mut zh, &mut en);
            inbox.push(&NewNotification {
                user_id: person.id.as_str(),
                unit_id: notice.unit_id.as_str(),
                kind: notice.kind,
                title: &text.title,
                body: &text.markdown,
                data: &notice.data,
                dedupe_key: notice.dedupe_key.as_deref(),
                at: notice.at,
            });
            if email && person.reach.emails(notice.kind) {
                outbox.push(&personal_email(notice, person, text));
            }
        }
        if resolved.groups.is_empty() {
            continue;
        }
        let text = rendered(notice, Lang::ZhCn, &mut zh, &mut en);
        let mut near: Vec<Person> = resolved.people.iter().filter(|p| p.near).cloned().collect();
        if !notice.mention.is_empty() {
            for p in resolver.resolve(tx, &notice.mention).await?.people {
                if near.iter().all(|n| n.id != p.id) {
                    near.push(p);
                }
            }
        }
        let (mentions, mentioned) = mentions(&near);
        let none = json!({});
        for unit in &resolved.groups {
            if !routes.contains_key(unit) {
                let found = super::settings::group_routes(tx, unit, email).await?;
                routes.insert(unit.clone(), found);
            }
            for (channel, settings_unit) in routes.get(unit).into_iter().flatten() {
                let channel = *channel;
                // Each part is its own row: its own id, dedupe key and robot rate slot.
                let parts = parts::parts(
                    channel,
                    &text.title,
                    &text.markdown,
                    &notice.data,
                    &mentioned,
                );
                for part in &parts {
                    outbox.push(&NewMessage {
                        kind: notice.kind,
                        unit_id: &notice.unit_id,
                        channel,
                        settings_unit_id: Some(settings_unit),
                        recipient_user_id: None,
                        title: &part.title,
                        body: &part.markdown,
                        html: &text.html,
                        data: &part.data,
                        mentions: if part.mentions { &mentions } else { &none },
                        dedupe_key: notice.dedupe_key.as_ref().map(|k| {
                            let key = format!("{k}|{channel}|{settings_unit}");
                            match &part.label {
                                Some(label) => format!("{key}|{label}"),
                                None => key,
                            }
                        }),
                        at: notice.at,
                    });
                }
            }
        }
    }
    let written = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok(Queued {
        inbox: written(inbox.insert(tx).await?),
        outbox: written(outbox.insert(tx).await?),
    })
}

/// `person`'s own e-mail of the notice (`text`, in their language).
fn personal_email<'a>(
    notice: &'a Notice,
    person: &'a Person,
    text: &'a Rendered,
) -> NewMessage<'a> {
    NewMessage {
        kind: notice.kind,
        unit_id: &notice.unit_id,
        channel: Channel::Email,
        settings_unit_id: None,
        recipient_user_id: Some(person.id.as_str()),
        title: &text.title,
        body: &text.markdown,
        html: &text.html,
        data: &notice.data,
        mentions: &EMPTY,
        dedupe_key: notice
            .dedupe_key
            .as_ref()
            .map(|k| format!("{k}|email|user:{}", person.id.as_str())),
        at: notice.at,
    }
}

/// No mentions (a personal e-mail's).
static EMPTY: LazyLock<Value> = LazyLock::new(|| json!({}));

/// The notice in `lang`, rendered once per language.
fn rendered<'a>(
    notice: &Notice,
    lang: Lang,
    zh: &'a mut Option<Rendered>,
    en: &'a mut Option<Rendered>,
) -> &'a Rendered {
    let slot = match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    };
    slot.get_or_insert_with(|| render(notice.kind, lang, &notice.data))
}

/// The people a robot message mentions (the notice's near people and those it names to
/// mention) by their WeCom and DingTalk user ids and mobile numbers, as far as they gave
/// them (as stored, and as the senders will read them).
fn mentions(people: &[Person]) -> (Value, Mentions) {
    let list = |f: fn(&Person) -> Option<&str>| -> Vec<String> {
        people.iter().filter_map(f).map(str::to_string).collect()
    };
    let m = Mentions {
        wecom_user_ids: list(|p| p.reach.wecom_user_id.as_deref()),
        dingtalk_user_ids: list(|p| p.reach.dingtalk_user_id.as_deref()),
        mobiles: list(|p| p.reach.mobile.as_deref()),
    };
    let stored = json!({
        "wecom_user_ids": m.wecom_user_ids,
        "dingtalk_user_ids": m.dingtalk_user_ids,
        "mobiles": m.mobiles,
    });
    (stored, m)
}
