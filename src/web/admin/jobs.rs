//! The scheduled jobs' status: schedule, last run and its outcome, a run in progress,
//! the next run.

use askama::Template;
use axum::response::Response;

use crate::authz::{self, Permission};
use crate::jobs as status;
use crate::web::caller::WebCaller;
use crate::web::error::{WebError, WebResult};
use crate::web::format;
use crate::web::frame::Frame;
use crate::web::page::render;

pub struct JobRow {
    pub name: String,
    pub description: String,
    pub cron: String,
    pub enabled: bool,
    pub next_run: String,
    pub last_outcome: String,
    pub last_finished: String,
    pub last_error: String,
    pub running: bool,
}

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    frame: Frame,
    jobs: Vec<JobRow>,
}

/// `GET /admin/jobs`.
pub async fn list(c: WebCaller) -> WebResult<Response> {
    authz::require_anywhere(&c.ctx, Permission::JobsRead)
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let jobs = status::list(&c.state)
        .await
        .map_err(|e| WebError::domain(c.tr, &e))?;
    let dash = || "—".to_string();
    let rows = jobs
        .iter()
        .map(|j| JobRow {
            name: j.name.clone(),
            description: j.description.clone(),
            cron: format!("{} ({})", j.cron, j.timezone),
            enabled: j.enabled,
            next_run: j.next_run_at.map_or_else(dash, format::time),
            last_outcome: j.last_run.as_ref().map_or_else(dash, |r| {
                c.tr.t(&format!("job.outcome.{}", r.outcome.as_str()))
                    .to_string()
            }),
            last_finished: j
                .last_run
                .as_ref()
                .and_then(|r| r.finished_at)
                .map_or_else(dash, format::time),
            last_error: j
                .last_run
                .as_ref()
                .and_then(|r| r.error.clone())
                .unwrap_or_default(),
            running: j.running.is_some(),
        })
        .collect();
    Ok(render(&JobsPage {
        frame: super::frame(&c, "/admin/jobs", "admin.jobs.title").await?,
        jobs: rows,
    }))
}
