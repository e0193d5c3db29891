//! Three-role separation (三员分立, GB/T 22239) and the rules that keep it from being
//! walked around: nobody grants themselves a role, a sysadmin holds no auditor or unit
//! role, an API token carries no more than its creator holds, and secrets go only to
//! people.

use super::{AuthContext, Grant, Permission, Principal, Role, UnitRef};
use super::{AuthzError, AuthzResult};

/// Roles a sysadmin may not also hold unless policy relaxes it (`mlps-level2` only).
const UNIT_ROLES: [Role; 2] = [Role::UnitAdmin, Role::Custodian];

/// Whether a user holding `existing` may also be given `adding`. The sysadmin/auditor
/// conflict always holds; sysadmin with `unit_admin` or `custodian` holds unless
/// `sysadmin_may_hold_unit_roles` (policy `[separation]`) relaxes it.
pub fn check_separation(
    existing: &[Role],
    adding: Role,
    sysadmin_may_hold_unit_roles: bool,
) -> AuthzResult<()> {
    let conflicts = |a: Role, b: Role| -> bool {
        let pair = |x: Role, y: Role| (a == x && b == y) || (a == y && b == x);
        pair(Role::Sysadmin, Role::Auditor)
            || (!sysadmin_may_hold_unit_roles
                && UNIT_ROLES.iter().any(|r| pair(Role::Sysadmin, *r)))
    };
    if let Some(held) = existing.iter().find(|r| conflicts(**r, adding)) {
        return Err(AuthzError::RoleConflict {
            held: *held,
            adding,
        });
    }
    Ok(())
}

/// Nobody changes their own roles: a grant names someone else.
pub fn forbid_self_grant(ctx: &AuthContext, target_user_id: &str) -> AuthzResult<()> {
    if ctx.user_id() == Some(target_user_id) {
        return Err(AuthzError::SelfGrant);
    }
    Ok(())
}

/// Whether the caller may mint an API token carrying `role` on `unit`. A token carries
/// only a role whose permissions a role the creator holds on that unit (or above) also
/// carries; a sysadmin may in addition mint `hr` integration tokens. No token carries
/// `sysadmin`, and tokens do not mint tokens.
pub fn authorize_token_mint(ctx: &AuthContext, role: Role, unit: &UnitRef<'_>) -> AuthzResult<()> {
    if !matches!(ctx.principal, Principal::User { .. }) {
        return Err(AuthzError::TokenByToken);
    }
    if role == Role::Sysadmin {
        return Err(AuthzError::SysadminToken);
    }
    held_covers(&ctx.grants, role, unit)
}

/// Whether `grants` (a person's roles) back a token carrying `role` on `unit`: a role
/// held on the unit or above that covers it, or `hr` from a sysadmin there. 404 when
/// the unit is outside every grant, else 403 `token_role_not_held`.
pub fn held_covers(grants: &[Grant], role: Role, unit: &UnitRef<'_>) -> AuthzResult<()> {
    let held: Vec<&Grant> = grants
        .iter()
        .filter(|g| unit.path.starts_with(&g.unit_path))
        .collect();
    if held.is_empty() {
        return Err(AuthzError::NotFound("unit"));
    }
    let hr_by_sysadmin =
        role == Role::Hr && held.iter().any(|g| g.role.permits(Permission::TokensWrite));
    if role != Role::Sysadmin && (hr_by_sysadmin || held.iter().any(|g| g.role.covers(role))) {
        return Ok(());
    }
    Err(AuthzError::TokenRoleNotHeld(role))
}

/// Whether the caller may revoke a token minted by `created_by` on `unit`: its minter
/// may, and whoever administers tokens there (sysadmins of the subtree).
pub fn authorize_token_revoke(
    ctx: &AuthContext,
    created_by: &str,
    unit: &UnitRef<'_>,
) -> AuthzResult<()> {
    if ctx.user_id() == Some(created_by) {
        return Ok(());
    }
    super::authorize(ctx, Permission::TokensWrite, unit, "API token")
}

/// Secrets (passwords, versions, managed TOTP codes) go only to a person signed in with
/// a complete session that passed a second factor: never to an API token, a session
/// still waiting for enrolment, or a password-only session (a role the policy does not
/// force to use TOTP must enrol it before it may see a password).
pub fn require_person(ctx: &AuthContext) -> AuthzResult<&str> {
    match (&ctx.principal, ctx.session) {
        (Principal::User { id, .. }, crate::identity::SessionKind::Full) if ctx.second_factor => {
            Ok(id)
        }
        (Principal::User { .. }, crate::identity::SessionKind::Full) => {
            Err(AuthzError::SecondFactorRequired)
        }
        _ => Err(AuthzError::PersonRequired),
    }
}
