//! Today's departure (离职): HR reports that 周旭, custodian at 区教委, has left and
//! that 吴婷 takes over. The case opens with the leaver's three accounts (rotate; one
//! also rebind, because the leaver's phone is bound to it; reassign, done at once as the
//! successor keeps accounts). The successor rotates the three, the unit's administrator
//! rebinds the phone and confirms the materials and the training — and the case waits
//! for the successor to acknowledge with a code of their authenticator app, which only
//! they can do, at their first sign-in.

use serde_json::json;

use super::DemoError;
use super::catalog::AccountSpec;
use super::fates::leaver_accounts;
use super::people::{HR, LEAVER, Person, SUCCESSOR, named, unit_admin};
use super::timeline::Timeline;
use super::units::EDUCATION;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::handover::{
    EventInput, Handover, ShownState, complete_action, confirm_checklist, read_case as read,
    record_event,
};
use crate::ids::{AccountId, CaseId};
use crate::tenancy::Unit;
use crate::vault::{AccountPatch, confirm_rotation, start_rotation, update_account};

fn failed(e: impl Into<crate::error::CliError>) -> DemoError {
    DemoError::step("acting out the departure case", e)
}

/// Acts out the case; returns it as it then stands (awaiting acknowledgement).
pub async fn depart(
    state: &AppState,
    tl: &Timeline,
    units: &[Unit],
    people: &[Person],
    accounts: &[AccountSpec],
    ids: &[AccountId],
) -> Result<Handover, DemoError> {
    let meta = RequestMeta::default();
    let unit = units
        .get(EDUCATION)
        .ok_or_else(|| DemoError::bug("区教委 was not created"))?;
    tl.go(tl.minutes_ago(80));
    let body = json!({
        "type": "departure",
        "username": LEAVER,
        "unit_id": unit.id,
        "successor_username": SUCCESSOR,
        "note": "辞职，已办结离职手续；保管的账号由吴婷接管",
    });
    let input: EventInput =
        serde_json::from_value(body.clone()).map_err(|e| DemoError::bug(e.to_string()))?;
    let hr = named(people, HR)?.acting();
    let (event, _) = record_event(state, &hr, &meta, "demo-hr-departure-1", &body, input)
        .await
        .map_err(failed)?;

    tl.go(tl.minutes_ago(70));
    let successor = named(people, SUCCESSOR)?;
    let heir = successor.acting();
    for i in leaver_accounts(accounts) {
        let started = start_rotation(state, &heir, &meta, &ids[i], None)
            .await
            .map_err(failed)?;
        confirm_rotation(state, &heir, &meta, &started.rotation_id)
            .await
            .map_err(failed)?;
    }

    tl.go(tl.minutes_ago(50));
    let admin = unit_admin(people, EDUCATION)?.acting();
    let case_id: CaseId = event.handover_id;
    let case = read(state, &admin, &case_id).await.map_err(failed)?;
    for item in &case.items {
        if !item.actions.iter().any(|a| a.action == "rebind" && !a.done) {
            continue;
        }
        let patch = AccountPatch {
            bound_phone: Some("13000000612".into()),
            binding_holder_id: Some(Some(successor.id.clone())),
            ..AccountPatch::default()
        };
        update_account(state, &admin, &meta, &item.account_id, patch)
            .await
            .map_err(failed)?;
        let evidence = "已在平台将绑定手机号由周旭更换为吴婷（130****0612）";
        complete_action(state, &admin, &meta, &case_id, &item.id, "rebind", evidence)
            .await
            .map_err(failed)?;
    }
    let notes = [
        ("materials", "已移交账号清单、平台操作手册和绑定信息登记表"),
        ("training", "已完成各平台后台操作和发布审核流程培训"),
    ];
    for (entry, note) in notes {
        confirm_checklist(state, &admin, &meta, &case_id, entry, Some(note))
            .await
            .map_err(failed)?;
    }
    let case = read(state, &admin, &case_id).await.map_err(failed)?;
    if case.state != ShownState::AwaitingAcknowledgement.as_str() {
        return Err(DemoError::bug(format!(
            "the departure case is {} instead of waiting for its successor",
            case.state
        )));
    }
    Ok(case)
}
