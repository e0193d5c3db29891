//! `GET /accounts/{id}`: an account's metadata, custodians, versions, open findings and
//! recent publications; the reveal form and the rotation wizard for those who may see
//! its secret; the pending rotation's confirm and cancel.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::Response;
use serde::Deserialize;

use super::labels;
use crate::authz;
use crate::error::AppError;
use crate::http::Paging;
use crate::ids::AccountId;
use crate::inspection::{FindingFilter, list_findings};
use crate::vault::{Account, custodian_candidates, list_versions, read_account};
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::i18n::{Lang, Tr};
use crate::web::page::render;
use axum::http::StatusCode;

/// Publications shown on the page.
const PUBLICATIONS: i64 = 10;

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct CustodianRow {
    pub user_id: String,
    pub username: String,
}

/// Someone the caller may name custodian: `用户名（姓名）`.
pub struct CandidateRow {
    pub user_id: String,
    pub label: String,
}

pub struct VersionRow {
    pub version: i64,
    pub state: &'static str,
    pub score: i64,
    pub weak: bool,
    pub created_at: String,
    pub confirmed_at: String,
}

pub struct FindingRow {
    pub severity: &'static str,
    pub severity_label: &'static str,
    pub message: String,
    pub fix: String,
    pub since: String,
}

pub struct PublicationRow {
    pub at: String,
    pub title: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "accounts/show.html")]
struct ShowPage {
    frame: Frame,
    id: String,
    name: String,
    facts: Vec<Fact>,
    custodians: Vec<CustodianRow>,
    /// Who may be named custodian (shown to those who may change the account).
    candidates: Vec<CandidateRow>,
    versions: Vec<VersionRow>,
    /// None: the caller may not read findings.
    findings: Option<Vec<FindingRow>>,
    /// None: the account publishes no content.
    publications: Option<Vec<PublicationRow>>,
    may_secret: bool,
    may_write: bool,
    pending_rotation: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    done: Option<String>,
}

fn facts(tr: Tr, a: &Account, unit: &str) -> Vec<Fact> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let time = |v: Option<i64>| v.map_or_else(|| "—".into(), format::time);
    vec![
        Fact {
            label: tr.t("accounts.unit"),
            value: unit.to_string(),
        },
        Fact {
            label: tr.t("accounts.platform"),
            value: labels::platform(tr, a.platform).into(),
        },
        Fact {
            label: tr.t("accounts.login_name"),
            value: a.login_name.clone(),
        },
        Fact {
            label: tr.t("accounts.login_url"),
            value: opt(&a.login_url),
        },
        Fact {
            label: tr.t("accounts.classification"),
            value: labels::classification(tr, a.classification).into(),
        },
        Fact {
            label: tr.t("accounts.status"),
            value: labels::status(tr, a.status).into(),
        },
        Fact {
            label: tr.t("accounts.bound_phone"),
            value: opt(&a.bound_phone),
        },
        Fact {
            label: tr.t("accounts.bound_email"),
            value: opt(&a.bound_email),
        },
        Fact {
            label: tr.t("accounts.totp"),
            value: tr
                .t(if a.has_totp {
                    "accounts.totp_kept"
                } else {
                    "accounts.totp_none"
                })
                .into(),
        },
        Fact {
            label: tr.t("accounts.last_rotated"),
            value: time(a.last_rotated_at),
        },
        Fact {
            label: tr.t("accounts.last_published"),
            value: time(a.last_published_at),
        },
        Fact {
            label: tr.t("accounts.feed_url"),
            value: opt(&a.feed_url),
        },
        Fact {
            label: tr.t("accounts.notes"),
            value: opt(&a.notes),
        },
        Fact {
            label: tr.t("accounts.created_at"),
            value: format::time(a.created_at),
        },
    ]
}

