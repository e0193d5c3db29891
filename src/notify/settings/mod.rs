//! Channel settings per unit (`GET/PUT /units/{id}/channels`, `POST
//! /units/{id}/channels/{channel}/test`, what became of a test in [`outcome`]): webhook,
//! WeCom and DingTalk robots and the unit's e-mail list, inherited down the tree, sealed
//! under the unit's key and write-only (the API shows the host, the e-mail list and a
//! fingerprint, never a URL that carries a key or a secret). The deliverer opens them
//! for each send.

pub mod input;
pub mod outcome;
pub mod routes;
pub mod store;

use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use self::input::ChannelsInput;
use self::store::{Secrets, Stored};
use super::channels::Destination;
use super::deliver::store::Claimed;
use super::error::NotifyError;
use super::kinds::{Lang, NotificationKind};
use super::outbox::{self, Channel, NewMessage};
use super::render::render;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{AuthContext, Permission};
use crate::clock::Millis;
use crate::crypto::KeyringError;
use crate::db::{LockTable, Tx};
use crate::ids::UnitId;

/// How long a replaced webhook secret keeps signing beside the new one.
pub const SECRET_OVERLAP_MS: i64 = 24 * 3_600_000;

/// What `GET /units/{id}/channels` shows of one channel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    /// The unit whose setting applies: this one, or the nearest unit above.
    pub from_unit_id: String,
    pub from_unit_name: String,
    pub inherited: bool,
    /// The destination's host (webhook and robots).
    pub host: Option<String>,
    /// The e-mail list (e-mail only).
    pub to: Option<Vec<String>>,
    /// A keyed hash of the URL and secret: changes when they change, reveals neither.
    pub fingerprint: String,
    /// Until when the replaced webhook secret still signs beside the new one.
    pub previous_secret_until: Option<i64>,
    /// Set when the receiver answered 410 Gone; saving the channel again enables it.
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub updated_at: i64,
}

/// The channels a unit's notices use; null where neither it nor a unit above has one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelsView {
    pub unit_id: String,
    pub webhook: Option<ChannelView>,
    pub wecom: Option<ChannelView>,
    pub dingtalk: Option<ChannelView>,
    pub email: Option<ChannelView>,
}

impl From<KeyringError> for NotifyError {
    fn from(e: KeyringError) -> Self {
        match e {
            KeyringError::RestartRequired => NotifyError::RestartRequired,
            KeyringError::Db(e) => e.into(),
            other => NotifyError::Internal(crate::error::InternalError::new(other)),
        }
    }
}

fn view(unit_id: &str, stored: Vec<Stored>) -> ChannelsView {
    let mut out = ChannelsView {
        unit_id: unit_id.to_string(),
        webhook: None,
        wecom: None,
        dingtalk: None,
        email: None,
    };
    for s in stored {
        let shown = |key: &str| s.shown.get(key).cloned().filter(|v| !v.is_null());
        let v = ChannelView {
            inherited: s.unit_id != unit_id,
            host: shown("host").and_then(|v| v.as_str().map(str::to_string)),
            to: shown("to").and_then(|v| serde_json::from_value(v).ok()),
            previous_secret_until: shown("previous_until").and_then(|v| v.as_i64()),
            fingerprint: s.fingerprint,
            disabled_at: s.disabled_at,
            disabled_reason: s.disabled_reason,
            updated_at: s.updated_at,
            from_unit_id: s.unit_id,
            from_unit_name: s.unit_name,
        };
        let slot = match s.channel {
            Channel::Webhook => &mut out.webhook,
            Channel::Wecom => &mut out.wecom,
            Channel::Dingtalk => &mut out.dingtalk,
            Channel::Email => &mut out.email,
        };
        *slot = Some(v);
    }
    out
}

/// The channels `unit_id` uses (unit admins and sysadmins of the unit or above).
pub async fn get(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: &UnitId,
) -> Result<ChannelsView, NotifyError> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::ChannelsRead).await?;
    let stored = store::effective(state.db.pool(), unit.id.as_str()).await?;
    Ok(view(unit.id.as_str(), stored))
}

/// One channel's new settings, checked, with what may be shown of them.
struct Change {
    channel: Channel,
    /// None: remove the unit's own setting.
    set: Option<Set>,
}

/// What a checked change sets.
enum Set {
    /// The settings as given, with what may be shown of them.
    Given(Secrets, Value),
    /// A webhook: whether its secret is new (the stored one then signs beside it for a
    /// day) or kept depends on the stored setting, so it is settled in the write
    /// transaction ([`webhook_secrets`]).
    Webhook {
        url: String,
        host: String,
        secret: Option<Zeroizing<String>>,
    },
}

