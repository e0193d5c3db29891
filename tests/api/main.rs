//! The integration suite: one binary, every scenario on SQLite and on PostgreSQL.

mod common;

mod anchor;
mod audit;
mod auth;
mod cli;
mod crash;
mod errors;
mod handover;
mod import;
mod jobs;
mod keys;
mod lists;
mod lockout;
mod matrix;
mod openapi;
mod passwords;
mod policy;
mod races;
mod routing;
mod secrets;
mod separation;
mod sessions;
mod text;
mod tokens;
mod units_users;
mod vault;
