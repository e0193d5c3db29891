//! Each person's notification preferences (`GET/PUT /me/notifications`): where their
//! e-mail goes, the mobile and WeCom / DingTalk ids robots mention them by, the
//! language of their inbox and e-mail, and the kinds they do not want by e-mail. Every
//! notice still reaches the inbox; security kinds
//! ([`NotificationKind::always_emailed`]) cannot be muted. Only the person sets their
//! own (API tokens have no preferences); saving is audited `notify.prefs.update`.

pub mod input;
pub mod routes;
pub mod store;

use serde::Serialize;
use serde_json::json;

use self::input::{Checked, PrefsInput};
use super::error::NotifyError;
use super::kinds::{Lang, NotificationKind};
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext};
use crate::clock::Millis;

/// What `GET /me/notifications` shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PrefsView {
    /// Your own e-mail address for notices; null: the directory's is used.
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub wecom_user_id: Option<String>,
    pub dingtalk_user_id: Option<String>,
    /// `zh-CN` or `en`.
    pub lang: String,
    /// Kinds you do not get by e-mail.
    pub muted_kinds: Vec<NotificationKind>,
    /// Kinds that always reach you by e-mail, whatever you mute.
    pub always_emailed: Vec<NotificationKind>,
    /// Where your e-mail goes now (yours, else the directory's); null: no e-mail.
    pub email_in_use: Option<String>,
    /// The mobile robots mention now (yours, else the directory's phone).
    pub mobile_in_use: Option<String>,
    /// When you last saved them; null: the defaults.
    pub updated_at: Option<Millis>,
}

fn view(own: store::Own) -> PrefsView {
    let prefs = own.prefs.unwrap_or(Checked {
        email: None,
        mobile: None,
        wecom_user_id: None,
        dingtalk_user_id: None,
        lang: Default::default(),
        muted_kinds: Vec::new(),
    });
    PrefsView {
        email_in_use: prefs
            .email
            .clone()
            .or(own.directory_email)
            .filter(|e| super::settings::input::plausible_email(e)),
        mobile_in_use: prefs.mobile.clone().or(own.directory_phone),
        email: prefs.email,
        mobile: prefs.mobile,
        wecom_user_id: prefs.wecom_user_id,
        dingtalk_user_id: prefs.dingtalk_user_id,
        lang: prefs.lang.as_str().to_string(),
        muted_kinds: prefs.muted_kinds,
        always_emailed: NotificationKind::ALL
            .iter()
            .copied()
            .filter(|k| k.always_emailed())
            .collect(),
        updated_at: own.updated_at,
    }
}

/// The caller's own preferences.
pub async fn get(state: &AppState, ctx: &AuthContext) -> Result<PrefsView, NotifyError> {
    let me = authz::own_inbox(ctx)?;
    let own = store::load(state.db.pool(), me)
        .await?
        .ok_or(authz::AuthzError::Forbidden)?;
    Ok(view(own))
}

/// Sets only the caller's language (the console's language switch), audited
/// `notify.prefs.update` like a whole save; the other preferences stay as they are.
pub async fn set_lang(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    lang: Lang,
) -> Result<(), NotifyError> {
    let me = authz::own_inbox(ctx)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let own = store::load(&mut *tx, me)
        .await?
        .ok_or(authz::AuthzError::Forbidden)?;
    store::save_lang(&mut tx, me, lang, now).await?;
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, &own.unit_id, "notify.prefs.update")
            .target("user", me)
            .details(json!({ "lang": lang.as_str() })),
    )
    .await?;
    Ok(())
}

/// Replaces the caller's preferences with `body`, checked whole first; audited
/// `notify.prefs.update` on the person's home unit (what changed, not the addresses).
pub async fn put(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    body: PrefsInput,
) -> Result<PrefsView, NotifyError> {
    let me = authz::own_inbox(ctx)?;
    let checked = input::check(body)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let before = store::load(&mut *tx, me)
        .await?
        .ok_or(authz::AuthzError::Forbidden)?;
    store::save(&mut tx, me, &checked, now).await?;
    let old = before.prefs.as_ref();
    let changed = |f: fn(&Checked) -> Option<&String>| old.and_then(f) != f(&checked);
    let after = store::load(&mut *tx, me)
        .await?
        .ok_or(authz::AuthzError::Forbidden)?;
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, &before.unit_id, "notify.prefs.update")
            .target("user", me)
            .details(json!({
                "email_changed": changed(|c| c.email.as_ref()),
                "mobile_changed": changed(|c| c.mobile.as_ref()),
                "wecom_user_id_changed": changed(|c| c.wecom_user_id.as_ref()),
                "dingtalk_user_id_changed": changed(|c| c.dingtalk_user_id.as_ref()),
                "lang": checked.lang.as_str(),
                "muted_kinds": checked.muted_kinds,
            })),
    )
    .await?;
    Ok(view(after))
}
