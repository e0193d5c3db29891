//! English. Same files and keys as the zh-CN catalogue.

mod frame;
mod oversight;

pub static PARTS: &[&[(&str, &str)]] = &[frame::MESSAGES, oversight::MESSAGES];