/// Checks every channel of `input` before anything is written.
fn changes(state: &AppState, input: ChannelsInput) -> Result<Vec<Change>, NotifyError> {
    let client = &state.outbound;
    let mut out = Vec::new();
    if let Some(webhook) = input.webhook {
        let set = match webhook {
            None => None,
            Some(w) => {
                let host = input::check_url(client, "webhook.url", &w.url)?;
                if let Some(new) = &w.secret {
                    input::check_webhook_secret(new)?;
                }
                Some(Set::Webhook {
                    url: w.url,
                    host,
                    secret: w.secret,
                })
            }
        };
        out.push(Change {
            channel: Channel::Webhook,
            set,
        });
    }
    if let Some(wecom) = input.wecom {
        let set = match wecom {
            None => None,
            Some(w) => {
                let host = input::check_url(client, "wecom.webhook_url", &w.webhook_url)?;
                let secrets = Secrets::url(w.webhook_url.to_string(), None);
                Some(Set::Given(secrets, json!({ "host": host })))
            }
        };
        out.push(Change {
            channel: Channel::Wecom,
            set,
        });
    }
    if let Some(dingtalk) = input.dingtalk {
        let set = match dingtalk {
            None => None,
            Some(d) => {
                let host = input::check_url(client, "dingtalk.webhook_url", &d.webhook_url)?;
                input::check_dingtalk_secret(&d.secret)?;
                let secrets = Secrets::url(d.webhook_url.to_string(), Some(d.secret.to_string()));
                Some(Set::Given(secrets, json!({ "host": host })))
            }
        };
        out.push(Change {
            channel: Channel::Dingtalk,
            set,
        });
    }
    if let Some(email) = input.email {
        let set = match email {
            None => None,
            Some(e) => {
                let to = input::check_email_to(&e.to)?;
                let shown = json!({ "to": to });
                Some(Set::Given(Secrets::email(to), shown))
            }
        };
        out.push(Change {
            channel: Channel::Email,
            set,
        });
    }
    Ok(out)
}

/// A webhook's settings against the stored ones (read in the transaction that saves
/// them): a new secret replaces the stored one, which keeps signing for a day; without
/// one, the stored secret and its predecessor stay.
fn webhook_secrets(
    url: String,
    host: String,
    secret: Option<Zeroizing<String>>,
    stored: Option<Secrets>,
    now: Millis,
) -> Result<(Secrets, Value), NotifyError> {
    let (secret, previous_secret, previous_until) = match (secret, stored) {
        (Some(new), stored) => {
            // The replaced secret keeps signing for a day.
            let previous = stored
                .as_ref()
                .and_then(|c| c.secret.clone())
                .filter(|old| old.as_str() != new.as_str());
            let until = previous.as_ref().map(|_| now + SECRET_OVERLAP_MS);
            (new.to_string(), previous, until)
        }
        (None, Some(stored)) => match stored.secret.clone() {
            Some(kept) => (kept, stored.previous_secret.clone(), stored.previous_until),
            None => return Err(missing_secret().into()),
        },
        (None, None) => return Err(missing_secret().into()),
    };
    let secrets = Secrets {
        url: Some(url),
        secret: Some(secret),
        previous_secret,
        previous_until,
        to: Vec::new(),
    };
    let shown = json!({ "host": host, "previous_until": secrets.previous_until });
    Ok((secrets, shown))
}

fn missing_secret() -> crate::error::InputError {
    crate::error::InputError::field(
        "webhook.secret",
        "a webhook needs a secret: whsec_ followed by base64 of at least 24 random bytes",
    )
    .zh("Webhook 需要密钥：whsec_ 后接至少 24 个随机字节的 base64。")
}

/// Sets and removes a unit's own channels in one transaction, audited
/// `notify.channels.update` (channels and fingerprints, never a URL or secret).
pub async fn put(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &UnitId,
    input: ChannelsInput,
) -> Result<ChannelsView, NotifyError> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::ChannelsWrite).await?;
    let unit_id = unit.id.as_str();
    let changes = changes(state, input)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    // Channel writes of one unit run one after the other (PostgreSQL: the unit's row
    // lock; SQLite: the write transaction), so a webhook's secret is replaced based on
    // the stored one no other writer is changing meanwhile; the unit's row, because the
    // channel's may not exist yet.
    if !tx.lock_row_for_update(LockTable::Units, unit_id).await? {
        return Err(crate::tenancy::TenancyError::NotFound("unit").into());
    }
    // Settle every setting before saving any: a missing webhook secret writes nothing.
    let mut settled = Vec::with_capacity(changes.len());
    for change in changes {
        let set = match change.set {
            None => None,
            Some(Set::Given(secrets, shown)) => Some((secrets, shown)),
            Some(Set::Webhook { url, host, secret }) => {
                let stored = store::open_own_in(state, &mut tx, unit_id, change.channel).await?;
                Some(webhook_secrets(url, host, secret, stored, now)?)
            }
        };
        settled.push((change.channel, set));
    }
    let mut set = serde_json::Map::new();
    let mut removed = Vec::new();
    for (channel, change) in &settled {
        match change {
            Some((secrets, shown)) => {
                store::save(
                    state,
                    &mut tx,
                    unit_id,
                    *channel,
                    secrets,
                    shown,
                    ctx.user_id(),
                )
                .await?;
                set.insert(
                    channel.as_str().into(),
                    json!(store::fingerprint(state, secrets)),
                );
            }
            None => {
                if store::remove(&mut tx, unit_id, *channel).await? {
                    removed.push(channel.as_str());
                }
            }
        }
    }
    tx.audit(
        now,
        meta,
        Entry::by(ctx, unit_id, "notify.channels.update")
            .target("unit", unit_id)
            .details(json!({ "set": set, "removed": removed })),
    )
    .await?;
    let stored = store::effective(&mut *tx, unit_id).await?;
    tx.commit().await?;
    Ok(view(unit_id, stored))
}

