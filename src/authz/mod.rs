//! Authorisation: the only place that maps roles to permissions and decides whether a
//! caller may act on a unit. A role held on a unit applies to its whole subtree. A
//! target outside every subtree the caller holds a role in is reported as not found
//! (404), so foreign tenants cannot even learn that a resource exists; inside the
//! caller's subtree but without the permission is forbidden (403).

mod context;
mod custody;
mod error;
mod review;
mod role;
mod separation;
mod user_target;

pub use context::{AuthContext, Grant, Principal};
pub use custody::{authorize_custodial, may_be_custodian};
pub use error::{AuthzError, AuthzResult};
pub use review::authorize_review;
pub use role::{Permission, Role};
pub use separation::{
    authorize_token_mint, authorize_token_revoke, check_separation, forbid_self_grant, held_covers,
    require_person,
};
pub use user_target::authorize_user_target;

/// The unit a resource belongs to, as authorisation sees it.
#[derive(Debug, Clone)]
pub struct UnitRef<'a> {
    pub id: &'a str,
    /// Materialised path `/root/…/id/`.
    pub path: &'a str,
}

/// Checks `perm` on `unit`; `what` names the resource in the 404 message.
pub fn authorize(
    ctx: &AuthContext,
    perm: Permission,
    unit: &UnitRef<'_>,
    what: &'static str,
) -> AuthzResult<()> {
    // The operator at the console (CLI) already holds the database and the master key.
    if matches!(ctx.principal, Principal::Operator { .. }) {
        return Ok(());
    }
    let mut visible = false;
    for g in &ctx.grants {
        if unit.path.starts_with(&g.unit_path) {
            visible = true;
            if g.role.permits(perm) {
                return Ok(());
            }
        }
    }
    if visible {
        Err(AuthzError::Forbidden)
    } else {
        Err(AuthzError::NotFound(what))
    }
}

/// May the caller see or change the secret of an account in `unit` whose custodians are
/// `custodians`? Unit admins of the subtree may; a custodian may for accounts they are
/// named on. Supervisors, auditors, HR and sysadmins never see secrets.
pub fn authorize_secret(
    ctx: &AuthContext,
    unit: &UnitRef<'_>,
    custodians: &[String],
) -> AuthzResult<()> {
    let in_subtree: Vec<&Grant> = ctx
        .grants
        .iter()
        .filter(|g| unit.path.starts_with(&g.unit_path))
        .collect();
    if in_subtree.is_empty() {
        return Err(AuthzError::NotFound("account"));
    }
    if in_subtree
        .iter()
        .any(|g| g.role.permits(Permission::SecretsAll))
    {
        return Ok(());
    }
    let named = ctx
        .user_id()
        .is_some_and(|u| custodians.iter().any(|c| c == u));
    if named && in_subtree.iter().any(|g| g.role == Role::Custodian) {
        return Ok(());
    }
    Err(AuthzError::NotCustodian)
}

/// The person whose inbox (`/notifications`) or notification preferences
/// (`/me/notifications`) the caller reads and sets: their own, whatever their roles; API
/// tokens and the console operator have none.
pub fn own_inbox(ctx: &AuthContext) -> AuthzResult<&str> {
    match &ctx.principal {
        Principal::User { id, .. } => Ok(id),
        Principal::Token { .. } | Principal::Operator { .. } => Err(AuthzError::PersonRequired),
    }
}

/// Checks `perm` for a setting of the whole installation (the SMTP relay): it must be
/// held on the root unit itself. Holding it only lower down is forbidden (403, not 404:
/// the setting exists for everyone).
pub fn authorize_installation(
    ctx: &AuthContext,
    perm: Permission,
    root: &UnitRef<'_>,
) -> AuthzResult<()> {
    authorize(ctx, perm, root, "unit").map_err(|_| AuthzError::Forbidden)
}

/// Path prefixes under which the caller holds `perm`: list queries are scoped to these.
pub fn scopes(ctx: &AuthContext, perm: Permission) -> Vec<String> {
    collapse(
        ctx.grants
            .iter()
            .filter(|g| g.role.permits(perm))
            .map(|g| g.unit_path.clone())
            .collect(),
    )
}

