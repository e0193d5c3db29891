//! Who may hold custody of an account (保管人): the role side of the decision. The
//! callers add the facts roles cannot tell (the user is active, the role is held on
//! the account's unit or above).

use super::Role;

/// Whether someone holding `roles` (on the unit in question) may be named custodian of
/// its accounts: they hold the custodian or unit-admin role. Used when a custodian is
/// named by hand and when a handover makes the successor custodian automatically.
pub fn may_be_custodian(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::Custodian | Role::UnitAdmin))
}

#[cfg(test)]
mod tests {
    use super::*;

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
