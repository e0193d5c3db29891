//! `no_custodian`: an active account none of whose custodians is an active user.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{Input, Observation, account_rows};
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;

pub(super) async fn no_custodian(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let rows = account_rows(
        conn,
        input,
        "SELECT a.id, a.unit_id, a.name FROM accounts a WHERE a.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM account_custodians c JOIN users us ON us.id = c.user_id \
         WHERE c.unit_id = a.unit_id AND c.account_id = a.id AND us.status = 'active'){scope}",
    )
    .await?;
    rows.iter()
        .map(|r| {
            let account: String = r.try_get("name")?;
            Observation::of_row(Rule::NoCustodian, r, json!({ "account": account }))
        })
        .collect()
}
