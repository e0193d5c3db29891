//! A few rectification items (整改) worked on in the last fortnight, so the pages show
//! every state: one returned by the district supervisor, one accepted as a risk while
//! the account is being closed, one submitted and waiting for review. The rest stay
//! open (and late: escalated to the district) or closed themselves when the account
//! was rotated.

use sqlx::Row;

use super::DemoError;
use super::people::{Person, SUPERVISOR, named, unit_admin};
use super::units::UNITS;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::calendar::DAY_MS;
use crate::ids::RectificationId;
use crate::inspection::Rule;
use crate::rectification::{AcceptInput, accept, return_item, submit};
use crate::tenancy::Unit;

/// What happens to an item.
#[derive(Debug, Clone, Copy)]
pub enum Work {
    /// The unit's administrator submits what was done.
    Submit,
    /// The district supervisor sends it back with a reason.
    Return,
    /// The district supervisor accepts the risk for 30 days.
    Accept,
}

/// The open items of `rule`, one per unit, by unit and account name: (item, unit index).
async fn open_items(
    state: &AppState,
    units: &[Unit],
    rule: Rule,
) -> Result<Vec<(RectificationId, usize)>, DemoError> {
    let rows = sqlx::query(
        "SELECT r.id, r.unit_id FROM rectifications r JOIN units n ON n.id = r.unit_id \
         JOIN findings f ON f.id = r.finding_id JOIN accounts a ON a.id = f.target_id \
         WHERE r.rule = $1 AND r.state IN ('open', 'submitted', 'returned') ORDER BY n.name, a.name",
    )
    .bind(rule.as_str())
    .fetch_all(state.db.pool())
    .await
    .map_err(|e| DemoError::bug(format!("reading the rectification items: {e}")))?;
    let mut out: Vec<(RectificationId, usize)> = Vec::new();
    for r in &rows {
        let (id, unit): (RectificationId, String) = (
            r.try_get(0).map_err(|e| DemoError::bug(e.to_string()))?,
            r.try_get(1).map_err(|e| DemoError::bug(e.to_string()))?,
        );
        let Some(index) = units.iter().position(|u| u.id.as_str() == unit) else {
            continue;
        };
        if out.iter().all(|(_, i)| *i != index) {
            out.push((id, index));
        }
    }
    Ok(out)
}

/// The `nth` open item of `rule` (one per unit) and its unit's index.
pub async fn pick(
    state: &AppState,
    units: &[Unit],
    rule: Rule,
    nth: usize,
) -> Result<(RectificationId, usize), DemoError> {
    open_items(state, units, rule)
        .await?
        .into_iter()
        .nth(nth)
        .ok_or_else(|| DemoError::bug("fewer rectification items than the history works on"))
}

/// One step on item `id` of unit `index`.
pub async fn work(
    state: &AppState,
    people: &[Person],
    id: &RectificationId,
    index: usize,
    what: Work,
) -> Result<(), DemoError> {
    let meta = RequestMeta::default();
    let supervisor = named(people, SUPERVISOR)?.acting();
    let unit = UNITS[index].name;
    let done = match what {
        Work::Submit => {
            let evidence = format!(
                "{unit}已核实该账号情况：已联系平台客服申请重置密码，待平台审核通过后按策略修改，并指定专人保管。"
            );
            submit(
                state,
                &unit_admin(people, index)?.acting(),
                &meta,
                id,
                &evidence,
            )
            .await
        }
        Work::Return => {
            let reason = "平台审核通过后请立即修改密码，并附修改记录截图后重新提交。";
            return_item(state, &supervisor, &meta, id, reason).await
        }
        Work::Accept => {
            let input = AcceptInput {
                reason: Some("该账号正在办理注销，注销完成前接受风险，到期复查。".into()),
                accept_risk_until: Some(state.now() + 30 * DAY_MS),
            };
            accept(state, &supervisor, &meta, id, &input).await
        }
    };
    done.map(|_| ())
        .map_err(|e| DemoError::step("working on the rectification items", e))
}