/// `GET /accounts/{id}`.
pub async fn show(
    c: WebCaller,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> WebResult<Response> {
    let tr = c.tr;
    let id = AccountId::new(id);
    let account = read_account(&c.state, &c.ctx, &id)
        .await
        .map_err(|e| WebError::domain(tr, &e))?;
    let unit = crate::tenancy::get_unit(c.state.db.pool(), &account.unit_id)
        .await
        .map_err(|e| WebError::domain(tr, &e))?
        .ok_or_else(|| WebError::not_found(tr))?;
    let may_secret =
        authz::authorize_secret(&c.ctx, &unit.as_ref(), &account.custodian_ids()).is_ok();
    let may_write = authz::authorize(
        &c.ctx,
        authz::Permission::AccountsWrite,
        &unit.as_ref(),
        "account",
    )
    .is_ok();
    let versions = list_versions(&c.state, &c.ctx, &id)
        .await
        .map_err(|e| WebError::domain(tr, &e))?
        .into_iter()
        .map(|v| VersionRow {
            version: v.version,
            state: labels::version_state(tr, v.state),
            score: v.score,
            weak: v.weak,
            created_at: format::time(v.created_at),
            confirmed_at: v.confirmed_at.map_or_else(|| "—".into(), format::time),
        })
        .collect();
    let findings = findings_of(&c, &account).await?;
    let candidates = if may_write {
        custodian_candidates(&c.state, &c.ctx, &id)
            .await
            .map_err(|e| WebError::domain(tr, &e))?
            .into_iter()
            .map(|p| CandidateRow {
                user_id: p.user_id.as_str().to_string(),
                label: format!("{}（{}）", p.username, p.display_name),
            })
            .collect()
    } else {
        Vec::new()
    };
    let publications = if crate::freshness::publishes_content(account.platform) {
        let list = crate::freshness::recent_publications(&c.state, &c.ctx, &id, PUBLICATIONS)
            .await
            .map_err(|e| WebError::domain(tr, &e))?;
        Some(
            list.into_iter()
                .map(|p| PublicationRow {
                    at: format::time(p.published_at),
                    title: p.title.or(p.url).unwrap_or_else(|| "—".into()),
                    source: tr
                        .t(&format!("publication_source.{}", p.source))
                        .to_string(),
                })
                .collect(),
        )
    } else {
        None
    };
    let notice = match q.done.as_deref() {
        Some("confirmed") => Some(tr.t("rotate.confirmed")),
        Some("cancelled") => Some(tr.t("rotate.cancelled")),
        Some("created") => Some(tr.t("register.created")),
        Some("saved") => Some(tr.t("edit.saved")),
        Some("custodian_added") => Some(tr.t("custodians.added")),
        Some("custodian_removed") => Some(tr.t("custodians.removed")),
        _ => None,
    };
    let mut frame = Frame::new(&c, "/accounts", "accounts.title");
    frame.title = account.name.clone();
    Ok(render(&ShowPage {
        frame,
        id: account.id.as_str().to_string(),
        name: account.name.clone(),
        facts: facts(tr, &account, &unit.name),
        custodians: account
            .custodians
            .iter()
            .map(|c| CustodianRow {
                user_id: c.user_id.as_str().to_string(),
                username: c.username.clone(),
            })
            .collect(),
        candidates,
        versions,
        findings,
        publications,
        may_secret,
        may_write,
        pending_rotation: account
            .pending_rotation_id
            .as_ref()
            .map(|r| r.as_str().to_string()),
        notice,
    }))
}

/// The account's open findings, or None for a caller who may not read findings.
async fn findings_of(c: &WebCaller, account: &Account) -> WebResult<Option<Vec<FindingRow>>> {
    let tr = c.tr;
    let filter = FindingFilter {
        unit_id: Some(account.unit_id.as_str()),
        state: Some("open"),
        target_id: Some(account.id.as_str()),
        ..FindingFilter::default()
    };
    let paging = Paging::new(Some(50), None).map_err(|e| WebError::domain(tr, &e))?;
    match list_findings(&c.state, &c.ctx, &filter, &paging).await {
        Ok(page) => Ok(Some(
            page.items
                .into_iter()
                .map(|f| {
                    let (message, fix) = match tr.lang() {
                        Lang::ZhCn => (f.message.zh_cn, f.fix.zh_cn),
                        Lang::En => (f.message.en, f.fix.en),
                    };
                    FindingRow {
                        severity: f.severity.as_str(),
                        severity_label: tr.t(&format!("severity.{}", f.severity.as_str())),
                        message,
                        fix,
                        since: format::time(f.first_seen),
                    }
                })
                .collect(),
        )),
        Err(AppError::Client { status, .. }) if status == StatusCode::FORBIDDEN => Ok(None),
        Err(AppError::Client {
            status, message, ..
        }) if status.is_client_error() => Err(WebError::Page {
            status,
            tr,
            message,
        }),
        Err(e) => {
            tracing::error!(error = %e, "findings of an account failed");
            Err(WebError::page(
                tr,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error.internal",
            ))
        }
    }
}
