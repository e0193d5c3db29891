//! The integration suite: one binary, every scenario on SQLite and on PostgreSQL.

mod common;

mod audit;
mod auth;
mod cli;
mod errors;
mod matrix;
mod openapi;
mod secrets;
mod sessions;
mod tokens;
mod units_users;
