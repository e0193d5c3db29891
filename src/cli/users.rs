//! `credgov users reset-password USERNAME`: the console operator's way back in when
//! the only administrator is locked out or has lost their password.

use crate::app::AppState;
use crate::error::CliError;

pub async fn reset_password(state: &AppState, username: &str) -> Result<(), CliError> {
    let (user, password) = crate::identity::reset_password_by_username(state, username).await?;
    println!(
        "password of {} reset; lock cleared, sessions ended.",
        user.username
    );
    println!(
        "one-time password (shown once, not logged): {}",
        password.as_str()
    );
    println!("It must be changed at the next login (POST /api/v1/me/password).");
    Ok(())
}
