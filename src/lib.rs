//! credgov: custody, rotation, handover and risk ranking of the passwords of a
//! district's government website and new-media accounts.

pub mod app;
pub mod audit;
pub mod authz;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod error_enum;
pub mod freshness;
pub mod handover;
pub mod http;
pub mod identity;
pub mod ids;
pub mod inspection;
pub mod jobs;
pub mod notify;
pub mod ops;
pub mod outbound;
pub mod policy;
pub mod rectification;
pub mod risk;
pub mod server;
pub mod server_memory;
pub mod telemetry;
pub mod tenancy;
pub mod text;
pub mod text_enum;
pub mod vault;
pub mod web;
