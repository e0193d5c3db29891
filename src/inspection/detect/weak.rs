//! `weak_password`: the current version of an active account falls short of its unit's
//! *current* account-password policy (minimum zxcvbn score, required character classes,
//! minimum length), judged on the strength recorded when it was sealed — nothing is
//! decrypted, so a tightened policy re-flags stored passwords at once. Versions sealed
//! before that record existed (migration 0016: `char_classes`/`char_count` NULL) are not
//! judged; their next rotation records it.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{Input, Observation, policies_in_force, rows_with_policies};
use crate::inspection::error::InspectionError;
use crate::inspection::rules::Rule;
use crate::inspection::scope::Scope;
use crate::policy::{AccountPasswordPolicy, CharClass, ClassSet, SealedStrength};

pub(super) async fn weak_password(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<Vec<Observation>, InspectionError> {
    let prefilter = match input.scope {
        Scope::All => strictest_prefilter(conn, input).await?,
        // A few accounts: every current version is judged in Rust.
        Scope::Narrow(_) => String::new(),
    };
    let sql = format!(
        "SELECT a.id, a.unit_id, n.path, a.name, v.version, v.score, v.char_classes, v.char_count \
         FROM accounts a JOIN units n ON n.id = a.unit_id \
         JOIN credential_versions v ON v.unit_id = a.unit_id AND v.account_id = a.id AND v.state = 'current' \
         WHERE a.status = 'active' AND v.char_classes IS NOT NULL AND v.char_count IS NOT NULL{prefilter}{{scope}}"
    );
    let rows = rows_with_policies(conn, input, &sql).await?;
    let mut out = Vec::new();
    for row in rows.iter() {
        let (r, policy) = row?;
        let strength = SealedStrength {
            score: u8::try_from(r.try_get::<i64, _>("score")?).unwrap_or(0),
            classes: ClassSet::from_bits(r.try_get("char_classes")?),
            length: u32::try_from(r.try_get::<i64, _>("char_count")?).unwrap_or(0),
        };
        let rules = &policy.account_password;
        let Some(short) = strength.shortfall(rules) else {
            continue;
        };
        let details = json!({
            "account": r.try_get::<String, _>("name")?,
            "version": r.try_get::<i64, _>("version")?,
            "score": strength.score,
            "min_score": rules.min_score,
            "required_classes": class_list(&rules.required_classes),
            "min_length": rules.min_length,
            "score_too_low": short.score_too_low,
            "missing_classes": short.missing_classes,
            "too_short": short.too_short,
        });
        out.push(Observation::of_row(Rule::WeakPassword, r, details)?);
    }
    Ok(out)
}

/// "lower, symbol", or "—" when the policy requires none.
fn class_list(classes: &[CharClass]) -> String {
    if classes.is_empty() {
        return "—".into();
    }
    let names: Vec<&str> = classes.iter().map(|c| c.code()).collect();
    names.join(", ")
}

/// For the whole district: a condition (numbers only) that keeps the versions weak
/// under the strictest policy in force anywhere, so the database returns only
/// candidates instead of every current version; each is then judged against its own
/// unit's policy.
async fn strictest_prefilter(
    conn: &mut AnyConnection,
    input: &Input<'_>,
) -> Result<String, InspectionError> {
    let policies = policies_in_force(conn, input).await?;
    let rules: Vec<&AccountPasswordPolicy> = policies.iter().map(|p| &p.account_password).collect();
    let min_score = rules.iter().map(|r| r.min_score).max().unwrap_or(0);
    let min_length = rules.iter().map(|r| r.min_length).max().unwrap_or(0);
    let required: ClassSet = rules
        .iter()
        .flat_map(|r| r.required_classes.iter().copied())
        .collect();
    let mask = required.bits();
    Ok(format!(
        " AND (v.score < {min_score} OR (v.char_classes & {mask}) <> {mask} OR v.char_count < {min_length})"
    ))
}
