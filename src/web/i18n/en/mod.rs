//! English. Same files and keys as the zh-CN catalogue.

mod admin;
mod frame;

pub static PARTS: &[&[(&str, &str)]] = &[frame::MESSAGES, admin::MESSAGES];
