//! A unit's notification channels (`/admin/channels?unit=`): what its notices go
//! through — its own setting or the nearest unit's above — as `notify::settings::get`
//! shows it (hosts, e-mail lists, fingerprints; never a URL that carries a key, nor a
//! secret), a form per channel to set or remove the unit's own through
//! `notify::settings::put`, and a test button (`channel_test`). What is typed into a
//! URL or secret field is write-only: it is never put back on a page, also not on a
//! refused form.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::channel_test::{self, TestView};
use crate::authz::{self, Permission};
use crate::ids::UnitId;
use crate::notify::outbox::Channel;
use crate::notify::settings::input::{
    ChannelsInput, DingtalkInput, EmailInput, WebhookInput, WecomInput,
};
use crate::notify::settings::{self, ChannelView, ChannelsView};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, refusal, urlencode};
use crate::web::form::Posted;
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::render_status;

/// What the page shows of one channel's setting.
pub struct Shown {
    /// The unit's own setting (it may be removed here), not one inherited.
    pub own: bool,
    pub from_unit: String,
    pub host: Option<String>,
    pub to: Vec<String>,
    pub fingerprint: String,
    pub previous_until: Option<String>,
    /// Since when and why it is disabled (the receiver answered 410 Gone).
    pub disabled: Option<(String, String)>,
    pub updated: String,
}

/// One channel's card: its setting, its forms and what became of the last action.
pub struct Card {
    pub channel: Channel,
    pub name: &'static str,
    pub shown: Option<Shown>,
    /// A refused save or removal of this channel, in the service's words.
    pub error: Option<String>,
    /// The e-mail list as typed, put back on a refused form (never a URL or secret).
    pub to_text: String,
    /// A test of this channel: refused, or queued and how it went.
    pub test: Option<TestView>,
}

#[derive(Template)]
#[template(path = "admin/channels.html")]
struct ChannelsPage {
    frame: Frame,
    unit_id: String,
    unit_name: String,
    /// The unit picker: id, name, chosen.
    units: Vec<(String, String, bool)>,
    cards: Vec<Card>,
    /// Whether the caller may set and test channels (the forms are not shown otherwise).
    may_write: bool,
    notice: Option<String>,
    /// A refusal that belongs to no card (a channel name the service does not know).
    error: Option<String>,
}

/// What happened on one card, shown on the page answered next.
pub enum Note {
    /// A refused save or removal, with the e-mail list as typed.
    Refused { message: String, to_text: String },
    /// A test: refused, or queued and how it went.
    Test(TestView),
}

fn shown(v: &ChannelView) -> Shown {
    Shown {
        own: !v.inherited,
        from_unit: v.from_unit_name.clone(),
        host: v.host.clone(),
        to: v.to.clone().unwrap_or_default(),
        fingerprint: v.fingerprint.clone(),
        previous_until: v.previous_secret_until.map(format::time),
        disabled: v.disabled_at.map(|at| {
            (
                format::time(at),
                v.disabled_reason.clone().unwrap_or_default(),
            )
        }),
        updated: format::time(v.updated_at),
    }
}

fn cards(c: &WebCaller, view: &ChannelsView, note: Option<(Channel, Note)>) -> Vec<Card> {
    let mut note = note;
    Channel::ALL
        .iter()
        .map(|&channel| {
            let setting = match channel {
                Channel::Webhook => &view.webhook,
                Channel::Wecom => &view.wecom,
                Channel::Dingtalk => &view.dingtalk,
                Channel::Email => &view.email,
            };
            let mut card = Card {
                channel,
                name: c.tr.t(&format!("admin.channels.kind.{}", channel.as_str())),
                shown: setting.as_ref().map(shown),
                error: None,
                to_text: String::new(),
                test: None,
            };
            if note.as_ref().is_some_and(|(ch, _)| *ch == channel) {
                match note.take().map(|(_, n)| n) {
                    Some(Note::Refused { message, to_text }) => {
                        card.error = Some(message);
                        card.to_text = to_text;
                    }
                    Some(Note::Test(t)) => card.test = Some(t),
                    None => {}
                }
            }
            card
        })
        .collect()
}

/// The channels page of `unit`, with `note` on one card; `status` is the answer's.
pub async fn page(
    c: &WebCaller,
    unit: &UnitId,
    notice: Option<String>,
    note: Option<(Channel, Note)>,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let view = settings::get(&c.state, &c.ctx, unit)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let units: Vec<(String, String, bool)> = super::unit_choices(c)
        .await?
        .into_iter()
        .map(|u| {
            let chosen = u.id.as_str() == view.unit_id;
            (u.id.to_string(), u.name, chosen)
        })
        .collect();
    let unit_name = units
        .iter()
        .find(|(_, _, chosen)| *chosen)
        .map_or_else(|| view.unit_id.clone(), |(_, name, _)| name.clone());
    Ok(render_status(
        status,
        &ChannelsPage {
            frame: super::frame(c, "/admin/channels", "admin.channels.title").await?,
            unit_id: view.unit_id.clone(),
            unit_name,
            units,
            cards: cards(c, &view, note),
            may_write: authz::holds_anywhere(&c.ctx, Permission::ChannelsWrite),
            notice,
            error,
        },
    ))
}

/// Where the channels page of `unit` is.
pub fn href(unit: &str) -> String {
    format!("/admin/channels?unit={}", urlencode(unit))
}

#[derive(Deserialize, Default)]
pub struct ChannelsQuery {
    unit: Option<String>,
    /// A channel just saved or removed.
    saved: Option<String>,
    /// A test just queued: its outbox id.
    test: Option<String>,
}

