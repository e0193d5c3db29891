//! A consistent backup of the database while it serves (`credgov backup --out FILE`),
//! here because how depends on the engine. SQLite: `VACUUM INTO` (one read
//! transaction, so the copy is one moment of the database); PostgreSQL: `pg_dump -Fc`
//! when it is on PATH, else the command to run. The master key is never inside a
//! backup.

use std::path::Path;
use std::process::Command;

use super::{Backend, Db};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub bytes: u64,
    pub how: &'static str,
}

/// Writes the backup of the database at `database_url` to `out` (which must not exist),
/// readable by its owner only. Errors are one sentence saying what to do.
pub async fn backup(database_url: &str, out: &Path) -> Result<BackupReport, String> {
    if out.exists() {
        return Err(format!(
            "{} already exists: choose a new file name (a backup never overwrites one)",
            out.display()
        ));
    }
    if let Some(parent) = out.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        return Err(format!("folder {} does not exist", parent.display()));
    }
    let db = Db::connect(database_url, 1)
        .await
        .map_err(|e| e.to_string())?;
    let how = match db.backend() {
        Backend::Sqlite => {
            let path = out
                .to_str()
                .ok_or_else(|| format!("{}: the file name must be UTF-8", out.display()))?;
            let done = sqlx::query("VACUUM INTO $1")
                .bind(path)
                .execute(db.pool())
                .await;
            db.close().await;
            done.map_err(|e| format!("SQLite VACUUM INTO {}: {e}", out.display()))?;
            "SQLite VACUUM INTO"
        }
        Backend::Postgres => {
            db.close().await;
            pg_dump(database_url, out)?;
            "pg_dump -Fc"
        }
    };
    private(out)?;
    let bytes = std::fs::metadata(out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .len();
    Ok(BackupReport { bytes, how })
}

/// Runs `pg_dump -Fc` into `out`; names the missing tool and the manual command when
/// it is not installed. The password, if the URL has one, goes by environment, never
/// on the command line another user could read.
fn pg_dump(database_url: &str, out: &Path) -> Result<(), String> {
    let (url, password) = split_password(database_url);
    let mut cmd = Command::new("pg_dump");
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--file")
        .arg(out)
        .arg("--dbname")
        .arg(&url);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let output = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "pg_dump is not on PATH: install the PostgreSQL client of the server's version \
                 (Debian: apt-get install postgresql-client), or on the database host run \
                 pg_dump --format=custom --file {} 'postgres://…'",
                out.display()
            )
        } else {
            format!("pg_dump: {e}")
        }
    })?;
    if !output.status.success() {
        let _ = std::fs::remove_file(out);
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "pg_dump failed: {}",
            said.lines().next().unwrap_or("no message")
        ));
    }
    Ok(())
}

/// The URL without its password, and the password (decoded).
fn split_password(url: &str) -> (String, Option<String>) {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return (url.to_string(), None);
    };
    let password = parsed.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    if password.is_some() && parsed.set_password(None).is_err() {
        return (url.to_string(), None);
    }
    (parsed.to_string(), password)
}

/// Mode 0600: a backup holds every sealed secret and the audit trail.
fn private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_password;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://credgov:s3%40cret@db:5432/credgov"),
            (
                "postgres://credgov@db:5432/credgov".to_string(),
                Some("s3@cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_string(), None)
        );
    }
}
