//! The SMTP relay every e-mail goes through (`GET/PUT /notify/smtp`): one for the
//! installation, set by system administrators holding the role on the root unit. The
//! password is sealed and write-only (the API shows that one is set and its
//! fingerprint); saving is audited `notify.smtp.update` without it. The deliverer
//! opens the relay for each e-mail row ([`destination`]).

pub mod input;
pub mod routes;
pub mod store;

use serde::Serialize;
use serde_json::json;

use self::input::SmtpInput;
use super::channels::email::SmtpTls;
use super::channels::{Delivery, Destination};
use super::deliver::store::Claimed;
use super::error::NotifyError;
use super::outbox::Channel;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission};
use crate::crypto::KeyringError;
use crate::outbound::OutboundError;
use crate::tenancy::Unit;

/// What `GET /notify/smtp` shows: everything but the password.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SmtpView {
    /// False until a relay is saved; e-mail is not sent (nor queued) before.
    pub configured: bool,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<SmtpTls>,
    pub username: Option<String>,
    /// Whether a password is stored (it is never shown).
    pub password_set: bool,
    /// A keyed hash of the password: changes when it changes, reveals nothing.
    pub password_fingerprint: Option<String>,
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub updated_at: Option<i64>,
}

fn view(stored: Option<store::Stored>) -> SmtpView {
    match stored {
        None => SmtpView {
            configured: false,
            host: None,
            port: None,
            tls: None,
            username: None,
            password_set: false,
            password_fingerprint: None,
            from: None,
            reply_to: None,
            updated_at: None,
        },
        Some(s) => SmtpView {
            configured: true,
            password_set: s.password_fingerprint.is_some(),
            host: Some(s.host),
            port: Some(s.port),
            tls: Some(s.tls),
            username: s.username,
            password_fingerprint: s.password_fingerprint,
            from: Some(s.from),
            reply_to: s.reply_to,
            updated_at: Some(s.updated_at),
        },
    }
}

/// The root unit, when the caller may manage the installation's relay.
async fn authorized_root(state: &AppState, ctx: &AuthContext) -> Result<Unit, NotifyError> {
    let root = crate::tenancy::root_unit(state.db.pool())
        .await?
        .ok_or(authz::AuthzError::Forbidden)?;
    authz::authorize_installation(ctx, Permission::SmtpSettings, &root.as_ref())?;
    Ok(root)
}

/// Whether the caller may see and set the relay: what the console shows a link for
/// (the pages still go through [`get`] and [`put`]).
pub async fn may_manage(state: &AppState, ctx: &AuthContext) -> Result<bool, NotifyError> {
    if !authz::holds_anywhere(ctx, Permission::SmtpSettings) {
        return Ok(false);
    }
    match authorized_root(state, ctx).await {
        Ok(_) => Ok(true),
        Err(NotifyError::Authz(authz::AuthzError::Forbidden)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The relay (system administrators of the root unit).
pub async fn get(state: &AppState, ctx: &AuthContext) -> Result<SmtpView, NotifyError> {
    authorized_root(state, ctx).await?;
    Ok(view(store::load(state.db.pool()).await?))
}

/// Checks the whole body, then saves it; audited `notify.smtp.update` (the relay's
/// address, sender and the password's fingerprint, never the password).
pub async fn put(
    state: &AppState,
    ctx: &AuthContext,
    meta: &RequestMeta,
    body: SmtpInput,
) -> Result<SmtpView, NotifyError> {
    let root = authorized_root(state, ctx).await?;
    let current = store::load(state.db.pool()).await?;
    let has_password = current
        .as_ref()
        .is_some_and(|c| c.password_fingerprint.is_some());
    let c = input::check(&state.outbound, body, has_password)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    store::save(
        state,
        &mut tx,
        &store::Save {
            host: &c.host,
            port: c.port,
            tls: c.tls,
            username: c.username.as_deref(),
            password: c.password.as_ref().map(|p| p.as_str()),
            from: &c.from,
            reply_to: c.reply_to.as_deref(),
            by: ctx.user_id(),
            at: now,
        },
    )
    .await?;
    let saved = store::load(&mut *tx).await?;
    let fingerprint = saved.as_ref().and_then(|s| s.password_fingerprint.clone());
    // The password kept was dropped by a save in between (one without a login): the
    // check above no longer holds, so nothing is saved (the transaction rolls back).
    if c.username.is_some() && fingerprint.is_none() {
        return Err(crate::error::InputError::field(
            "password",
            "give the relay account's password with its username (it is stored sealed and never shown)",
        )
        .zh("请同时填写中继账号的密码（加密保存，不会再显示）。")
        .into());
    }
    tx.audit_and_commit(
        now,
        meta,
        Entry::by(ctx, root.id.as_str(), "notify.smtp.update")
            .target("smtp_relay", "relay")
            .details(json!({
                "host": c.host,
                "port": c.port,
                "tls": c.tls,
                "from": c.from,
                "reply_to": c.reply_to,
                "login": c.username.is_some(),
                "password_changed": c.password.is_some(),
                "password_fingerprint": fingerprint,
            })),
    )
    .await?;
    Ok(view(saved))
}

/// An e-mail row's destination: the relay (password opened for this send), one of its
/// checked addresses, and the row's addresses (the unit's list, or the person's own
/// address). `Err` carries what to record instead of sending: no relay, no address, a
/// refused or unresolvable host.
pub async fn destination(
    state: &AppState,
    row: &Claimed,
) -> Result<Result<Destination, Delivery>, KeyringError> {
    let reject = |error: String| Ok(Err(Delivery::Reject { error }));
    let Some(relay) = store::open_relay(state).await? else {
        return reject(
            "e-mail cannot be sent: no SMTP relay is configured (PUT /api/v1/notify/smtp)".into(),
        );
    };
    let to = match (&row.recipient_user_id, &row.settings_unit_id) {
        (Some(user), _) => match super::prefs::store::email_of(state.db.pool(), user).await? {
            Some(address) => vec![address],
            None => return reject("the recipient has no e-mail address any more".into()),
        },
        (None, Some(unit)) => {
            match super::settings::store::open_own(state, unit, Channel::Email, true).await? {
                Some(s) => s.to.clone(),
                None => {
                    return reject(
                        "the unit's e-mail list was removed after this message was queued".into(),
                    );
                }
            }
        }
        (None, None) => return reject("the message names no recipient".into()),
    };
    let address = match state.outbound.resolve_host(&relay.host).await {
        Ok(addrs) => match addrs.first() {
            Some(a) => *a,
            None => return reject(format!("the SMTP relay {} has no address", relay.host)),
        },
        Err(e @ (OutboundError::DestinationRefused { .. } | OutboundError::InvalidUrl)) => {
            return reject(format!("the SMTP relay is refused: {e}"));
        }
        Err(e) => {
            return Ok(Err(Delivery::Retry {
                error: format!("the SMTP relay could not be reached: {e}"),
                after: None,
            }));
        }
    };
    Ok(Ok(Destination::Email { relay, address, to }))
}
