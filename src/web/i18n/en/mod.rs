//! English. Same files and keys as the zh-CN catalogue.

mod accounts;
mod frame;

pub static PARTS: &[&[(&str, &str)]] = &[frame::MESSAGES, accounts::MESSAGES];
