//! Managed accounts and credential versions as the API shows them.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Entry;
use crate::authz::AuthContext;
use crate::ids::{AccountId, RotationId, UnitId, UserId};
use crate::text_enum::text_enum;

text_enum!(
    /// Where the account lives.
    Platform {
        /// 政府网站内容管理系统
        GovWebsiteCms => "gov_website_cms",
        /// 微信公众号
        WechatOfficial => "wechat_official",
        /// 微信小程序
        WechatMiniProgram => "wechat_mini_program",
        /// 微博
        Weibo => "weibo",
        /// 抖音
        Douyin => "douyin",
        /// 今日头条
        Toutiao => "toutiao",
        /// 快手
        Kuaishou => "kuaishou",
        /// 哔哩哔哩
        Bilibili => "bilibili",
        /// 小红书
        Xiaohongshu => "xiaohongshu",
        Email => "email",
        /// 域名注册商
        DomainRegistrar => "domain_registrar",
        CloudConsole => "cloud_console",
        Other => "other",
    }
);

text_enum!(
    /// How much harm a compromise would do; sets the maximum password age.
    Classification {
        Core => "core",
        Important => "important",
        General => "general",
    }
);

text_enum!(
    AccountStatus {
        Active => "active",
        Suspended => "suspended",
        Closed => "closed",
    }
);

text_enum!(
    VersionState {
        /// Generated or chosen, not yet confirmed as set on the platform.
        Pending => "pending",
        /// The working password.
        Current => "current",
        /// Replaced by a confirmed rotation; kept retrievable.
        Previous => "previous",
        /// A cancelled rotation's value.
        Abandoned => "abandoned",
    }
);

text_enum!(
    /// A staged rotation's life: `pending` until confirmed or cancelled.
    RotationState {
        Pending => "pending",
        Confirmed => "confirmed",
        Cancelled => "cancelled",
    }
);

/// The typed id of a unit loaded by the tenancy capability.
pub(super) fn unit_id_of(unit: &crate::tenancy::Unit) -> UnitId {
    UnitId::new(unit.id.as_str())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Custodian {
    pub user_id: UserId,
    pub username: String,
}

/// A managed account's metadata. Never contains a secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub unit_id: UnitId,
    pub name: String,
    pub platform: Platform,
    pub login_name: String,
    pub login_url: Option<String>,
    pub classification: Classification,
    pub status: AccountStatus,
    pub bound_phone: Option<String>,
    pub bound_email: Option<String>,
    /// The user who holds the bound phone or e-mail.
    pub binding_holder_id: Option<UserId>,
    /// Whether credgov keeps this account's TOTP secret (it can then show codes).
    pub has_totp: bool,
    pub notes: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_rotated_at: Option<i64>,
    pub current_version: Option<i64>,
    pub pending_rotation_id: Option<RotationId>,
    pub custodians: Vec<Custodian>,
    /// Website and new-media accounts: the newest publication known (Unix ms).
    pub last_published_at: Option<i64>,
    /// Website and new-media accounts: the feed or page `freshness_probe` reads.
    pub feed_url: Option<String>,
    /// When the feed was last probed.
    pub last_probe_at: Option<i64>,
    /// `ok`, or why the last probe failed (`timeout`, `http_status`, …).
    pub last_probe_status: Option<String>,
    /// Probes in a row that failed.
    pub probe_failures: i64,
    /// The sealed TOTP secret (ciphertext), for reveal.
    #[serde(skip)]
    pub(super) totp_sealed: Option<Vec<u8>>,
}

pub(super) const SELECT_ACCOUNT: &str = "SELECT a.unit_id, a.id, a.name, a.platform, a.login_name, a.login_url, \
    a.classification, a.status, a.bound_phone, a.bound_email, a.binding_holder_id, a.totp_secret, a.notes, \
    a.created_by, a.created_at, a.updated_at, a.last_rotated_at, \
    a.last_published_at, a.feed_url, a.probe_at, a.probe_status, a.probe_failures, \
    (SELECT MAX(v.version) FROM credential_versions v WHERE v.unit_id = a.unit_id AND v.account_id = a.id AND v.state = 'current') AS current_version, \
    (SELECT r.id FROM rotations r WHERE r.account_id = a.id AND r.state = 'pending') AS pending_rotation_id \
    FROM accounts a";

impl Account {
    /// An audit entry by `ctx` about this account, on its unit's chain.
    pub fn entry_by<'a>(&'a self, ctx: &AuthContext, action: &'static str) -> Entry<'a> {
        Entry::by(ctx, &self.unit_id, action).target("account", &self.id)
    }

    /// Where the account's secrets live: what their sealing is bound to.
    pub(super) fn place(&self) -> (&UnitId, &AccountId) {
        (&self.unit_id, &self.id)
    }

    /// The user ids of the account's custodians.
    pub fn custodian_ids(&self) -> Vec<String> {
        self.custodians
            .iter()
            .map(|c| c.user_id.as_str().to_string())
            .collect()
    }

    pub(super) fn from_row(r: &AnyRow) -> Result<Account, sqlx::Error> {
        let platform: String = r.try_get("platform")?;
        let classification: String = r.try_get("classification")?;
        let status: String = r.try_get("status")?;
        let totp: Option<Vec<u8>> = r.try_get("totp_secret")?;
        Ok(Account {
            id: r.try_get("id")?,
            unit_id: r.try_get("unit_id")?,
            name: r.try_get("name")?,
            platform: Platform::parse(&platform).unwrap_or(Platform::Other),
            login_name: r.try_get("login_name")?,
            login_url: r.try_get("login_url")?,
            classification: Classification::parse(&classification).unwrap_or(Classification::Core),
            status: AccountStatus::parse(&status).unwrap_or(AccountStatus::Suspended),
            bound_phone: r.try_get("bound_phone")?,
            bound_email: r.try_get("bound_email")?,
            binding_holder_id: r.try_get("binding_holder_id")?,
            has_totp: totp.is_some(),
            totp_sealed: totp,
            notes: r.try_get("notes")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            last_rotated_at: r.try_get("last_rotated_at")?,
            current_version: r.try_get("current_version")?,
            pending_rotation_id: r.try_get("pending_rotation_id")?,
            custodians: Vec::new(),
            last_published_at: r.try_get("last_published_at")?,
            feed_url: r.try_get("feed_url")?,
            last_probe_at: r.try_get("probe_at")?,
            last_probe_status: r.try_get("probe_status")?,
            probe_failures: r.try_get("probe_failures")?,
        })
    }
}

/// A credential version's metadata (the secret itself only through reveal).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionMeta {
    pub version: i64,
    pub state: VersionState,
    /// zxcvbn score 0–4 at the time it was stored.
    pub score: i64,
    /// Stored although below policy (imports flag instead of refusing).
    pub weak: bool,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
}

impl VersionMeta {
    pub(super) fn from_row(r: &AnyRow) -> Result<VersionMeta, sqlx::Error> {
        let state: String = r.try_get("state")?;
        Ok(VersionMeta {
            version: r.try_get("version")?,
            state: VersionState::parse(&state).unwrap_or(VersionState::Abandoned),
            score: r.try_get("score")?,
            weak: r.try_get::<i64, _>("weak")? != 0,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            confirmed_at: r.try_get("confirmed_at")?,
        })
    }
}