/// `GET /admin/channels?unit=`: the unit's channels (without `unit`: the first unit
/// where the caller holds the channels).
pub async fn show(c: WebCaller, Query(q): Query<ChannelsQuery>) -> WebResult<Response> {
    let unit = match q.unit.filter(|u| !u.is_empty()) {
        Some(u) => UnitId::new(u),
        None => UnitId::new(
            authz::first_unit_with(&c.ctx, Permission::ChannelsRead)
                .map_err(|e| WebError::domain(c.tr, &e))?,
        ),
    };
    let note = match q.test {
        Some(id) => {
            let test = channel_test::view(&c, &unit, &id).await?;
            Some((test.channel, Note::Test(test)))
        }
        None => None,
    };
    let notice = q.saved.and_then(|s| Channel::parse(&s)).map(|ch| {
        c.tr.f("admin.channels.saved", [("channel", channel_name(&c, ch))])
    });
    page(&c, &unit, notice, note, None, StatusCode::OK).await
}

/// A channel's name in the reader's language.
pub fn channel_name(c: &WebCaller, channel: Channel) -> &'static str {
    c.tr.t(&format!("admin.channels.kind.{}", channel.as_str()))
}

/// One channel's form: set it (the fields its kind has) or, with `remove`, remove the
/// unit's own setting. URL and secrets are wiped when dropped.
#[derive(Deserialize)]
pub struct ChannelForm {
    unit: String,
    channel: String,
    /// Present when the remove button sent the form.
    remove: Option<String>,
    /// The webhook's URL, or the robot's full URL with its key.
    url: Option<Zeroizing<String>>,
    /// The webhook's `whsec_…` secret (empty: keep the stored one) or DingTalk's `SEC…`.
    secret: Option<Zeroizing<String>>,
    /// The e-mail list, one address per line (commas and semicolons also separate).
    to: Option<String>,
}

/// The addresses of the e-mail list field, as typed (the service checks them).
fn addresses(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c == '，' || c == '；' || c.is_whitespace())
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

/// The API's body for this one channel: set from the form's fields, or `null`.
fn input_of(channel: Channel, f: ChannelForm) -> ChannelsInput {
    let remove = f.remove.is_some();
    let mut url = f.url.unwrap_or_default();
    let secret = f.secret.filter(|s| !s.is_empty());
    let mut input = ChannelsInput {
        webhook: None,
        wecom: None,
        dingtalk: None,
        email: None,
    };
    match channel {
        Channel::Webhook => {
            input.webhook = Some((!remove).then(|| WebhookInput {
                url: std::mem::take(&mut *url),
                secret,
            }));
        }
        Channel::Wecom => {
            input.wecom = Some((!remove).then_some(WecomInput { webhook_url: url }));
        }
        Channel::Dingtalk => {
            input.dingtalk = Some((!remove).then(|| DingtalkInput {
                webhook_url: url,
                secret: secret.unwrap_or_default(),
            }));
        }
        Channel::Email => {
            let to = addresses(f.to.as_deref().unwrap_or(""));
            input.email = Some((!remove).then_some(EmailInput { to }));
        }
    }
    input
}

/// `POST /admin/channels`: sets or removes one channel of the unit; a refusal comes
/// back on the channel's form with the service's words, its URL and secret fields
/// empty.
pub async fn save(p: Posted<ChannelForm>) -> WebResult<Response> {
    let c = p.caller;
    let f = p.form;
    let unit = UnitId::new(f.unit.clone());
    let Some(channel) = Channel::parse(&f.channel) else {
        return Err(WebError::page(
            c.tr,
            StatusCode::BAD_REQUEST,
            "error.bad_form",
        ));
    };
    let to_text = f.to.clone().unwrap_or_default();
    let input = input_of(channel, f);
    match settings::put(&c.state, &c.ctx, &c.meta, &unit, input).await {
        Ok(_) => {
            let to = format!("{}&saved={}", href(unit.as_str()), channel.as_str());
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let (status, message) = refusal(c.tr, &e)?;
            let note = Note::Refused { message, to_text };
            page(&c, &unit, None, Some((channel, note)), None, status).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_field_splits_on_lines_commas_and_semicolons() {
        assert_eq!(
            addresses("a@b.cn\r\nc@d.cn, e@f.cn;g@h.cn；i@j.cn \n\n"),
            ["a@b.cn", "c@d.cn", "e@f.cn", "g@h.cn", "i@j.cn"]
        );
        assert!(addresses("  \n ").is_empty());
    }

    #[test]
    fn a_form_sets_or_removes_only_its_own_channel() {
        let form = |channel: &str, remove: bool| ChannelForm {
            unit: "u".into(),
            channel: channel.into(),
            remove: remove.then(String::new),
            url: Some(Zeroizing::new("https://hooks.example.gov.cn/x".into())),
            secret: Some(Zeroizing::new(String::new())),
            to: Some("a@b.cn".into()),
        };
        let set = input_of(Channel::Webhook, form("webhook", false));
        let Some(Some(w)) = &set.webhook else {
            panic!("the webhook is set");
        };
        assert!(w.secret.is_none(), "an empty secret keeps the stored one");
        assert!(set.wecom.is_none() && set.dingtalk.is_none() && set.email.is_none());
        let removed = input_of(Channel::Email, form("email", true));
        assert!(matches!(removed.email, Some(None)));
        assert!(removed.webhook.is_none());
    }
}
