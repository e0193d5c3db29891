//! `unit_policies`: the settings of the units on a path, writing and removing one.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::merge::UnitSettings;
use super::overrides::Overrides;
use crate::db::Tx;
use crate::error::InternalError;
use crate::ids::UnitId;

/// The ids on a materialised path `/root/…/unit/`, root first.
pub fn path_ids(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn from_row(r: &AnyRow) -> Result<UnitSettings, sqlx::Error> {
    let unit_id: UnitId = r.try_get("unit_id")?;
    let overrides: String = r.try_get("overrides")?;
    Ok(UnitSettings {
        overrides: Overrides::from_stored(unit_id.as_str(), &overrides),
        unit_name: r.try_get("name")?,
        preset: r.try_get("preset")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
        unit_id,
    })
}

/// The settings of every unit on `path` that has some, root first.
pub async fn chain<'c, E>(db: E, path: &str) -> Result<Vec<UnitSettings>, InternalError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let ids = path_ids(path);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT p.unit_id, u.name, p.preset, p.overrides, p.updated_at, p.updated_by \
         FROM unit_policies p JOIN units u ON u.id = p.unit_id WHERE p.unit_id IN ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(db).await?;
    let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|s| ids.iter().position(|id| s.unit_id == *id));
    Ok(out)
}

/// The settings of every unit that has some (one query; the table has at most one row
/// per unit).
pub async fn all<'c, E>(db: E) -> Result<Vec<UnitSettings>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT p.unit_id, u.name, p.preset, p.overrides, p.updated_at, p.updated_by \
         FROM unit_policies p JOIN units u ON u.id = p.unit_id",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Replaces a unit's settings.
pub async fn upsert(tx: &mut Tx, s: &UnitSettings) -> Result<(), InternalError> {
    sqlx::query(
        "INSERT INTO unit_policies (unit_id, preset, overrides, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id) DO UPDATE SET \
         preset = excluded.preset, overrides = excluded.overrides, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(&s.unit_id)
    .bind(s.preset.as_deref())
    .bind(s.overrides.to_json().to_string())
    .bind(s.updated_at)
    .bind(s.updated_by.as_ref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes a unit's settings; false when it had none.
pub async fn delete(tx: &mut Tx, unit_id: &UnitId) -> Result<bool, InternalError> {
    let done = sqlx::query("DELETE FROM unit_policies WHERE unit_id = $1")
        .bind(unit_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_a_path() {
        assert_eq!(path_ids("/r/a/b/"), vec!["r", "a", "b"]);
        assert_eq!(path_ids("/r/"), vec!["r"]);
        assert!(path_ids("").is_empty());
    }
}
