//! The last sixty days, in order: custodians rotate their accounts (most on time, some
//! left pending), units upload their publication logs every four days, the daily scan
//! runs every night of the last month (findings, rectification items and one risk
//! snapshot a day, so the trend lines have a month to show), a few rectification items
//! are worked on, and the first administrator changes their password. Then today.

use zeroize::Zeroizing;

use super::DemoError;
use super::accounts::keeper;
use super::catalog::AccountSpec;
use super::fates::Fate;
use super::people::{Person, unit_admin};
use super::publications::{Publication, upload};
use super::rectify::{Work, pick, work};
use super::timeline::Timeline;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::clock::Millis;
use crate::identity::{change_own_password, generate_password};
use crate::ids::{AccountId, RectificationId};
use crate::inspection::Rule;
use crate::jobs::Runner;
use crate::tenancy::Unit;
use crate::vault::{confirm_rotation, start_rotation};

/// Days of nightly scans (and risk snapshots) before today.
pub const SCANNED_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy)]
enum Event {
    /// Rotate account `.0`; confirm it (`true`) or leave it pending.
    Rotate(usize, bool),
    /// Upload publication round `.0`.
    Publish(usize),
    Scan,
    /// Rectification work on the item in slot `.0` (picked by `.1`/`.2` when empty).
    Rectify(usize, Rule, Work),
    /// The first administrator changes their password.
    OwnPassword,
}

/// Everything the history works with.
pub struct Cast<'a> {
    pub state: &'a AppState,
    pub tl: &'a Timeline,
    pub units: &'a [Unit],
    pub people: &'a [Person],
    pub accounts: &'a [AccountSpec],
    pub fates: &'a [Fate],
    pub ids: &'a [AccountId],
    pub publications: &'a [Publication],
    /// When the units upload their publication logs ([`rounds`](super::publications::rounds)).
    pub rounds: Vec<Millis>,
}

