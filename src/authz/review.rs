//! Reviewing a unit's work from above: a rectification item (整改) is accepted or
//! returned by a supervisor whose role is held on a unit strictly above the item's unit,
//! never by someone of the unit itself (the unit does not mark its own homework).

use super::{AuthContext, AuthzError, AuthzResult, Permission, Principal, UnitRef};

/// May the caller accept or return work of `unit`? Outside every subtree the caller
/// holds a role in: 404 (`what` names the resource). Inside, without
/// [`Permission::RectificationsReview`] held on a unit strictly above `unit`: 403.
pub fn authorize_review(
    ctx: &AuthContext,
    unit: &UnitRef<'_>,
    what: &'static str,
) -> AuthzResult<()> {
    if matches!(ctx.principal, Principal::Operator { .. }) {
        return Ok(());
    }
    let in_subtree: Vec<_> = ctx
        .grants
        .iter()
        .filter(|g| unit.path.starts_with(&g.unit_path))
        .collect();
    if in_subtree.is_empty() {
        return Err(AuthzError::NotFound(what));
    }
    let reviewers: Vec<_> = in_subtree
        .iter()
        .filter(|g| g.role.permits(Permission::RectificationsReview))
        .collect();
    if reviewers.is_empty() {
        return Err(AuthzError::Forbidden);
    }
    if reviewers
        .iter()
        .any(|g| g.unit_path.len() < unit.path.len())
    {
        Ok(())
    } else {
        Err(AuthzError::NotAbove)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::Role;
    use crate::error::DomainError;

    fn ctx(grants: &[(&str, Role)]) -> AuthContext {
        AuthContext::with_roles_for_tests(grants)
    }

    const ITEM: UnitRef<'static> = UnitRef {
        id: "a",
        path: "/r/a/",
    };

    #[test]
    fn a_supervisor_above_may_review() {
        assert!(authorize_review(&ctx(&[("/r/", Role::Supervisor)]), &ITEM, "x").is_ok());
        // Also when they hold the role on the unit itself as well.
        let both = ctx(&[("/r/a/", Role::Supervisor), ("/r/", Role::Supervisor)]);
        assert!(authorize_review(&both, &ITEM, "x").is_ok());
    }

    #[test]
    fn the_unit_itself_may_not() {
        let e = authorize_review(&ctx(&[("/r/a/", Role::Supervisor)]), &ITEM, "x").unwrap_err();
        assert_eq!(e, AuthzError::NotAbove);
        assert_eq!((e.kind().status().as_u16(), e.code()), (403, "forbidden"));
        // A unit admin above holds no review permission.
        let e = authorize_review(&ctx(&[("/r/", Role::UnitAdmin)]), &ITEM, "x").unwrap_err();
        assert_eq!(e, AuthzError::Forbidden);
    }

    #[test]
    fn outside_is_not_found() {
        let e = authorize_review(&ctx(&[("/r/b/", Role::Supervisor)]), &ITEM, "x").unwrap_err();
        assert_eq!(e.kind().status(), 404);
    }
}