/// Path prefixes under which the caller holds every one of `perms` (through one grant
/// or several): what a "waiting for you to act" list is scoped to, so that an item in a
/// unit where the caller may only read is not offered as theirs to act on.
pub fn scopes_holding_all(ctx: &AuthContext, perms: &[Permission]) -> Vec<String> {
    let mut iter = perms.iter();
    let Some(first) = iter.next() else {
        return Vec::new();
    };
    let mut kept = scopes(ctx, *first);
    for perm in iter {
        let other = scopes(ctx, *perm);
        let mut both = Vec::new();
        for a in &kept {
            for b in &other {
                // Subtrees nest or are disjoint: the narrower one is where both hold.
                if a.starts_with(b.as_str()) {
                    both.push(a.clone());
                } else if b.starts_with(a.as_str()) {
                    both.push(b.clone());
                }
            }
        }
        kept = collapse(both);
    }
    kept
}

/// Path prefixes under which the caller holds any role: what it may learn exists. A
/// resource outside these answers 404; inside them without the permission, 403.
pub fn visible_scopes(ctx: &AuthContext) -> Vec<String> {
    collapse(ctx.grants.iter().map(|g| g.unit_path.clone()).collect())
}

fn collapse(mut out: Vec<String>) -> Vec<String> {
    out.sort();
    // Drop prefixes already covered by a shorter one.
    let mut kept: Vec<String> = Vec::new();
    for p in out {
        if !kept.iter().any(|k| p.starts_with(k.as_str())) {
            kept.push(p);
        }
    }
    kept
}

/// Whether the caller holds `perm` on any unit: what the console shows links for
/// (the page itself still authorises every read and write).
pub fn holds_anywhere(ctx: &AuthContext, perm: Permission) -> bool {
    ctx.grants.iter().any(|g| g.role.permits(perm))
}

/// For actions that are not about one unit (listing): the caller must hold `perm`
/// somewhere.
pub fn require_anywhere(ctx: &AuthContext, perm: Permission) -> AuthzResult<Vec<String>> {
    let s = scopes(ctx, perm);
    if s.is_empty() {
        Err(AuthzError::Forbidden)
    } else {
        Ok(s)
    }
}

/// The first unit (in grant order) where the caller holds `perm`: what a read that
/// names no unit defaults to (an auditor's own chain). Forbidden when it holds `perm`
/// nowhere.
pub fn first_unit_with(ctx: &AuthContext, perm: Permission) -> AuthzResult<&str> {
    ctx.grants
        .iter()
        .find(|g| g.role.permits(perm))
        .map(|g| g.unit_id.as_str())
        .ok_or(AuthzError::Forbidden)
}

/// May the caller learn whether a candidate password equals one of this account's
/// stored versions (`POST /policy/check` with `account_id`)? Only someone who may
/// reveal the account anyway: otherwise the check is a guessing oracle.
pub fn authorize_reuse_check(
    ctx: &AuthContext,
    unit: &UnitRef<'_>,
    custodians: &[String],
) -> AuthzResult<()> {
    authorize_secret(ctx, unit, custodians)?;
    require_person(ctx)?;
    Ok(())
}

