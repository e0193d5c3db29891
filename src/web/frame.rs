//! What every signed-in page shares: the words, the asset URLs, the navigation the
//! caller's roles allow (links to pages they may not use are not shown), who is signed
//! in, the CSRF token and the idle limit for the countdown.

use super::assets::{AssetUrls, URLS};
use super::caller::WebCaller;
use super::i18n::Tr;
use crate::authz::{self, Permission, Principal};

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct Frame {
    pub tr: Tr,
    pub assets: &'static AssetUrls,
    pub nav: Vec<NavLink>,
    pub user: String,
    pub csrf: String,
    /// Idle limit of the session, seconds (the countdown starts here on each page).
    pub idle_seconds: i64,
    pub other_lang: &'static str,
    pub title: String,
    /// A section's own tabs (administration), the ones the caller may use; empty
    /// elsewhere.
    pub tabs: Vec<NavLink>,
}

/// The console's sections: path, label key, and the permission that shows the link
/// (`None`: every signed-in person).
const SECTIONS: &[(&str, &str, Option<Permission>)] = &[
    ("/", "nav.home", None),
    ("/accounts", "nav.accounts", Some(Permission::AccountsRead)),
    (
        "/handovers",
        "nav.handovers",
        Some(Permission::HandoverRead),
    ),
    (
        "/rectifications",
        "nav.rectifications",
        Some(Permission::RectificationsRead),
    ),
    ("/risk", "nav.risk", Some(Permission::RiskRead)),
    ("/audit", "nav.audit", Some(Permission::AuditRead)),
    ("/admin", "nav.admin", Some(Permission::UsersWrite)),
    ("/notifications", "nav.notifications", None),
];

impl Frame {
    /// The frame for `c` on the page titled by `title_key`, in section `section`.
    pub fn new(c: &WebCaller, section: &str, title_key: &str) -> Frame {
        let tr = c.tr;
        let nav = SECTIONS
            .iter()
            .filter(|(_, _, perm)| perm.is_none_or(|p| authz::holds_anywhere(&c.ctx, p)))
            .map(|(href, key, _)| NavLink {
                href,
                label: tr.t(key),
                current: *href == section,
            })
            .collect();
        let user = match &c.ctx.principal {
            Principal::User { username, .. } => username.clone(),
            Principal::Token { name, .. } => name.clone(),
            Principal::Operator { name } => name.clone(),
        };
        Frame {
            tr,
            assets: &URLS,
            nav,
            user,
            csrf: c.csrf.clone(),
            idle_seconds: i64::from(c.state.policy.session.idle_minutes) * 60,
            other_lang: tr.other().as_str(),
            title: tr.t(title_key).to_string(),
            tabs: Vec::new(),
        }
    }
}
