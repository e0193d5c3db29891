//! `credgov init` and the first-run initialisation of `serve`.

use std::io::{IsTerminal, Write};

use zeroize::Zeroizing;

use crate::app::AppState;
use crate::error::CliError;
use crate::identity::{IdentityError, create_first_admin};

pub const DEFAULT_ADMIN: &str = "admin";
pub const DEFAULT_DISTRICT: &str = "区人民政府";

fn print_credentials(username: &str, password: &str) {
    println!("────────────────────────────────────────────────────────────");
    println!(" credgov initialised. First sysadmin (shown once, not logged):");
    println!("   username: {username}");
    println!("   password: {password}");
    println!(" Log in: POST /api/v1/auth/login, then enrol two-factor login");
    println!(" (POST /api/v1/auth/totp/enroll and /auth/totp/confirm).");
    println!("────────────────────────────────────────────────────────────");
}

pub async fn init(
    state: &AppState,
    district: &str,
    admin: &str,
    password: Option<Zeroizing<String>>,
) -> Result<(), CliError> {
    let (root, user, generated) = create_first_admin(state, district, admin, password).await?;
    println!(
        "root unit {} ({}) created; sysadmin {} created",
        root.name, root.id, user.username
    );
    if let Some(p) = generated {
        print_credentials(&user.username, &p);
    }
    Ok(())
}

/// On an empty database `serve` initialises itself. The generated password goes to
/// the terminal when there is one; otherwise (systemd, containers) to a 0600 file in
/// the data folder, never to the log. The file is opened before the admin is created,
/// so a read-only folder stops start-up instead of losing the password.
pub async fn first_run(state: &AppState) -> Result<(), CliError> {
    if crate::tenancy::root_unit(state.db.pool()).await?.is_some() {
        return Ok(());
    }
    let terminal = std::io::stdout().is_terminal();
    let path = state.config.data_dir().join("initial-admin-password");
    let mut file = if terminal {
        None
    } else {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        Some(opts.open(&path).map_err(|e| {
            format!(
                "the database is empty and there is no terminal to show the first admin password, and {} cannot be written ({e}); run `credgov init --admin NAME` once instead",
                path.display()
            )
        })?)
    };
    let created = create_first_admin(state, DEFAULT_DISTRICT, DEFAULT_ADMIN, None).await;
    let (_, user, generated) = match created {
        Ok(c) => c,
        Err(e) => {
            if file.is_some() {
                let _ = std::fs::remove_file(&path);
            }
            // Another server on the same database initialised it first: nothing to do.
            if matches!(
                e,
                IdentityError::AlreadyInitialised | IdentityError::InitialisedMeanwhile
            ) {
                return Ok(());
            }
            return Err(e.into());
        }
    };
    let Some(password) = generated else {
        return Ok(());
    };
    match file.as_mut() {
        None => print_credentials(&user.username, &password),
        Some(f) => {
            writeln!(
                f,
                "username: {}\npassword: {}",
                user.username,
                password.as_str()
            )
            .and_then(|_| f.sync_all())
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
            tracing::warn!(path = %path.display(), username = %user.username, "initialised an empty database; the first sysadmin's password is in this file (mode 0600): log in, then delete it");
        }
    }
    Ok(())
}
