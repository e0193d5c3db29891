//! 简体中文（默认）。One file per area of the console; the English catalogue has the
//! same files with the same keys.

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
