//! What waits for the person on the home page, each a short list linking to its page:
//! their accounts due or overdue for rotation (as a custodian), the rectifications
//! their units must fix (unit admins) or review (supervisors), the handover cases that
//! wait for them (as successor, or to sign off), and their unread notifications. Each
//! list comes from an existing service read and only for roles that may see it.

use crate::authz::{self, Permission};
use crate::handover::{cases_awaiting, successor_cases};
use crate::http::Paging;
use crate::inspection::my_rotation_findings;
use crate::notify::inbox;
use crate::rectification::{Turn, awaiting};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::format::time;
use crate::web::i18n::Lang;

/// How many entries each list shows.
const SHORT: i64 = 5;

pub struct Link {
    pub href: String,
    pub text: String,
    pub meta: String,
}

pub struct HomeLists {
    pub due: Vec<Link>,
    /// Shown to custodians (who keep accounts).
    pub show_due: bool,
    pub rectifications: Vec<Link>,
    pub show_rectifications: bool,
    pub cases: Vec<Link>,
    pub show_cases: bool,
    pub latest: Vec<Link>,
}

fn paging() -> Paging {
    Paging {
        limit: SHORT,
        after: None,
    }
}

pub async fn lists(c: &WebCaller) -> WebResult<HomeLists> {
    let tr = c.tr;
    let err = |e: &dyn crate::error::DomainError| WebError::domain(tr, e);
    let zh = tr.lang() == Lang::ZhCn;

    let due: Vec<Link> = my_rotation_findings(&c.state, &c.ctx, SHORT)
        .await
        .map_err(|e| err(&e))?
        .into_iter()
        .map(|f| Link {
            href: format!("/accounts/{}", f.target_id),
            text: if zh { f.message.zh_cn } else { f.message.en },
            meta: tr
                .t(if f.rule.as_str() == "rotation_overdue" {
                    "home.overdue"
                } else {
                    "home.due"
                })
                .to_string(),
        })
        .collect();

    let mut rectifications = Vec::new();
    let show_rectifications = authz::holds_anywhere(&c.ctx, Permission::RectificationsSubmit)
        || authz::holds_anywhere(&c.ctx, Permission::RectificationsReview);
    for turn in [Turn::Fix, Turn::Review] {
        for r in awaiting(&c.state, &c.ctx, turn, SHORT)
            .await
            .map_err(|e| err(&e))?
        {
            let def = r.rule.def();
            rectifications.push(Link {
                href: format!("/rectifications/{}", r.id),
                text: (if zh { def.fix_zh } else { def.fix_en }).to_string(),
                meta: format!(
                    "{} · {}",
                    tr.t(&format!("home.rect_state.{}", r.state.as_str())),
                    tr.f("home.deadline", [("time", time(r.deadline_at).as_str())])
                ),
            });
        }
    }

    let mut cases = Vec::new();
    for h in successor_cases(&c.state, &c.ctx, SHORT)
        .await
        .map_err(|e| err(&e))?
    {
        cases.push(case_link(c, &h, "home.case_as_successor"));
    }
    for (perm, filter, why) in [
        (
            Permission::HandoverSignOff,
            "awaiting_sign_off",
            "home.case_to_sign_off",
        ),
        (Permission::HandoverManage, "open", "home.case_to_work"),
    ] {
        for h in cases_awaiting(&c.state, &c.ctx, perm, filter, SHORT)
            .await
            .map_err(|e| err(&e))?
        {
            if !cases.iter().any(|l: &Link| l.href.ends_with(h.id.as_str())) {
                cases.push(case_link(c, &h, why));
            }
        }
    }

    let latest = match c.ctx.user_id() {
        Some(_) => inbox::list(&c.state, &c.ctx, Some(true), &paging())
            .await
            .map_err(|e| err(&e))?
            .items
            .into_iter()
            .map(|n| Link {
                href: "/notifications?show=unread".into(),
                text: n.title,
                meta: time(n.created_at),
            })
            .collect(),
        None => Vec::new(),
    };

    Ok(HomeLists {
        show_due: !due.is_empty() || authz::holds_anywhere(&c.ctx, Permission::AccountsRead),
        due,
        show_rectifications,
        rectifications,
        show_cases: !cases.is_empty() || authz::holds_anywhere(&c.ctx, Permission::HandoverRead),
        cases,
        latest,
    })
}

fn case_link(c: &WebCaller, h: &crate::handover::Handover, why: &str) -> Link {
    let tr = c.tr;
    Link {
        href: format!("/handovers/{}", h.id),
        text: format!(
            "{} · {} · {}",
            super::handovers::event_label(tr, &h.event_type),
            h.leaver.display_name,
            h.unit_name
        ),
        meta: format!(
            "{} · {}",
            tr.t(why),
            tr.f("home.deadline", [("time", time(h.deadline_at).as_str())])
        ),
    }
}
