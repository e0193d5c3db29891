//! `credgov serve --demo`: refuse a database that holds data, hold the listening port,
//! build the demo district (`crate::demo`) with a clock that can be set back, then
//! serve it like `serve` does, on the wall clock.

use crate::app::AppState;
use crate::clock::ManualClock;
use crate::config::Config;
use crate::error::CliError;

pub async fn serve(config: Config) -> Result<i32, CliError> {
    let listen = config.listen;
    let clock = ManualClock::new();
    let state = AppState::start(config.clone(), clock.clone())
        .await
        .map_err(|e| CliError::from(e.to_string()))?;
    if let Some(what) = crate::demo::existing_data(&state).await? {
        state.db.close().await;
        return Err(CliError::from(format!(
            "the database already holds data ({what}); --demo only fills an empty database: point database_url at a new one, or run `credgov serve` without --demo"
        )));
    }
    // The port first: a busy port must not leave a half-served demo behind.
    let listener = super::bind(listen).await?;
    eprintln!("credgov: building the demo district (this takes a few seconds) …");
    let built = crate::demo::populate(&state, clock).await;
    state.db.close().await;
    let demo = built.map_err(|e| CliError {
        message: if e.partial {
            format!(
                "the demo district could not be built ({e}); the database now holds part of it: drop it (delete the SQLite file, or DROP DATABASE) and run `credgov serve --demo` again"
            )
        } else {
            format!("the demo district could not be built ({e}); nothing was written")
        },
        exit_code: e.error.exit_code,
    })?;
    let state = super::start(config).await?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    crate::demo::print(&state, &demo, &format!("http://{addr}/")).await?;
    super::run_server(state, listener).await
}
