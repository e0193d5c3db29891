//! Registering the accounts: each unit's inventory is imported on the day it came on
//! board, the way `credgov import accounts` does it (one transaction and one audit
//! event per unit; weak and reused passwords are stored and flagged, not refused).
//! Later each unit's administrator names the custodians.

use zeroize::Zeroizing;

use super::DemoError;
use super::catalog::AccountSpec;
use super::fates::{Fate, Password};
use super::people::{LEAVER, Person, custodians_of, named, unit_admin};
use super::timeline::Timeline;
use super::units::{EDUCATION, UNITS};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::AuthContext;
use crate::ids::{AccountId, UnitId};
use crate::policy::generate_password;
use crate::tenancy::Unit;
use crate::vault::{
    AccountPatch, ImportOpts, ImportRow, add_custodian, import_accounts, update_account,
};

/// The import rows of unit `index`, with the account indices they stand for.
fn rows_of(
    state: &AppState,
    index: usize,
    accounts: &[AccountSpec],
    fates: &[Fate],
) -> (Vec<ImportRow>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut which = Vec::new();
    for (i, (a, f)) in accounts.iter().zip(fates).enumerate() {
        if a.unit != index {
            continue;
        }
        let password = match f.password {
            Password::Strong => generate_password(&state.policy.generator),
            Password::Weak(p) | Password::Reused(p) => Zeroizing::new(p.to_string()),
        };
        rows.push(ImportRow {
            row: rows.len() + 2,
            name: a.name.clone(),
            platform: a.platform.as_str().to_string(),
            login_name: a.login_name.clone(),
            password,
            classification: a.classification.as_str().to_string(),
            login_url: a.login_url.unwrap_or_default().to_string(),
            ..ImportRow::default()
        });
        which.push(i);
    }
    (rows, which)
}

/// Imports every unit's accounts on its onboarding day, oldest first, as the operator.
/// Returns the account ids in `accounts` order.
pub async fn import(
    state: &AppState,
    tl: &Timeline,
    units: &[Unit],
    accounts: &[AccountSpec],
    fates: &[Fate],
) -> Result<Vec<AccountId>, DemoError> {
    let operator = AuthContext::operator();
    let mut order: Vec<usize> = (0..UNITS.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(UNITS[i].onboarded_days_ago));
    let mut ids: Vec<Option<AccountId>> = vec![None; accounts.len()];
    for index in order {
        let (rows, which) = rows_of(state, index, accounts, fates);
        if rows.is_empty() {
            continue;
        }
        let unit = units
            .get(index)
            .ok_or_else(|| DemoError::bug("a unit of the catalog was not created"))?;
        tl.go(tl.day(UNITS[index].onboarded_days_ago, 10, 0));
        let opts = ImportOpts {
            file_name: Some(format!("{}账号清单.xlsx", UNITS[index].name)),
            format: Some("XLSX".into()),
            ..ImportOpts::default()
        };
        let report = import_accounts(
            state,
            &operator,
            &UnitId::new(unit.id.as_str()),
            rows,
            &opts,
        )
        .await
        .map_err(|e| DemoError::step("importing the accounts", e))?;
        for (i, id) in which.into_iter().zip(report.account_ids) {
            ids[i] = Some(id);
        }
    }
    ids.into_iter()
        .map(|id| id.ok_or_else(|| DemoError::bug("an account of the catalog was not imported")))
        .collect()
}

/// Who keeps account `i`: the leaver for theirs, else the unit's custodians in turn,
/// else its administrator; `None` when the fate says nobody.
pub fn keeper<'a>(
    people: &'a [Person],
    accounts: &[AccountSpec],
    fates: &[Fate],
    i: usize,
) -> Result<Option<&'a Person>, DemoError> {
    let (a, f) = (&accounts[i], &fates[i]);
    if !f.custodian {
        return Ok(None);
    }
    if f.leaver {
        return named(people, LEAVER).map(Some);
    }
    let custodians: Vec<&Person> = custodians_of(people, a.unit)
        .into_iter()
        .filter(|p| p.username != LEAVER)
        .collect();
    if custodians.is_empty() {
        return unit_admin(people, a.unit).map(Some);
    }
    let nth = accounts[..i].iter().filter(|o| o.unit == a.unit).count();
    Ok(Some(custodians[nth % custodians.len()]))
}

/// Each unit's administrator names the custodians of its accounts, 61 days ago; the
/// education commission records that the leaver's phone is bound to one of theirs.
pub async fn name_custodians(
    state: &AppState,
    tl: &Timeline,
    people: &[Person],
    accounts: &[AccountSpec],
    fates: &[Fate],
    ids: &[AccountId],
) -> Result<(), DemoError> {
    let meta = RequestMeta::default();
    for (n, i) in (0..accounts.len()).enumerate() {
        let Some(keeper) = keeper(people, accounts, fates, i)? else {
            continue;
        };
        tl.go(tl.day(61, 9, 0) + n as i64 * 60_000);
        let admin = unit_admin(people, accounts[i].unit)?;
        add_custodian(state, &admin.acting(), &meta, &ids[i], &keeper.id)
            .await
            .map_err(|e| DemoError::step("naming the custodians", e))?;
    }
    let leaver = named(people, LEAVER)?;
    let bound = super::fates::leaver_accounts(accounts)
        .first()
        .copied()
        .ok_or_else(|| DemoError::bug("区教委 has no content account for the leaver"))?;
    tl.go(tl.day(61, 16, 0));
    let patch = AccountPatch {
        bound_phone: Some("13000000611".into()),
        binding_holder_id: Some(Some(leaver.id.clone())),
        ..AccountPatch::default()
    };
    update_account(
        state,
        &unit_admin(people, EDUCATION)?.acting(),
        &meta,
        &ids[bound],
        patch,
    )
    .await
    .map_err(|e| DemoError::step("binding the leaver's phone", e))?;
    Ok(())
}
