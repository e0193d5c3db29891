//! 简体中文（默认）。One file per area of the console; the English catalogue has the
//! same files with the same keys.

mod accounts;
mod frame;

pub static PARTS: &[&[(&str, &str)]] = &[frame::MESSAGES, accounts::MESSAGES];
