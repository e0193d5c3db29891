//! English. Same files and keys as the zh-CN catalogue.

mod accounts;
mod admin;
mod frame;
mod handovers;
mod home_lists;
mod import;
mod notifications;
mod oversight;
mod strength;

pub static PARTS: &[&[(&str, &str)]] = &[
    frame::MESSAGES,
    accounts::MESSAGES,
    admin::MESSAGES,
    handovers::MESSAGES,
    home_lists::MESSAGES,
    import::MESSAGES,
    notifications::MESSAGES,
    oversight::MESSAGES,
    strength::MESSAGES,
];
