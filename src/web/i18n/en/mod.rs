//! English. Same files and keys as the zh-CN catalogue.

mod frame;

pub static PARTS: &[&[(&str, &str)]] = &[frame::MESSAGES];
