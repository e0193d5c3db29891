//! Acting on another user: the caller must be allowed on the user's home unit and must
//! cover every unit where the user holds a role, so a sub-unit administrator cannot
//! disable, reset or unlock someone whose powers reach above them.

use super::{AuthContext, Principal, UnitRef, authorize};
use super::{AuthzError, AuthzResult};

/// Checks `perm` on the target user: their home unit decides visibility (outside every
/// subtree of the caller → 404), and each unit in `role_units` must lie inside a subtree
/// where the caller holds `perm` (otherwise 403).
pub fn authorize_user_target(
    ctx: &AuthContext,
    perm: super::Permission,
    home_unit: &UnitRef<'_>,
    role_units: &[UnitRef<'_>],
) -> AuthzResult<()> {
    if matches!(ctx.principal, Principal::Operator { .. }) {
        return Ok(());
    }
    authorize(ctx, perm, home_unit, "user")?;
    let covered = |u: &UnitRef<'_>| {
        ctx.grants
            .iter()
            .any(|g| g.role.permits(perm) && u.path.starts_with(&g.unit_path))
    };
    if role_units.iter().all(covered) {
        return Ok(());
    }
    Err(AuthzError::TargetOutOfScope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{Permission, Role};
    use crate::error::DomainError;

    fn ctx(grants: &[(&str, Role)]) -> AuthContext {
        AuthContext::with_roles_for_tests(grants)
    }

    fn unit(path: &str) -> UnitRef<'_> {
        UnitRef { id: "x", path }
    }

    #[test]
    fn every_role_unit_must_be_covered() {
        let sub_admin = ctx(&[("/r/a/", Role::Sysadmin)]);
        let home = unit("/r/a/");
        // A user of the sub-unit with roles only there: allowed.
        assert!(
            authorize_user_target(
                &sub_admin,
                Permission::UsersWrite,
                &home,
                &[unit("/r/a/"), unit("/r/a/b/")]
            )
            .is_ok()
        );
        // The same home, but also a root role: visible, not covered.
        let e = authorize_user_target(
            &sub_admin,
            Permission::UsersWrite,
            &home,
            &[unit("/r/a/"), unit("/r/")],
        )
        .unwrap_err();
        assert_eq!(e.kind().status(), 403);
        assert_eq!(e.code(), "forbidden");
        // A sibling's role counts too.
        assert_eq!(
            authorize_user_target(&sub_admin, Permission::UsersWrite, &home, &[unit("/r/ab/")])
                .unwrap_err()
                .kind()
                .status(),
            403
        );
        // Home outside every subtree: 404, whatever the roles.
        assert_eq!(
            authorize_user_target(&sub_admin, Permission::UsersWrite, &unit("/r/"), &[])
                .unwrap_err()
                .kind()
                .status(),
            404
        );
    }

    #[test]
    fn the_role_must_carry_the_permission_where_it_covers() {
        // Sysadmin on /r/a/, auditor on /r/: the root role unit is visible but the
        // auditor grant does not carry users.write.
        let c = ctx(&[("/r/a/", Role::Sysadmin), ("/r/", Role::Auditor)]);
        assert_eq!(
            authorize_user_target(&c, Permission::UsersWrite, &unit("/r/a/"), &[unit("/r/")])
                .unwrap_err()
                .kind()
                .status(),
            403
        );
        let root = ctx(&[("/r/", Role::Sysadmin)]);
        assert!(
            authorize_user_target(
                &root,
                Permission::UsersWrite,
                &unit("/r/a/"),
                &[unit("/r/"), unit("/r/a/")]
            )
            .is_ok()
        );
        assert!(
            authorize_user_target(
                &AuthContext::operator(),
                Permission::UsersWrite,
                &unit("/r/"),
                &[unit("/r/")]
            )
            .is_ok()
        );
    }
}
