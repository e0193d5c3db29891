//! The `notify_prefs` rows, and how a person's preferences join the user directory:
//! the audience reads them with [`PERSON_COLUMNS`] / [`PERSON_JOIN`] in the same query
//! that finds the people, so a notice to many people costs no query per person.

use sqlx::Row;

use super::input::Checked;
use crate::clock::Millis;
use crate::db::Tx;
use crate::identity::UserStatus;
use crate::notify::kinds::{Lang, NotificationKind};
use crate::notify::settings::input::plausible_email;

/// A person's columns for the audience, `s` being `users` and `p` the preferences.
pub const PERSON_COLUMNS: &str = "s.id, s.phone, s.email, p.email AS pref_email, p.mobile, \
    p.wecom_user_id, p.dingtalk_user_id, p.lang, p.muted_kinds";
/// Joins the preferences to `users s`.
pub const PERSON_JOIN: &str = "LEFT JOIN notify_prefs p ON p.user_id = s.id";

/// How one person is reached, preferences and directory combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub lang: Lang,
    /// Where personal e-mail goes: the person's own choice, else the directory's.
    pub email: Option<String>,
    /// The mobile robots mention: the person's own choice, else the directory's phone.
    pub mobile: Option<String>,
    pub wecom_user_id: Option<String>,
    pub dingtalk_user_id: Option<String>,
    /// Kinds not sent by e-mail.
    pub muted: Vec<NotificationKind>,
}

impl Reach {
    /// Whether a notice of `kind` goes to this person's e-mail too.
    pub fn emails(&self, kind: NotificationKind) -> bool {
        self.email.is_some() && (kind.always_emailed() || !self.muted.contains(&kind))
    }
}

fn kinds(json: Option<String>) -> Vec<NotificationKind> {
    json.and_then(|j| serde_json::from_str::<Vec<String>>(&j).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|k| NotificationKind::parse(k))
        .collect()
}

/// A row read with [`PERSON_COLUMNS`].
pub fn reach(r: &sqlx::any::AnyRow) -> Result<Reach, sqlx::Error> {
    let pref_email: Option<String> = r.try_get("pref_email")?;
    let directory_email: Option<String> = r.try_get("email")?;
    let mobile: Option<String> = r.try_get("mobile")?;
    let phone: Option<String> = r.try_get("phone")?;
    let lang: Option<String> = r.try_get("lang")?;
    Ok(Reach {
        lang: lang.as_deref().and_then(Lang::parse).unwrap_or_default(),
        email: pref_email
            .or(directory_email)
            .filter(|e| plausible_email(e)),
        mobile: mobile.or(phone).filter(|m| !m.trim().is_empty()),
        wecom_user_id: r.try_get("wecom_user_id")?,
        dingtalk_user_id: r.try_get("dingtalk_user_id")?,
        muted: kinds(r.try_get("muted_kinds")?),
    })
}

/// The person's own row, and the directory's e-mail and phone.
pub struct Own {
    pub prefs: Option<Checked>,
    pub directory_email: Option<String>,
    pub directory_phone: Option<String>,
    pub unit_id: String,
    pub updated_at: Option<Millis>,
}

/// The stored preferences of `user_id`; None for an unknown user.
pub async fn load<'e, E>(exec: E, user_id: &str) -> Result<Option<Own>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT s.unit_id, s.email AS directory_email, s.phone AS directory_phone, p.user_id, \
         p.email, p.mobile, p.wecom_user_id, p.dingtalk_user_id, p.lang, p.muted_kinds, p.updated_at \
         FROM users s LEFT JOIN notify_prefs p ON p.user_id = s.id WHERE s.id = $1",
    )
    .bind(user_id)
    .fetch_optional(exec)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let has_prefs = r.try_get::<Option<String>, _>("user_id")?.is_some();
    let prefs = if has_prefs {
        let lang: Option<String> = r.try_get("lang")?;
        Some(Checked {
            email: r.try_get("email")?,
            mobile: r.try_get("mobile")?,
            wecom_user_id: r.try_get("wecom_user_id")?,
            dingtalk_user_id: r.try_get("dingtalk_user_id")?,
            lang: lang.as_deref().and_then(Lang::parse).unwrap_or_default(),
            muted_kinds: kinds(r.try_get("muted_kinds")?),
        })
    } else {
        None
    };
    Ok(Some(Own {
        prefs,
        directory_email: r.try_get("directory_email")?,
        directory_phone: r.try_get("directory_phone")?,
        unit_id: r.try_get("unit_id")?,
        updated_at: r.try_get("updated_at")?,
    }))
}