/// What `POST /units/{id}/channels/{channel}/test` queued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestQueued {
    /// The outbox row (see `GET /outbox`): the webhook id the receiver sees.
    pub outbox_id: String,
    /// The unit whose setting it goes through.
    pub via_unit_id: String,
}

/// Queues a test message through `channel` as `unit_id` would use it; audited
/// `notify.channels.test`.
pub async fn test(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    unit_id: &UnitId,
    channel: &str,
) -> Result<TestQueued, NotifyError> {
    let unit =
        crate::tenancy::authorized_unit(state, ctx, unit_id, Permission::ChannelsWrite).await?;
    let channel = Channel::parse(channel).ok_or_else(|| {
        crate::error::InputError::field(
            "channel",
            "channel must be one of webhook, wecom, dingtalk, email",
        )
        .zh("通知渠道只能是 webhook、wecom（企业微信）、dingtalk（钉钉）或 email（电子邮件）。")
    })?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let via = store::effective(&mut *tx, unit.id.as_str())
        .await?
        .into_iter()
        .find(|s| s.channel == channel && s.disabled_at.is_none())
        .ok_or(NotifyError::NoChannel { channel })?;
    let via_unit = UnitId::new(via.unit_id.clone());
    let data = json!({ "unit": unit.name, "channel": channel });
    let text = render(NotificationKind::ChannelTest, Lang::ZhCn, &data);
    let id = outbox::insert(
        &mut tx,
        &NewMessage {
            kind: NotificationKind::ChannelTest,
            unit_id: &unit.id,
            channel,
            settings_unit_id: Some(&via_unit),
            recipient_user_id: None,
            title: &text.title,
            body: &text.markdown,
            html: &text.html,
            data: &data,
            mentions: &json!({}),
            dedupe_key: None,
            at: now,
        },
    )
    .await?
    .ok_or_else(|| crate::error::InternalError::new("a fresh outbox id collided"))?;
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, unit.id.as_str(), "notify.channels.test")
            .target("outbox", &id)
            .details(json!({ "channel": channel, "via_unit_id": via.unit_id })),
    )
    .await?;
    super::wake();
    Ok(TestQueued {
        outbox_id: id,
        via_unit_id: via.unit_id,
    })
}

/// The group channels that carry a notice about `unit_id`: each enabled channel with
/// the unit whose setting configures it. E-mail lists only while an SMTP relay is set
/// (`email`): without one their rows could only fail (a channel test still shows why).
pub async fn group_routes(
    tx: &mut Tx,
    unit_id: &UnitId,
    email: bool,
) -> Result<Vec<(Channel, UnitId)>, sqlx::Error> {
    Ok(store::effective(&mut **tx, unit_id.as_str())
        .await?
        .into_iter()
        .filter(|s| s.disabled_at.is_none() && (email || s.channel != Channel::Email))
        .map(|s| (s.channel, UnitId::new(s.unit_id)))
        .collect())
}

/// The claimed row's destination with its secrets opened for this one send, and the
/// fingerprint of the setting it came from; None when its setting was removed or
/// disabled since it was queued.
pub async fn destination(
    state: &AppState,
    row: &Claimed,
) -> Result<Option<(Destination, String)>, KeyringError> {
    let Some(unit_id) = row.settings_unit_id.as_deref() else {
        return Ok(None);
    };
    let Some(s) = store::open_own(state, unit_id, row.channel, true).await? else {
        return Ok(None);
    };
    let fingerprint = store::fingerprint(state, &s);
    let secret = |v: &Option<String>| v.as_deref().map(|s| SecretString::from(s.to_string()));
    let destination = match row.channel {
        Channel::Webhook => {
            let now = state.now();
            let mut secrets: Vec<SecretString> = secret(&s.secret).into_iter().collect();
            if s.previous_until.is_some_and(|until| now < until) {
                secrets.extend(secret(&s.previous_secret));
            }
            secret(&s.url).map(|url| Destination::Webhook { url, secrets })
        }
        Channel::Wecom => secret(&s.url).map(|webhook_url| Destination::WeCom { webhook_url }),
        Channel::Dingtalk => match (secret(&s.url), secret(&s.secret)) {
            (Some(webhook_url), Some(secret)) => Some(Destination::DingTalk {
                webhook_url,
                secret,
            }),
            _ => None,
        },
        // E-mail rows are opened by `notify::smtp::destination` (the relay and the list).
        Channel::Email => None,
    };
    Ok(destination.map(|d| (d, fingerprint)))
}
