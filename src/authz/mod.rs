//! Authorisation: the only place that maps roles to permissions and decides whether a
//! caller may act on a unit. A role held on a unit applies to its whole subtree. A
//! target outside every subtree the caller holds a role in is reported as not found
//! (404), so foreign tenants cannot even learn that a resource exists; inside the
//! caller's subtree but without the permission is forbidden (403).

mod context;
mod role;
mod user_target;

pub use context::{AuthContext, Grant, Principal};
pub use role::{Permission, Role};
pub use user_target::authorize_user_target;

use crate::error::{AppError, AppResult};

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
    what: &str,
) -> AppResult<()> {
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
        Err(AppError::forbidden())
    } else {
        Err(AppError::not_found(what))
    }
}

/// May the caller see or change the secret of an account in `unit` whose custodians are
/// `custodians`? Unit admins of the subtree may; a custodian may for accounts they are
/// named on. Supervisors, auditors, HR and sysadmins never see secrets.
pub fn authorize_secret(
    ctx: &AuthContext,
    unit: &UnitRef<'_>,
    custodians: &[String],
) -> AppResult<()> {
    let in_subtree: Vec<&Grant> = ctx
        .grants
        .iter()
        .filter(|g| unit.path.starts_with(&g.unit_path))
        .collect();
    if in_subtree.is_empty() {
        return Err(AppError::not_found("account"));
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
    Err(AppError::client(
        axum::http::StatusCode::FORBIDDEN,
        "forbidden",
        "only this account's custodians and the unit's administrators may see or change its password",
    ))
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

/// For actions that are not about one unit (listing): the caller must hold `perm`
/// somewhere.
pub fn require_anywhere(ctx: &AuthContext, perm: Permission) -> AppResult<Vec<String>> {
    let s = scopes(ctx, perm);
    if s.is_empty() {
        Err(AppError::forbidden())
    } else {
        Ok(s)
    }
}

/// Whether granting `role` on a unit is something the caller's permissions allow;
/// nobody may hand out `sysadmin` powers through an API token.
pub fn token_role_allowed(role: Role) -> AppResult<()> {
    if role == Role::Sysadmin {
        return Err(AppError::invalid(
            "API tokens cannot carry the sysadmin role; use a personal account with two-factor login",
        ));
    }
    Ok(())
}

/// Three-role separation (GB/T 22239): nobody is both a system administrator and an
/// auditor.
pub fn check_separation(existing: &[Role], adding: Role) -> AppResult<()> {
    let conflict = match adding {
        Role::Sysadmin => existing.contains(&Role::Auditor),
        Role::Auditor => existing.contains(&Role::Sysadmin),
        _ => false,
    };
    if conflict {
        return Err(AppError::conflict(
            "role_conflict",
            "a user cannot hold both sysadmin and auditor (three-role separation, GB/T 22239)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(grants: &[(&str, Role)]) -> AuthContext {
        AuthContext::for_tests(
            grants
                .iter()
                .map(|(p, r)| Grant {
                    unit_id: p.trim_matches('/').rsplit('/').next().unwrap_or("").into(),
                    unit_path: p.to_string(),
                    role: *r,
                })
                .collect(),
        )
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
        assert_eq!(e.status(), 404);
        let b = UnitRef {
            id: "b",
            path: "/r/b/",
        };
        let e = authorize(&c, Permission::UnitsRead, &b, "unit").unwrap_err();
        assert_eq!(e.status(), 403, "auditor reads only the audit trail");
        assert!(authorize(&c, Permission::AuditRead, &b, "unit").is_ok());
        let a = UnitRef {
            id: "a",
            path: "/r/a/",
        };
        let e = authorize(&c, Permission::AuditRead, &a, "unit").unwrap_err();
        assert_eq!(e.status(), 403, "sysadmin reads no audit trail");
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
            authorize_secret(&named, &unit, &[]).unwrap_err().status(),
            403
        );
        for role in [Role::Supervisor, Role::Auditor, Role::Sysadmin, Role::Hr] {
            let c = ctx(&[("/r/", role)]);
            assert_eq!(
                authorize_secret(&c, &unit, &custodians)
                    .unwrap_err()
                    .status(),
                403,
                "{role}"
            );
        }
        let foreign = ctx(&[("/r/b/", Role::UnitAdmin)]);
        assert_eq!(
            authorize_secret(&foreign, &unit, &custodians)
                .unwrap_err()
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
                .status(),
            404
        );
    }

    #[test]
    fn separation_of_duties() {
        assert!(check_separation(&[Role::Sysadmin], Role::Auditor).is_err());
        assert!(check_separation(&[Role::Auditor], Role::Sysadmin).is_err());
        assert!(check_separation(&[Role::UnitAdmin], Role::Auditor).is_ok());
    }
}
