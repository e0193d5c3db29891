//! Who may hold custody of an account (保管人): the role side of the decision. The
//! callers add the facts roles cannot tell (the user is active, the role is held on
//! the account's unit or above).

use super::{AuthContext, AuthzError, AuthzResult, Permission, Role, UnitRef, authorize};

/// Whether someone holding `roles` (on the unit in question) may be named custodian of
/// its accounts: they hold the custodian or unit-admin role. Used when a custodian is
/// named by hand and when a handover makes the successor custodian automatically.
pub fn may_be_custodian(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::Custodian | Role::UnitAdmin))
}

/// May the caller do an account's custodial work that is not about its secret
/// (reporting what it published) for an account in `unit` whose custodians are
/// `custodians`? Whoever may edit the unit's accounts (unit admins of the subtree) and
/// custodians named on the account. Outside the caller's subtrees: not found.
pub fn authorize_custodial(
    ctx: &AuthContext,
    unit: &UnitRef<'_>,
    custodians: &[String],
) -> AuthzResult<()> {
    match authorize(ctx, Permission::AccountsWrite, unit, "account") {
        Err(AuthzError::Forbidden) => {}
        other => return other,
    }
    let named = ctx
        .user_id()
        .is_some_and(|u| custodians.iter().any(|c| c == u));
    let custodian_here = ctx
        .grants
        .iter()
        .any(|g| unit.path.starts_with(&g.unit_path) && g.role == Role::Custodian);
    if named && custodian_here {
        Ok(())
    } else {
        Err(AuthzError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custodial_work_for_unit_admins_and_named_custodians() {
        let unit = UnitRef {
            id: "a",
            path: "/r/a/",
        };
        let ctx = AuthContext::with_roles_for_tests;
        let status = |r: AuthzResult<()>| {
            r.map_err(|e| crate::error::DomainError::kind(&e).status().as_u16())
        };
        assert_eq!(
            status(authorize_custodial(
                &ctx(&[("/r/", Role::UnitAdmin)]),
                &unit,
                &[]
            )),
            Ok(())
        );
        let custodian = ctx(&[("/r/a/", Role::Custodian)]);
        let me = custodian.user_id().unwrap().to_string();
        assert_eq!(
            status(authorize_custodial(&custodian, &unit, &[me])),
            Ok(())
        );
        assert_eq!(
            status(authorize_custodial(&custodian, &unit, &[])),
            Err(403)
        );
        for role in [Role::Supervisor, Role::Auditor, Role::Sysadmin, Role::Hr] {
            assert_eq!(
                status(authorize_custodial(&ctx(&[("/r/", role)]), &unit, &[])),
                Err(403),
                "{role}"
            );
        }
        assert_eq!(
            status(authorize_custodial(
                &ctx(&[("/r/b/", Role::UnitAdmin)]),
                &unit,
                &[]
            )),
            Err(404)
        );
    }

    #[test]
    fn custodian_and_unit_admin_may_hold_custody() {
        assert!(may_be_custodian(&[Role::Custodian]));
        assert!(may_be_custodian(&[Role::UnitAdmin]));
        assert!(may_be_custodian(&[Role::Auditor, Role::Custodian]));
    }

    #[test]
    fn other_roles_and_nobody_may_not() {
        assert!(!may_be_custodian(&[]));
        for r in Role::ALL {
            if !matches!(r, Role::Custodian | Role::UnitAdmin) {
                assert!(!may_be_custodian(&[r]), "{r} must not be custodian");
            }
        }
    }
}
