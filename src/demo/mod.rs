//! `credgov serve --demo`: a realistic sample district on an empty database, so a
//! newcomer sees every page populated.
//!
//! Thirty units (departments, institutions, streets and towns) of 永川区, about three
//! hundred accounts with the platform mix of a real district, and people in every role.
//! Everything is written by the same services the API and the command line use — the
//! unit tree, users and roles, account import, custodians, staged rotation, publication
//! logs, the HR event and its handover case, rectification, the daily scan job — so
//! every audit chain verifies. The history of the last year is acted out with the
//! application's clock set back ([`timeline`]): nothing is backdated with SQL.
//! The draw is seeded ([`SEED`]): every demo district is the same, except the
//! generated passwords.
//!
//! It is not one transaction: a failure midway leaves part of a district behind, and
//! the command says to drop the database and start again.

mod accounts;
mod case;
mod catalog;
mod fates;
mod history;
mod people;
mod printout;
mod publications;
mod rectify;
mod timeline;
mod units;

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::Row;

use crate::app::AppState;
use crate::authz::{AuthContext, Grant, Role};
use crate::clock::ManualClock;
use crate::error::CliError;
use crate::identity::create_first_admin;
use crate::jobs::Runner;

pub use people::Person;
pub use printout::print;

/// The seed of every draw: the same district each time.
pub const SEED: u64 = 0x5943_2021_0023;

/// The first system administrator's username.
pub const ADMIN: &str = "admin";

/// Why the demo stopped: the step and what went wrong there.
#[derive(Debug)]
pub struct DemoError {
    pub step: &'static str,
    pub error: CliError,
    /// Part of the district was written before it stopped.
    pub partial: bool,
}

impl DemoError {
    pub fn step(step: &'static str, e: impl Into<CliError>) -> DemoError {
        DemoError {
            step,
            error: e.into(),
            partial: true,
        }
    }

    /// Something the demo's own data got wrong (exit 70).
    pub fn bug(message: impl Into<String>) -> DemoError {
        DemoError {
            step: "building the demo district",
            error: CliError {
                message: message.into(),
                exit_code: 70,
            },
            partial: true,
        }
    }
}

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.error.message)
    }
}

/// What the demo made, for the printout.
pub struct Demo {
    pub district: String,
    /// The people, the first administrator first, with the passwords to sign in with.
    pub people: Vec<Person>,
    pub handover: crate::handover::Handover,
    pub elapsed: std::time::Duration,
}

/// The database holds something: units or users. `None` when it is empty.
pub async fn existing_data(state: &AppState) -> Result<Option<String>, CliError> {
    let count = |table: &'static str| async move {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(state.db.pool())
            .await
            .and_then(|r| r.try_get::<i64, _>(0))
            .map_err(|e| CliError::from(format!("reading the database: {e}")))
    };
    let (units, users) = (count("units").await?, count("users").await?);
    Ok((units > 0 || users > 0).then(|| format!("{units} unit(s) and {users} user(s)")))
}

/// Builds the demo district in an empty database. `clock` must be the clock `state`
/// was started with; it is back at the wall clock when this returns.
pub async fn populate(state: &AppState, clock: Arc<ManualClock>) -> Result<Demo, DemoError> {
    let began = std::time::Instant::now();
    let tl = timeline::Timeline::new(clock);
    let done = build(state, &tl).await;
    tl.back_to_now();
    let (people, handover) = done?;
    Ok(Demo {
        district: units::DISTRICT.to_string(),
        people,
        handover,
        elapsed: began.elapsed(),
    })
}

/// Logs how long a step of the build took (the demo's own timing, at info level).
fn took(step: &str, since: &mut std::time::Instant) {
    tracing::info!(
        step,
        ms = since.elapsed().as_millis() as u64,
        "demo district"
    );
    *since = std::time::Instant::now();
}

async fn build(
    state: &AppState,
    tl: &timeline::Timeline,
) -> Result<(Vec<Person>, crate::handover::Handover), DemoError> {
    let mut clock = std::time::Instant::now();
    let mut rng = StdRng::seed_from_u64(SEED);
    let catalog = catalog::accounts(&mut rng);
    let fates = fates::draw(&mut rng, &catalog);
    let publications = publications::draw(&mut rng, tl, &fates, tl.minutes_ago(90));

    tl.go(tl.day(401, 9, 0));
    // One transaction: if it fails (another server initialised the database meanwhile),
    // nothing was written.
    let (root, user, password) = create_first_admin(state, units::DISTRICT, ADMIN, None)
        .await
        .map_err(|e| DemoError {
            partial: false,
            ..DemoError::step("creating the district and its administrator", e)
        })?;
    let mut admin = Person {
        id: user.id,
        username: user.username,
        name: user.display_name,
        home: people::Place::Root,
        grants: vec![Grant {
            unit_id: root.id.to_string(),
            unit_path: root.path.clone(),
            role: Role::Sysadmin,
        }],
        roles: vec![(people::Place::Root, Role::Sysadmin)],
        password: password
            .ok_or_else(|| DemoError::bug("no password was generated for the administrator"))?,
    };
    tl.go(tl.day(401, 9, 30));
    let units = units::create(state, &AuthContext::operator(), &root).await?;
    took("units", &mut clock);
    let ids = accounts::import(state, tl, &units, &catalog, &fates).await?;
    took("account imports", &mut clock);
    tl.go(tl.day(62, 9, 0));
    let people = people::create(state, &admin, &root, &units).await?;
    took("people", &mut clock);
    let cast = history::Cast {
        state,
        tl,
        units: &units,
        people: &people,
        accounts: &catalog,
        fates: &fates,
        ids: &ids,
        publications: &publications,
        rounds: publications::rounds(tl, tl.minutes_ago(90)),
    };
    cast.first_logs().await?;
    accounts::name_custodians(state, tl, &people, &catalog, &fates, &ids).await?;
    took("custodians", &mut clock);
    let runner = Runner::new(state.clone());
    tl.go(tl.day(history::SCANNED_DAYS, 2, 0));
    runner
        .prepare()
        .await
        .map_err(|e| DemoError::step("registering the scheduled jobs", e))?;
    cast.run(&runner, &mut admin).await?;
    took("sixty days of history", &mut clock);
    cast.this_morning().await?;
    let handover = case::depart(state, tl, &units, &people, &catalog, &ids).await?;
    cast.just_now().await?;
    tl.back_to_now();
    cast.scan(&runner).await?;
    took("today", &mut clock);

    let mut everyone = vec![admin];
    everyone.extend(people);
    Ok((everyone, handover))
}
