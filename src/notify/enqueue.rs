//! `enqueue`: the only way a producer notifies anyone. Inside the producer's write
//! transaction it resolves the audience, renders the notice per language, writes an
//! inbox row per person (in their language), an e-mail outbox row per person who gets
//! this kind by e-mail, and per group channel one outbox row per part of the message
//! (`parts`: robots and webhooks take so much at a time; e-mail takes it whole). Nothing is sent here: if
//! the producer's transaction rolls back, nobody hears anything. E-mail rows (personal
//! and unit lists) are queued only while an SMTP relay is set: without one they could
//! only fail.

use serde_json::{Value, json};

use super::audience::{self, Audience, Person};
use super::channels::Mentions;
use super::inbox::{self, NewNotification};
use super::kinds::{Lang, NotificationKind};
use super::outbox::{self, Channel, NewMessage};
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

/// Writes the notice's inbox and outbox rows in `tx`. Call [`super::wake`] after the
/// commit so the deliverer picks the rows up at once.
pub async fn enqueue(tx: &mut Tx, notice: &Notice) -> Result<Queued, sqlx::Error> {
    let resolved = audience::resolve(tx, &notice.audience).await?;
    let mut queued = Queued::default();
    let mut zh: Option<Rendered> = None;
    let mut en: Option<Rendered> = None;
    let email = super::smtp::store::configured(tx).await?;
    for person in &resolved.people {
        let text = rendered(notice, person.reach.lang, &mut zh, &mut en);
        let added = inbox::insert(
            tx,
            &NewNotification {
                user_id: person.id.as_str(),
                unit_id: notice.unit_id.as_str(),
                kind: notice.kind,
                title: &text.title,
                body: &text.markdown,
                data: &notice.data,
                dedupe_key: notice.dedupe_key.as_deref(),
                at: notice.at,
            },
        )
        .await?;
        queued.inbox += usize::from(added);
        if email && person.reach.emails(notice.kind) {
            queued.outbox += usize::from(personal_email(tx, notice, person, text).await?);
        }
    }
    if resolved.groups.is_empty() {
        return Ok(queued);
    }
    let text = rendered(notice, Lang::ZhCn, &mut zh, &mut en);
    let mut near: Vec<Person> = resolved.people.iter().filter(|p| p.near).cloned().collect();
    if !notice.mention.is_empty() {
        for p in audience::resolve(tx, &notice.mention).await?.people {
            if near.iter().all(|n| n.id != p.id) {
                near.push(p);
            }
        }
    }
    let (mentions, mentioned) = mentions(&near);
    let none = json!({});
    for unit in &resolved.groups {
        for (channel, settings_unit) in super::settings::group_routes(tx, unit, email).await? {
            // Each part is its own row: its own id, dedupe key and robot rate slot.
            let parts = parts::parts(
                channel,
                &text.title,
                &text.markdown,
                &notice.data,
                &mentioned,
            );
            for part in &parts {
                let added = outbox::insert(
                    tx,
                    &NewMessage {
                        kind: notice.kind,
                        unit_id: &notice.unit_id,
                        channel,
                        settings_unit_id: Some(&settings_unit),
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
                    },
                )
                .await?;
                queued.outbox += usize::from(added.is_some());
            }
        }
    }
    Ok(queued)
}

/// Queues `person`'s own e-mail of the notice (`text`, in their language); whether a
/// row was added (not when its dedupe key was queued before).
async fn personal_email(
    tx: &mut Tx,
    notice: &Notice,
    person: &Person,
    text: &Rendered,
) -> Result<bool, sqlx::Error> {
    let added = outbox::insert(
        tx,
        &NewMessage {
            kind: notice.kind,
            unit_id: &notice.unit_id,
            channel: Channel::Email,
            settings_unit_id: None,
            recipient_user_id: Some(person.id.as_str()),
            title: &text.title,
            body: &text.markdown,
            html: &text.html,
            data: &notice.data,
            mentions: &json!({}),
            dedupe_key: notice
                .dedupe_key
                .as_ref()
                .map(|k| format!("{k}|email|user:{}", person.id.as_str())),
            at: notice.at,
        },
    )
    .await?;
    Ok(added.is_some())
}

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
