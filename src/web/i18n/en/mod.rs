//! English. Same files and keys as the zh-CN catalogue.

mod accounts;
mod admin;
mod frame;
mod oversight;

pub static PARTS: &[&[(&str, &str)]] = &[
    frame::MESSAGES,
    accounts::MESSAGES,
    admin::MESSAGES,
    oversight::MESSAGES,
];
