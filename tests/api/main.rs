//! The integration suite: one binary, every scenario on SQLite and on PostgreSQL.

mod common;

mod anchor;
mod audit;
mod auth;
mod calendar;
mod cli;
mod crash;
mod errors;
mod freshness;
mod handover;
mod import;
mod inspection;
mod jobs;
mod keys;
mod lists;
mod lockout;
mod matrix;
mod openapi;
mod outbound;
mod outbound_server;
mod passwords;
mod policy;
mod probe;
mod races;
mod rectification;
mod routing;
mod secrets;
mod separation;
mod sessions;
mod text;
mod tokens;
mod units_users;
mod vault;
mod weak_password;