/// Inserts or replaces `user_id`'s preferences in `tx`.
pub async fn save(
    tx: &mut Tx,
    user_id: &str,
    prefs: &Checked,
    at: Millis,
) -> Result<(), sqlx::Error> {
    let muted: Vec<&str> = prefs.muted_kinds.iter().map(|k| k.as_str()).collect();
    sqlx::query(
        "INSERT INTO notify_prefs (user_id, email, mobile, wecom_user_id, dingtalk_user_id, lang, \
         muted_kinds, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (user_id) DO UPDATE SET email = $2, mobile = $3, wecom_user_id = $4, \
         dingtalk_user_id = $5, lang = $6, muted_kinds = $7, updated_at = $8",
    )
    .bind(user_id)
    .bind(prefs.email.as_deref())
    .bind(prefs.mobile.as_deref())
    .bind(prefs.wecom_user_id.as_deref())
    .bind(prefs.dingtalk_user_id.as_deref())
    .bind(prefs.lang.as_str())
    .bind(serde_json::json!(muted).to_string())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets only `user_id`'s language (the rest of their preferences stay as stored, or
/// the defaults when they saved none): one upsert, so a concurrent save of the other
/// fields is never undone.
pub async fn save_lang(
    tx: &mut Tx,
    user_id: &str,
    lang: Lang,
    at: Millis,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notify_prefs (user_id, lang, muted_kinds, updated_at) VALUES ($1, $2, '[]', $3) \
         ON CONFLICT (user_id) DO UPDATE SET lang = $2, updated_at = $3",
    )
    .bind(user_id)
    .bind(lang.as_str())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The language `user_id` saved, if they saved preferences.
pub async fn lang_of(pool: &sqlx::AnyPool, user_id: &str) -> Result<Option<Lang>, sqlx::Error> {
    let lang: Option<String> = sqlx::query("SELECT lang FROM notify_prefs WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(pool)
        .await?
        .map(|r| r.try_get("lang"))
        .transpose()?;
    Ok(lang.as_deref().and_then(Lang::parse))
}

/// Where a personal e-mail to `user_id` goes now (None: no address, or the person is
/// no longer active).
pub async fn email_of<'e, E>(exec: E, user_id: &str) -> Result<Option<String>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM users s {PERSON_JOIN} WHERE s.id = $1 AND s.status = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(UserStatus::Active.as_str())
        .fetch_optional(exec)
        .await?;
    Ok(match row {
        Some(r) => reach(&r)?.email,
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn muted_kinds_skip_email_except_security_ones() {
        let reach = Reach {
            lang: Lang::En,
            email: Some("a@b.cn".into()),
            mobile: None,
            wecom_user_id: None,
            dingtalk_user_id: None,
            muted: vec![
                NotificationKind::DailySummary,
                NotificationKind::PrivilegedLockout,
            ],
        };
        assert!(!reach.emails(NotificationKind::DailySummary));
        assert!(reach.emails(NotificationKind::RotationDue));
        // Stored before the rule, or by hand: a security kind is e-mailed anyway.
        assert!(reach.emails(NotificationKind::PrivilegedLockout));
        let no_address = Reach {
            email: None,
            ..reach
        };
        assert!(!no_address.emails(NotificationKind::PrivilegedLockout));
        assert_eq!(
            kinds(Some(r#"["daily_summary","nonsense"]"#.into())),
            vec![NotificationKind::DailySummary]
        );
    }
}