/// Whether the caller may learn if a candidate equals another account's current
/// password in `unit` (the `unit_id` form of the policy check): only a person who may
/// reveal every account of the unit.
pub fn may_check_unit_reuse(ctx: &AuthContext, unit: &UnitRef<'_>) -> bool {
    require_person(ctx).is_ok()
        && ctx
            .grants
            .iter()
            .any(|g| unit.path.starts_with(&g.unit_path) && g.role.permits(Permission::SecretsAll))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    fn ctx(grants: &[(&str, Role)]) -> AuthContext {
        AuthContext::with_roles_for_tests(grants)
    }

    #[test]
    fn subtree_inheritance_and_404_vs_403() {
        let c = ctx(&[("/r/a/", Role::Sysadmin), ("/r/b/", Role::Auditor)]);
        let child = UnitRef {
            id: "c",
            path: "/r/a/c/",
        };
        assert!(authorize(&c, Permission::UnitsWrite, &child, "unit").is_ok());
        let sibling = UnitRef {
            id: "x",
            path: "/r/x/",
        };
        let e = authorize(&c, Permission::UnitsRead, &sibling, "unit").unwrap_err();
        assert_eq!(e.kind().status(), 404);
        let b = UnitRef {
            id: "b",
            path: "/r/b/",
        };
        let e = authorize(&c, Permission::UnitsRead, &b, "unit").unwrap_err();
        assert_eq!(e.kind().status(), 403, "auditor reads only the audit trail");
        assert!(authorize(&c, Permission::AuditRead, &b, "unit").is_ok());
        let a = UnitRef {
            id: "a",
            path: "/r/a/",
        };
        let e = authorize(&c, Permission::AuditRead, &a, "unit").unwrap_err();
        assert_eq!(e.kind().status(), 403, "sysadmin reads no audit trail");
    }

    #[test]
    fn a_prefix_that_is_not_a_path_segment_does_not_match() {
        let c = ctx(&[("/r/a/", Role::Sysadmin)]);
        let other = UnitRef {
            id: "ab",
            path: "/r/ab/",
        };
        assert_eq!(
            authorize(&c, Permission::UnitsRead, &other, "unit")
                .unwrap_err()
                .kind()
                .status(),
            404
        );
    }

    #[test]
    fn scopes_collapse_nested_grants() {
        let c = ctx(&[
            ("/r/", Role::Sysadmin),
            ("/r/a/", Role::Sysadmin),
            ("/q/", Role::Custodian),
        ]);
        assert_eq!(scopes(&c, Permission::UsersWrite), vec!["/r/".to_string()]);
    }

    #[test]
    fn scopes_holding_all_keep_only_where_every_permission_holds() {
        // Supervisor of the district, unit admin of one department, custodian elsewhere.
        let c = ctx(&[
            ("/r/", Role::Supervisor),
            ("/r/a/", Role::UnitAdmin),
            ("/q/", Role::Custodian),
        ]);
        let submit = [
            Permission::RectificationsRead,
            Permission::RectificationsSubmit,
        ];
        assert_eq!(scopes_holding_all(&c, &submit), vec!["/r/a/".to_string()]);
        let review = [
            Permission::RectificationsRead,
            Permission::RectificationsReview,
        ];
        assert_eq!(scopes_holding_all(&c, &review), vec!["/r/".to_string()]);
        assert!(scopes_holding_all(&c, &[Permission::UsersWrite]).is_empty());
        assert!(scopes_holding_all(&c, &[]).is_empty());
    }

    #[test]
    fn secrets_only_for_unit_admins_and_named_custodians() {
        let unit = UnitRef {
            id: "a",
            path: "/r/a/",
        };
        let custodians = vec!["u".to_string()];
        let admin = ctx(&[("/r/", Role::UnitAdmin)]);
        assert!(authorize_secret(&admin, &unit, &[]).is_ok());
        let named = ctx(&[("/r/a/", Role::Custodian)]);
        assert!(authorize_secret(&named, &unit, &custodians).is_ok());
        assert_eq!(
            authorize_secret(&named, &unit, &[])
                .unwrap_err()
                .kind()
                .status(),
            403
        );
        for role in [Role::Supervisor, Role::Auditor, Role::Sysadmin, Role::Hr] {
            let c = ctx(&[("/r/", role)]);
            assert_eq!(
                authorize_secret(&c, &unit, &custodians)
                    .unwrap_err()
                    .kind()
                    .status(),
                403,
                "{role}"
            );
        }
        let foreign = ctx(&[("/r/b/", Role::UnitAdmin)]);
        assert_eq!(
            authorize_secret(&foreign, &unit, &custodians)
                .unwrap_err()
                .kind()
                .status(),
            404
        );
    }

    #[test]
    fn the_console_operator_is_trusted_api_callers_are_not() {
        let unit = UnitRef {
            id: "a",
            path: "/r/a/",
        };
        assert!(
            authorize(
                &AuthContext::operator(),
                Permission::HrEvents,
                &unit,
                "unit"
            )
            .is_ok()
        );
        let nobody = ctx(&[]);
        assert_eq!(
            authorize(&nobody, Permission::HrEvents, &unit, "unit")
                .unwrap_err()
                .kind()
                .status(),
            404
        );
    }

    #[test]
    fn separation_of_duties() {
        for relaxed in [false, true] {
            assert!(check_separation(&[Role::Sysadmin], Role::Auditor, relaxed).is_err());
            assert!(check_separation(&[Role::Auditor], Role::Sysadmin, relaxed).is_err());
            assert!(check_separation(&[Role::UnitAdmin], Role::Auditor, relaxed).is_ok());
            assert!(check_separation(&[Role::Hr], Role::Sysadmin, relaxed).is_ok());
            assert!(check_separation(&[Role::Supervisor], Role::Sysadmin, relaxed).is_ok());
        }
        for unit_role in [Role::UnitAdmin, Role::Custodian] {
            let e = check_separation(&[Role::Sysadmin], unit_role, false).unwrap_err();
            assert_eq!(
                (e.kind().status().as_u16(), e.code()),
                (409, "role_conflict")
            );
            assert!(check_separation(&[unit_role], Role::Sysadmin, false).is_err());
            assert!(check_separation(&[Role::Sysadmin], unit_role, true).is_ok());
            assert!(check_separation(&[unit_role], Role::Sysadmin, true).is_ok());
        }
    }

    /// Role → permission expectations, on one screen.
    #[test]
    fn role_permission_table() {
        use Permission::*;
        let expect: &[(Role, &[Permission])] = &[
            (
                Role::Sysadmin,
                &[
                    UnitsRead,
                    UnitsWrite,
                    UsersRead,
                    UsersWrite,
                    MembersWrite,
                    TokensWrite,
                    PolicyWrite,
                    JobsRead,
                    OutboxRead,
                    OutboxRetry,
                    ChannelsRead,
                    ChannelsWrite,
                    SmtpSettings,
                    RiskRead,
                ],
            ),
            (
                Role::Supervisor,
                &[
                    UnitsRead,
                    UsersRead,
                    AccountsRead,
                    HandoverRead,
                    HandoverSignOff,
                    ExposureRead,
                    FindingsRead,
                    RectificationsRead,
                    RectificationsReview,
                    RiskRead,
                    RiskAccounts,
                ],
            ),
            (
                Role::UnitAdmin,
                &[
                    UnitsRead,
                    UsersRead,
                    AccountsRead,
                    AccountsWrite,
                    SecretsAll,
                    HandoverRead,
                    HandoverManage,
                    HandoverSignOff,
                    ExposureRead,
                    PolicyWrite,
                    FindingsRead,
                    RectificationsRead,
                    RectificationsSubmit,
                    ChannelsRead,
                    ChannelsWrite,
                    RiskRead,
                    RiskAccounts,
                ],
            ),
            (Role::Custodian, &[UnitsRead, AccountsRead]),
            (Role::Hr, &[UnitsRead, UsersRead, HrEvents, HandoverRead]),
            (
                Role::Auditor,
                &[
                    AuditRead,
                    FindingsRead,
                    RectificationsRead,
                    RiskRead,
                    RiskAccounts,
                ],
            ),
        ];
        for (role, perms) in expect {
            for p in Permission::ALL {
                assert_eq!(role.permits(p), perms.contains(&p), "{role} {p:?}");
            }
        }
        // Separation: no role both administers and audits; only the auditor reads audit.
        for r in Role::ALL {
            assert!(!(r.permits(AuditRead) && r.permits(MembersWrite)), "{r}");
            assert!(!(r.permits(SecretsAll) && r.permits(MembersWrite)), "{r}");
        }
        assert!(Role::UnitAdmin.covers(Role::Custodian));
        assert!(!Role::Custodian.covers(Role::UnitAdmin));
        assert!(!Role::Sysadmin.covers(Role::Hr));
        assert!(!Role::Sysadmin.covers(Role::UnitAdmin));
        assert!(!Role::Sysadmin.covers(Role::Auditor));
    }

    fn token_ctx(role: Role, path: &str) -> AuthContext {
        AuthContext {
            principal: Principal::Token {
                id: "t".into(),
                name: "t".into(),
                unit_id: "a".into(),
                created_by: "u".into(),
            },
            ..ctx(&[(path, role)])
        }
    }

    #[test]
    fn token_minting_carries_no_more_than_the_creator_holds() {
        let a = UnitRef {
            id: "a",
            path: "/r/a/",
        };
        let parent = UnitRef {
            id: "r",
            path: "/r/",
        };
        let sys = ctx(&[("/r/", Role::Sysadmin)]);
        assert!(authorize_token_mint(&sys, Role::Hr, &a).is_ok());
        for role in [
            Role::UnitAdmin,
            Role::Auditor,
            Role::Custodian,
            Role::Supervisor,
        ] {
            let e = authorize_token_mint(&sys, role, &a).unwrap_err();
            assert_eq!(
                (e.kind().status().as_u16(), e.code()),
                (403, "token_role_not_held"),
                "{role}"
            );
        }
        assert_eq!(
            authorize_token_mint(&sys, Role::Sysadmin, &a)
                .unwrap_err()
                .kind()
                .status(),
            422
        );
        let ua = ctx(&[("/r/a/", Role::UnitAdmin)]);
        assert!(authorize_token_mint(&ua, Role::Custodian, &a).is_ok());
        assert!(authorize_token_mint(&ua, Role::UnitAdmin, &a).is_ok());
        assert_eq!(
            authorize_token_mint(&ua, Role::Hr, &a)
                .unwrap_err()
                .kind()
                .status(),
            403
        );
        assert_eq!(
            authorize_token_mint(&ua, Role::Custodian, &parent)
                .unwrap_err()
                .kind()
                .status(),
            404
        );
        let t = token_ctx(Role::UnitAdmin, "/r/a/");
        assert_eq!(
            authorize_token_mint(&t, Role::Custodian, &a)
                .unwrap_err()
                .code(),
            "person_required"
        );
    }

    #[test]
    fn secrets_and_reuse_answers_go_to_people_only() {
        let a = UnitRef {
            id: "a",
            path: "/r/a/",
        };
        let person = ctx(&[("/r/a/", Role::UnitAdmin)]);
        assert!(require_person(&person).is_ok());
        assert!(authorize_reuse_check(&person, &a, &[]).is_ok());
        assert!(may_check_unit_reuse(&person, &a));
        let token = token_ctx(Role::UnitAdmin, "/r/a/");
        assert_eq!(
            require_person(&token).unwrap_err().code(),
            "person_required"
        );
        assert_eq!(
            authorize_reuse_check(&token, &a, &[])
                .unwrap_err()
                .kind()
                .status(),
            403
        );
        assert!(!may_check_unit_reuse(&token, &a));
        let mut enrolling = ctx(&[("/r/a/", Role::UnitAdmin)]);
        enrolling.session = crate::identity::SessionKind::EnrollOnly;
        assert_eq!(
            require_person(&enrolling).unwrap_err().code(),
            "person_required"
        );
        assert!(require_person(&AuthContext::operator()).is_err());
        let password_only = AuthContext {
            second_factor: false,
            ..ctx(&[("/r/a/", Role::Custodian)])
        };
        assert_eq!(
            require_person(&password_only).unwrap_err().code(),
            "second_factor_required"
        );
        let supervisor = ctx(&[("/r/", Role::Supervisor)]);
        assert_eq!(
            authorize_reuse_check(&supervisor, &a, &[])
                .unwrap_err()
                .kind()
                .status(),
            403
        );
        assert!(!may_check_unit_reuse(&supervisor, &a));
        let other_custodian = ctx(&[("/r/a/", Role::Custodian)]);
        assert_eq!(
            authorize_reuse_check(&other_custodian, &a, &["x".into()])
                .unwrap_err()
                .kind()
                .status(),
            403
        );
        assert!(authorize_reuse_check(&other_custodian, &a, &["u".into()]).is_ok());
    }

    #[test]
    fn installation_settings_need_the_permission_on_the_root() {
        let root = UnitRef {
            id: "r",
            path: "/r/",
        };
        let sys = ctx(&[("/r/", Role::Sysadmin)]);
        assert!(authorize_installation(&sys, Permission::SmtpSettings, &root).is_ok());
        for c in [
            ctx(&[("/r/a/", Role::Sysadmin)]),
            ctx(&[("/r/", Role::UnitAdmin)]),
            ctx(&[]),
        ] {
            let e = authorize_installation(&c, Permission::SmtpSettings, &root).unwrap_err();
            assert_eq!(e.kind().status(), 403);
        }
    }

    #[test]
    fn nobody_grants_themselves() {
        let c = ctx(&[("/r/", Role::Sysadmin)]);
        assert_eq!(forbid_self_grant(&c, "u").unwrap_err().code(), "self_grant");
        assert!(forbid_self_grant(&c, "someone-else").is_ok());
    }
}