impl Cast<'_> {
    /// Who rotates account `i`: its custodian, else its unit's administrator.
    fn rotator(&self, i: usize) -> Result<&Person, DemoError> {
        match keeper(self.people, self.accounts, self.fates, i)? {
            Some(p) => Ok(p),
            None => unit_admin(self.people, self.accounts[i].unit),
        }
    }

    async fn rotate(&self, i: usize, confirm: bool) -> Result<(), DemoError> {
        let ctx = self.rotator(i)?.acting();
        let meta = RequestMeta::default();
        let started = start_rotation(self.state, &ctx, &meta, &self.ids[i], None)
            .await
            .map_err(|e| DemoError::step("rotating the passwords", e))?;
        if confirm {
            confirm_rotation(self.state, &ctx, &meta, &started.rotation_id)
                .await
                .map_err(|e| DemoError::step("rotating the passwords", e))?;
        }
        Ok(())
    }

    /// The nightly `daily_scan` job, run the way `credgov jobs run daily_scan` runs it.
    pub async fn scan(&self, runner: &Runner) -> Result<(), DemoError> {
        let report = runner
            .run_now("daily_scan")
            .await
            .map_err(|e| DemoError::step("running the daily scan", e))?;
        match report.error {
            Some(reason) => Err(DemoError::bug(format!("the daily scan failed: {reason}"))),
            None => Ok(()),
        }
    }

    fn schedule(&self) -> Vec<(Millis, Event)> {
        let upload_times = &self.rounds;
        let tl = self.tl;
        let mut events: Vec<(Millis, Event)> = Vec::new();
        let mut per_day: std::collections::HashMap<i64, i64> = Default::default();
        let mut slot = |day: i64, hour: i64, step: i64| {
            let k = per_day.entry(day * 100 + hour).or_insert(0);
            *k += 1;
            tl.day(day, hour, 0) + (*k - 1) * step * 60_000
        };
        for (i, f) in self.fates.iter().enumerate() {
            if let Some(d) = f.rotated {
                events.push((slot(d, 9, 12), Event::Rotate(i, true)));
            }
            if let Some(d) = f.pending.filter(|d| *d > 0) {
                events.push((slot(d, 16, 10), Event::Rotate(i, false)));
            }
        }
        // The first round comes before the custodians, the last one this morning.
        for (r, at) in upload_times.iter().enumerate().skip(1) {
            if r + 1 < upload_times.len() {
                events.push((*at, Event::Publish(r)));
            }
        }
        for d in 1..=SCANNED_DAYS {
            events.push((tl.day(d, 2, 30), Event::Scan));
        }
        let rectify = [
            (tl.day(14, 10, 0), 0, Rule::WeakPassword, Work::Submit),
            (tl.day(13, 15, 0), 0, Rule::WeakPassword, Work::Return),
            (tl.day(10, 10, 0), 1, Rule::WeakPassword, Work::Submit),
            (tl.day(9, 11, 0), 1, Rule::WeakPassword, Work::Accept),
            (tl.day(2, 15, 0), 2, Rule::ReusedPassword, Work::Submit),
        ];
        for (at, s, rule, w) in rectify {
            events.push((at, Event::Rectify(s, rule, w)));
        }
        events.push((tl.day(1, 17, 30), Event::OwnPassword));
        events.sort_by_key(|(at, _)| *at);
        events
    }

    /// Acts out the sixty days before today. `admin` is the first administrator, whose
    /// password changes on the way.
    pub async fn run(&self, runner: &Runner, admin: &mut Person) -> Result<(), DemoError> {
        let mut slots: Vec<Option<(RectificationId, usize)>> = vec![None; 3];
        // Milliseconds spent on rotations, publication logs and scans (logged at the end).
        let mut spent = [0u128; 3];
        for (at, event) in self.schedule() {
            self.tl.go(at);
            let began = std::time::Instant::now();
            let kind = match event {
                Event::Rotate(..) => Some(0),
                Event::Publish(_) => Some(1),
                Event::Scan => Some(2),
                _ => None,
            };
            match event {
                Event::Rotate(i, confirm) => self.rotate(i, confirm).await?,
                Event::Publish(r) => self.publish(r).await?,
                Event::Scan => self.scan(runner).await?,
                Event::Rectify(s, rule, w) => {
                    let (id, unit) = match &slots[s] {
                        Some(picked) => picked.clone(),
                        None => pick(self.state, self.units, rule, s).await?,
                    };
                    work(self.state, self.people, &id, unit, w).await?;
                    slots[s] = Some((id, unit));
                }
                Event::OwnPassword => {
                    let new = generate_password();
                    change_own_password(
                        self.state,
                        &admin.acting(),
                        &RequestMeta::default(),
                        admin.password.clone(),
                        new.clone(),
                    )
                    .await
                    .map_err(|e| DemoError::step("changing the administrator's password", e))?;
                    admin.password = Zeroizing::new(new.to_string());
                }
            }
            if let Some(k) = kind {
                spent[k] += began.elapsed().as_millis();
            }
        }
        tracing::info!(
            rotations_ms = spent[0] as u64,
            publication_logs_ms = spent[1] as u64,
            scans_ms = spent[2] as u64,
            "demo district history"
        );
        Ok(())
    }

    /// Upload round `r` (of [`rounds`](super::publications::rounds)) at its time: the publications since the
    /// previous round.
    pub async fn publish(&self, r: usize) -> Result<(), DemoError> {
        let upto = self.rounds[r];
        self.tl.go(upto);
        let after = r.checked_sub(1).map(|p| self.rounds[p]);
        upload(
            self.state,
            self.units,
            self.people,
            self.accounts,
            self.publications,
            after,
            upto,
        )
        .await
    }

    /// The first publication logs, before the custodians are named.
    pub async fn first_logs(&self) -> Result<(), DemoError> {
        self.publish(0).await
    }

    /// Today before the departure case: the last publication logs.
    pub async fn this_morning(&self) -> Result<(), DemoError> {
        self.publish(self.rounds.len() - 1).await
    }

    /// Today after the departure case: rotations started and not confirmed yet.
    pub async fn just_now(&self) -> Result<(), DemoError> {
        let today: Vec<usize> = (0..self.fates.len())
            .filter(|&i| self.fates[i].pending == Some(0))
            .collect();
        for (n, i) in today.into_iter().enumerate() {
            self.tl.go(self.tl.minutes_ago(30 - 5 * n as i64));
            self.rotate(i, false).await?;
        }
        Ok(())
    }
}
