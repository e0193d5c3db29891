//! Roles and the permissions each one carries: the whole access model on one screen.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: units, users, memberships, API tokens. Reads no audit trail.
    Sysadmin,
    /// 监管: district office, sector departments, cyberspace office; oversees a subtree.
    Supervisor,
    /// 单位管理员: runs one unit's accounts.
    UnitAdmin,
    /// 保管人: custodian of accounts.
    Custodian,
    /// 人事: reports staff changes.
    Hr,
    /// 审计员: reads and verifies the audit trail and nothing else.
    Auditor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    UnitsRead,
    UnitsWrite,
    UsersRead,
    UsersWrite,
    MembersWrite,
    TokensWrite,
    AuditRead,
    /// Managed accounts' metadata (never secrets).
    AccountsRead,
    /// Register and edit managed accounts and their custodians.
    AccountsWrite,
    /// Reveal and rotate any account's password in the subtree. Custodians get the same
    /// on the accounts they are named custodian of (see `authz::authorize_secret`).
    SecretsAll,
    /// Set or clear a unit's own policy preset and overrides (floors from above hold).
    PolicyWrite,
    /// Report staff changes (HR).
    HrEvents,
    /// Read handover cases.
    HandoverRead,
    /// Work through handover items and checklist; cancel a case.
    HandoverManage,
    /// Sign off a completed handover case.
    HandoverSignOff,
    /// Ask "what did this person see?" (the exposure ledger).
    ExposureRead,
    /// Read daily inspection findings (巡检发现) of the subtree.
    FindingsRead,
    /// See the scheduled jobs' status (`GET /jobs`).
    JobsRead,
    /// Read rectification items (整改) of the subtree.
    RectificationsRead,
    /// Submit a rectification item of the subtree with evidence (the unit fixes it).
    RectificationsSubmit,
    /// Accept or return a submitted rectification item; held on a unit strictly above
    /// the item's unit (see `authz::authorize_review`).
    RectificationsReview,
    /// See the notification outbox (`GET /outbox`): what was sent, what failed.
    OutboxRead,
    /// Put a failed outbox message back in the queue.
    OutboxRetry,
    /// See a unit's notification channels (hosts and fingerprints, never keys).
    ChannelsRead,
    /// Set, remove and test a unit's notification channels.
    ChannelsWrite,
    /// See and set the SMTP relay every e-mail goes through (one for the whole
    /// installation: held on the root unit).
    SmtpSettings,
    /// Read unit risk scores, rankings and trends (aggregates only).
    RiskRead,
    /// See account-level findings when drilling into a unit's risk.
    RiskAccounts,
}

impl Permission {
    pub const ALL: [Permission; 28] = [
        Permission::UnitsRead,
        Permission::UnitsWrite,
        Permission::UsersRead,
        Permission::UsersWrite,
        Permission::MembersWrite,
        Permission::TokensWrite,
        Permission::AuditRead,
        Permission::AccountsRead,
        Permission::AccountsWrite,
        Permission::SecretsAll,
        Permission::PolicyWrite,
        Permission::HrEvents,
        Permission::HandoverRead,
        Permission::HandoverManage,
        Permission::HandoverSignOff,
        Permission::ExposureRead,
        Permission::FindingsRead,
        Permission::JobsRead,
        Permission::RectificationsRead,
        Permission::RectificationsSubmit,
        Permission::RectificationsReview,
        Permission::OutboxRead,
        Permission::OutboxRetry,
        Permission::ChannelsRead,
        Permission::ChannelsWrite,
        Permission::SmtpSettings,
        Permission::RiskRead,
        Permission::RiskAccounts,
    ];
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Sysadmin,
        Role::Supervisor,
        Role::UnitAdmin,
        Role::Custodian,
        Role::Hr,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sysadmin => "sysadmin",
            Role::Supervisor => "supervisor",
            Role::UnitAdmin => "unit_admin",
            Role::Custodian => "custodian",
            Role::Hr => "hr",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn permits(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Sysadmin => matches!(
                p,
                UnitsRead
                    | UnitsWrite
                    | UsersRead
                    | UsersWrite
                    | MembersWrite
                    | TokensWrite
                    | PolicyWrite
                    | JobsRead
                    | OutboxRead
                    | OutboxRetry
                    | ChannelsRead
                    | ChannelsWrite
                    | SmtpSettings
                    | RiskRead
            ),
            Role::Supervisor => matches!(
                p,
                UnitsRead
                    | UsersRead
                    | AccountsRead
                    | HandoverRead
                    | HandoverSignOff
                    | ExposureRead
                    | FindingsRead
                    | RectificationsRead
                    | RectificationsReview
                    | RiskRead
                    | RiskAccounts
            ),
            Role::UnitAdmin => matches!(
                p,
                UnitsRead
                    | UsersRead
                    | AccountsRead
                    | AccountsWrite
                    | SecretsAll
                    | HandoverRead
                    | HandoverManage
                    | HandoverSignOff
                    | ExposureRead
                    | PolicyWrite
                    | FindingsRead
                    | RectificationsRead
                    | RectificationsSubmit
                    | ChannelsRead
                    | ChannelsWrite
                    | RiskRead
                    | RiskAccounts
            ),
            Role::Hr => matches!(p, UnitsRead | UsersRead | HrEvents | HandoverRead),
            Role::Custodian => matches!(p, UnitsRead | AccountsRead),
            Role::Auditor => matches!(
                p,
                AuditRead | FindingsRead | RectificationsRead | RiskRead | RiskAccounts
            ),
        }
    }
}

impl Role {
    /// Roles whose lockout the system administrators hear of (`privileged_lockout`):
    /// every role that administers, oversees or audits.
    pub fn is_privileged(self) -> bool {
        matches!(
            self,
            Role::Sysadmin | Role::Supervisor | Role::UnitAdmin | Role::Auditor
        )
    }

    /// Whether this role carries every permission of `other` (a role covers itself).
    pub fn covers(self, other: Role) -> bool {
        Permission::ALL
            .into_iter()
            .all(|p| !other.permits(p) || self.permits(p))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
