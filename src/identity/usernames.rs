//! Usernames are case-insensitive: stored in lower case, and what a person types is
//! lower-cased before any lookup. Names that existed before this rule and differ only
//! in case (`Zhang` and `zhang`) were left as they are by migration 0005; they keep
//! working under their exact spelling and start-up warns about them until an operator
//! renames one.

use sqlx::Row;

use super::error::IdentityResult;
use crate::ids::UserId;

/// The stored form of a username (usernames are ASCII: see `users::check_username`).
pub fn normalize(raw: &str) -> String {
    raw.to_ascii_lowercase()
}

/// Of the stored names matching `typed` (its exact spelling or its lower case), the one
/// meant: the exact spelling when it exists (a legacy clash), else the lower case.
pub(super) fn pick<'a>(typed: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = normalize(typed);
    let mut fallback = None;
    for n in names {
        if n == typed {
            return Some(n);
        }
        if n == lower {
            fallback = Some(n);
        }
    }
    fallback
}

/// The id and status of the user named `typed` (any case).
pub async fn find(pool: &sqlx::AnyPool, typed: &str) -> IdentityResult<Option<(UserId, String)>> {
    let rows =
        sqlx::query("SELECT id, status, username FROM users WHERE username = $1 OR username = $2")
            .bind(typed)
            .bind(normalize(typed))
            .fetch_all(pool)
            .await?;
    let mut named = Vec::with_capacity(rows.len());
    for r in &rows {
        named.push((
            r.try_get::<UserId, _>(0)?,
            r.try_get::<String, _>(1)?,
            r.try_get::<String, _>(2)?,
        ));
    }
    let Some(chosen) = pick(typed, named.iter().map(|(_, _, n)| n.as_str())).map(str::to_string)
    else {
        return Ok(None);
    };
    Ok(named
        .into_iter()
        .find(|(_, _, n)| *n == chosen)
        .map(|(id, status, _)| (id, status)))
}

/// Usernames that differ only in case, grouped (each group sorted). Empty on a
/// database created after migration 0005.
pub async fn clashes(pool: &sqlx::AnyPool) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT username FROM users WHERE lower(username) IN \
         (SELECT lower(username) FROM users GROUP BY lower(username) HAVING COUNT(*) > 1) \
         ORDER BY lower(username), username",
    )
    .fetch_all(pool)
    .await?;
    let mut groups: Vec<Vec<String>> = Vec::new();
    for r in &rows {
        let name: String = r.try_get(0)?;
        match groups.last_mut() {
            Some(g) if g.first().is_some_and(|f| normalize(f) == normalize(&name)) => g.push(name),
            _ => groups.push(vec![name]),
        }
    }
    Ok(groups)
}

/// Logs one warning per clash, naming the accounts and what to do.
pub async fn warn_about_clashes(pool: &sqlx::AnyPool) -> Result<(), sqlx::Error> {
    for group in clashes(pool).await? {
        tracing::warn!(
            usernames = %group.join(", "),
            "usernames differ only in case ({}): usernames are case-insensitive now, so each of these logs in only with its exact spelling; rename all but one to a new lower-case name (UPDATE users SET username = '<new>' WHERE username = '<old>') and tell its owner",
            group.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_spelling_wins_then_lower_case() {
        assert_eq!(normalize("Zhang.Wei"), "zhang.wei");
        assert_eq!(pick("ZHANG", ["zhang"]), Some("zhang"));
        assert_eq!(pick("Zhang", ["zhang", "Zhang"]), Some("Zhang"));
        assert_eq!(pick("zhang", ["Zhang", "zhang"]), Some("zhang"));
        assert_eq!(pick("ZHANG", ["Zhang", "zhang"]), Some("zhang"));
        assert_eq!(pick("Zhang", ["ZHANG"]), None);
        assert_eq!(pick("li", []), None);
    }
}
