//! English. Same files and keys as the zh-CN catalogue.

mod frame;
mod handovers;
mod home_lists;
mod notifications;

pub static PARTS: &[&[(&str, &str)]] = &[
    frame::MESSAGES,
    handovers::MESSAGES,
    home_lists::MESSAGES,
    notifications::MESSAGES,
];
