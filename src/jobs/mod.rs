//! Scheduled jobs. tokio-cron-scheduler is only the in-process ticker; the database is
//! the truth. Each occurrence `(job, due_at)` is a row (unique key) claimed under the
//! job's row lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write transaction on
//! SQLite) with a lease the runner renews, so across any number of servers an
//! occurrence runs once; a server killed mid-run loses its lease and another (or the
//! restarted one) finishes the occurrence. Occurrences missed while every server was
//! down run once at start (the latest one only).
//!
//! `config` (`[jobs]`), `schedule` (cron in a time zone), `registry` (the jobs),
//! `define` (`scheduled_job!`, how a job is declared),
//! `store` (SQL), `runner` (claim, run, renew, record), `ticker` (wake-ups),
//! `status` and `routes` (what operators see), and the jobs themselves
//! (`housekeeping`).

mod config;
mod define;
mod error;
mod housekeeping;
pub mod registry;
mod routes;
mod runner;
mod schedule;
mod status;
pub mod store;
mod ticker;

pub use config::{JobSchedule, JobsConfig};
pub use error::JobsError;
pub use housekeeping::JOB_HISTORY_DAYS;
pub use registry::{Counts, Job, JobFailure, RunContext};
pub use routes::router;
pub use runner::{RunReport, Runner};
pub use schedule::Schedule;
pub use status::{CurrentRun, JobStatus, LastRun, list};
pub use ticker::Ticker;
