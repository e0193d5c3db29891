//! The "send a test" button of a channel: `POST /admin/channels/test` queues a test
//! message through `notify::settings::test` (as `POST /units/{id}/channels/{channel}/test`
//! does), then the channels page says in plain words what became of it
//! (`notify::settings::outcome`); while it waits to be sent, htmx asks
//! `GET /admin/channels/test?unit=&id=` again every few seconds.

use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::channels::{self, Note};
use crate::ids::UnitId;
use crate::notify::outbox::{Channel, OutboxState};
use crate::notify::settings::{self, outcome::TestOutcome};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult, refusal, urlencode};
use crate::web::form::Posted;
use crate::web::format;
use crate::web::page::render;

/// A test in words.
pub struct TestView {
    pub channel: Channel,
    /// `ok` (delivered), `error` (refused, failed, or failing) or `muted` (waiting).
    pub class: &'static str,
    pub text: String,
    /// Where to ask again while the test waits to be sent (htmx), and the link that
    /// does the same without script.
    pub poll: Option<String>,
    pub refresh: Option<String>,
    pub refresh_label: &'static str,
}

fn words(c: &WebCaller, unit: &UnitId, o: &TestOutcome) -> TestView {
    let tr = c.tr;
    let error = o.last_error.as_deref().unwrap_or("—");
    let (class, text) = match o.state {
        OutboxState::Delivered => (
            "ok",
            tr.f(
                "admin.channels.test.delivered",
                [(
                    "time",
                    format::time(o.delivered_at.unwrap_or(o.created_at)).as_str(),
                )],
            ),
        ),
        OutboxState::Failed => (
            "error",
            tr.f("admin.channels.test.failed", [("error", error)]),
        ),
        OutboxState::Pending if o.attempts > 0 => (
            "error",
            tr.f(
                "admin.channels.test.retrying",
                [
                    ("error", error),
                    ("time", format::time(o.next_attempt_at).as_str()),
                    ("n", o.attempts.to_string().as_str()),
                ],
            ),
        ),
        OutboxState::Pending => (
            "muted",
            tr.f(
                "admin.channels.test.queued",
                [("time", format::time(o.created_at).as_str())],
            ),
        ),
    };
    let waiting = o.state == OutboxState::Pending;
    let id = urlencode(&o.outbox_id);
    TestView {
        channel: o.channel,
        class,
        text,
        poll: waiting.then(|| {
            format!(
                "/admin/channels/test?unit={}&id={id}",
                urlencode(unit.as_str())
            )
        }),
        refresh: waiting.then(|| format!("{}&test={id}", channels::href(unit.as_str()))),
        refresh_label: tr.t("admin.channels.test.refresh"),
    }
}

/// What became of the test `id` of `unit`, in words (404 for anything else).
pub async fn view(c: &WebCaller, unit: &UnitId, id: &str) -> WebResult<TestView> {
    let o = settings::outcome::test_outcome(&c.state, &c.ctx, unit, id)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    Ok(words(c, unit, &o))
}

/// The test's words alone (the channels page includes the same template).
#[derive(Template)]
#[template(path = "admin/channel_test.html")]
struct TestFragment {
    t: TestView,
}

#[derive(Deserialize)]
pub struct OutcomeQuery {
    unit: String,
    id: String,
}

/// `GET /admin/channels/test?unit=&id=`: the test's words alone (what htmx swaps in).
pub async fn outcome(c: WebCaller, Query(q): Query<OutcomeQuery>) -> WebResult<Response> {
    let unit = UnitId::new(q.unit);
    Ok(render(&TestFragment {
        t: view(&c, &unit, &q.id).await?,
    }))
}

#[derive(Deserialize)]
pub struct TestForm {
    unit: String,
    channel: String,
}

/// `POST /admin/channels/test`: queues a test through the channel as the unit's notices
/// would go; the page then follows it. A refusal (no such channel set up) is said on
/// the channel's card.
pub async fn send(p: Posted<TestForm>) -> WebResult<Response> {
    let c = p.caller;
    let f = p.form;
    let unit = UnitId::new(f.unit);
    match settings::test(&c.state, &c.ctx, &c.meta, &unit, &f.channel).await {
        Ok(queued) => {
            let to = format!(
                "{}&test={}#channel-{}",
                channels::href(unit.as_str()),
                urlencode(&queued.outbox_id),
                urlencode(&f.channel)
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let (status, message) = refusal(c.tr, &e)?;
            match Channel::parse(&f.channel) {
                Some(channel) => {
                    let test = TestView {
                        channel,
                        class: "error",
                        text: message,
                        poll: None,
                        refresh: None,
                        refresh_label: c.tr.t("admin.channels.test.refresh"),
                    };
                    let note = Some((channel, Note::Test(test)));
                    channels::page(&c, &unit, None, note, None, status).await
                }
                None => channels::page(&c, &unit, None, None, Some(message), status).await,
            }
        }
    }
}
