//! A case as the pages show it: labels in the reader's language, times in Beijing time.

use crate::handover::{ChecklistEntry, Handover, PersonRef};
use crate::web::format::time;
use crate::web::i18n::Tr;

pub struct ActionView {
    pub action: String,
    pub label: &'static str,
    pub reason: String,
    pub done: bool,
    /// "by, at" once done.
    pub done_text: String,
    pub evidence: String,
}

pub struct ItemView {
    pub id: String,
    pub account_id: String,
    pub account_name: String,
    pub platform: String,
    pub actions: Vec<ActionView>,
}

pub struct CheckView {
    pub key: &'static str,
    pub label: &'static str,
    pub done: bool,
    pub text: String,
}

pub struct CaseView {
    pub id: String,
    pub unit_name: String,
    pub event_label: &'static str,
    pub state: String,
    pub state_label: &'static str,
    pub leaver: String,
    pub successor: Option<String>,
    pub deadline: String,
    pub created: String,
    pub items: Vec<ItemView>,
    pub checklist: Vec<CheckView>,
    pub acknowledged: Option<String>,
    pub acknowledgement_note: Option<String>,
    pub signed_off: Option<String>,
    pub cancelled: Option<String>,
    pub cancel_reason: Option<String>,
}

pub fn person(p: &PersonRef) -> String {
    format!("{}（{}）", p.display_name, p.username)
}

pub fn event_label(tr: Tr, t: &str) -> &'static str {
    tr.t(match t {
        "departure" => "handover.event.departure",
        "transfer" => "handover.event.transfer",
        "role_change" => "handover.event.role_change",
        "leave" => "handover.event.leave",
        _ => "handover.event.other",
    })
}

pub fn state_label(tr: Tr, s: &str) -> &'static str {
    tr.t(match s {
        "open" => "handover.state.open",
        "awaiting_acknowledgement" => "handover.state.awaiting_acknowledgement",
        "awaiting_sign_off" => "handover.state.awaiting_sign_off",
        "closed" => "handover.state.closed",
        "cancelled" => "handover.state.cancelled",
        "escalated" => "handover.state.escalated",
        _ => "handover.state.other",
    })
}

fn action_label(tr: Tr, a: &str) -> &'static str {
    tr.t(match a {
        "rotate" => "handover.action.rotate",
        "rebind" => "handover.action.rebind",
        "reassign" => "handover.action.reassign",
        _ => "handover.action.other",
    })
}

fn by_at(by: Option<&str>, at: Option<i64>) -> String {
    format!(
        "{}，{}",
        by.unwrap_or("—"),
        at.map_or_else(|| "—".into(), time)
    )
}

fn check(tr: Tr, key: &'static str, label: &'static str, c: &ChecklistEntry) -> CheckView {
    let mut text = if c.done {
        by_at(c.confirmed_by.as_deref(), c.confirmed_at)
    } else {
        tr.t("handover.not_confirmed").to_string()
    };
    if let Some(n) = &c.note {
        text.push_str(" · ");
        text.push_str(n);
    }
    CheckView {
        key,
        label: tr.t(label),
        done: c.done,
        text,
    }
}

impl CaseView {
    pub fn of(tr: Tr, h: &Handover) -> CaseView {
        CaseView {
            id: h.id.to_string(),
            unit_name: h.unit_name.clone(),
            event_label: event_label(tr, &h.event_type),
            state: h.state.clone(),
            state_label: state_label(tr, &h.state),
            leaver: person(&h.leaver),
            successor: h.successor.as_ref().map(person),
            deadline: time(h.deadline_at),
            created: time(h.created_at),
            items: h
                .items
                .iter()
                .map(|i| ItemView {
                    id: i.id.clone(),
                    account_id: i.account_id.to_string(),
                    account_name: i.account_name.clone(),
                    platform: i.platform.clone(),
                    actions: i
                        .actions
                        .iter()
                        .map(|a| ActionView {
                            action: a.action.clone(),
                            label: action_label(tr, &a.action),
                            reason: a.reason.clone(),
                            done: a.done,
                            done_text: if a.done {
                                by_at(a.done_by.as_deref(), a.done_at)
                            } else {
                                String::new()
                            },
                            evidence: a.evidence.clone().unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect(),
            checklist: vec![
                check(tr, "materials", "handover.materials", &h.materials),
                check(tr, "training", "handover.training", &h.training),
            ],
            acknowledged: h.acknowledged_at.map(time),
            acknowledgement_note: h.acknowledgement_note.clone(),
            signed_off: h
                .signed_off_at
                .map(|at| by_at(h.signed_off_by.as_deref(), Some(at))),
            cancelled: h
                .cancelled_at
                .map(|at| by_at(h.cancelled_by.as_deref(), Some(at))),
            cancel_reason: h.cancel_reason.clone(),
        }
    }
}
