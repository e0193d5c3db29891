//! What becomes of each account in the demo history, drawn with the seeded generator:
//! most are rotated on time and publish often; some keep a weak password, share one
//! with other accounts, were never rotated, have a change left pending, have no
//! custodian, or have gone quiet — so every inspection rule has something to show.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::catalog::AccountSpec;
use super::units::{EDUCATION, late};
use crate::freshness::publishes_content;

/// Passwords people really use (each below the district policy).
pub const WEAK: [&str; 14] = [
    "123456",
    "Yc123456",
    "admin123",
    "yongchuan2021",
    "Abc@1234",
    "88888888",
    "qwe123456",
    "Password1",
    "ycjw2019",
    "Yc@2020",
    "wx666666",
    "Zz123456!",
    "a1b2c3d4",
    "Ycfb2018",
];

/// Passwords used for more than one account: across three units, twice in one unit,
/// across two units.
pub const REUSED: [(&str, usize, bool); 3] = [
    ("Yongchuan#Fabu2023!", 3, false),
    ("Cq!Yc-Media-2024#", 2, true),
    ("Sheng1i-Lu#2022$", 2, false),
];

/// Accounts never rotated although nothing else is wrong with them.
const OVERDUE: usize = 16;
/// Rotations started and left pending for days (`rotation_pending_stale`).
const PENDING_STALE: usize = 5;
/// Rotations started today and not confirmed yet.
const PENDING_FRESH: usize = 3;
/// Accounts without a custodian (`no_custodian`).
const NO_CUSTODIAN: usize = 12;
/// Content accounts quiet for 8–13 days (`content_stale`, medium).
const SLUGGISH: usize = 8;
/// Content accounts quiet for 15–40 days (`content_stale` at veto).
const SILENT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Password {
    Strong,
    Weak(&'static str),
    Reused(&'static str),
}

/// How the account publishes (website and new-media accounts only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    None,
    /// Something new every one or two days.
    Active,
    /// Nothing since `days` ago.
    Quiet {
        days: i64,
    },
    /// Nothing for months (last publication `days` ago), or never.
    Zombie {
        days: Option<i64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    pub password: Password,
    /// Days ago its password was last changed (a confirmed rotation); None: never since
    /// it was registered.
    pub rotated: Option<i64>,
    /// Days ago a rotation was started and left pending (0: today).
    pub pending: Option<i64>,
    /// Kept by the custodian who leaves: rotated by them in the history, then by the
    /// successor today.
    pub leaver: bool,
    pub custodian: bool,
    pub content: Content,
}

/// The three accounts the leaving custodian keeps: the first three content accounts
/// of 区教委.
pub fn leaver_accounts(accounts: &[AccountSpec]) -> Vec<usize> {
    accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.unit == EDUCATION && publishes_content(a.platform))
        .map(|(i, _)| i)
        .take(3)
        .collect()
}

/// Draws every account's fate; `fates[i]` belongs to `accounts[i]`.
pub fn draw(rng: &mut StdRng, accounts: &[AccountSpec]) -> Vec<Fate> {
    let mut fates: Vec<Fate> = accounts
        .iter()
        .map(|a| Fate {
            password: Password::Strong,
            rotated: (!late(a.unit)).then(|| rng.random_range(1..=60)),
            pending: None,
            leaver: false,
            custodian: true,
            content: if publishes_content(a.platform) {
                Content::Active
            } else {
                Content::None
            },
        })
        .collect();
    let leaver = leaver_accounts(accounts);
    for (k, i) in leaver.iter().enumerate() {
        fates[*i].leaver = true;
        fates[*i].rotated = Some(30 + 7 * k as i64);
    }
    let mut order: Vec<usize> = (0..accounts.len())
        .filter(|i| !leaver.contains(i))
        .collect();
    order.shuffle(rng);
    let mut free = order.into_iter();
    for weak in WEAK {
        if let Some(i) = free.next() {
            fates[i].password = Password::Weak(weak);
            fates[i].rotated = None;
        }
    }
    let mut rest: Vec<usize> = free.collect();
    for (password, count, same_unit) in REUSED {
        let mut group: Vec<usize> = Vec::new();
        for &i in &rest {
            let fits = match group.first() {
                None => {
                    !same_unit
                        || rest
                            .iter()
                            .any(|&j| j != i && accounts[j].unit == accounts[i].unit)
                }
                Some(&first) if same_unit => accounts[i].unit == accounts[first].unit,
                Some(_) => group.iter().all(|&g| accounts[g].unit != accounts[i].unit),
            };
            if fits {
                group.push(i);
            }
            if group.len() == count {
                break;
            }
        }
        for &i in &group {
            fates[i].password = Password::Reused(password);
            fates[i].rotated = None;
        }
        rest.retain(|i| !group.contains(i));
    }
    let mut free = rest.into_iter();
    for i in free.by_ref().take(OVERDUE) {
        fates[i].rotated = None;
    }
    // Pending rotations happen in units whose accounts are rotated at all.
    let active: Vec<usize> = free.filter(|&i| !late(accounts[i].unit)).collect();
    for (k, &i) in active
        .iter()
        .take(PENDING_STALE + PENDING_FRESH)
        .enumerate()
    {
        fates[i].rotated = Some(rng.random_range(20..=60));
        fates[i].pending = Some(if k < PENDING_STALE { 4 + k as i64 } else { 0 });
    }
    let mut order: Vec<usize> = (0..accounts.len())
        .filter(|i| !leaver.contains(i))
        .collect();
    order.shuffle(rng);
    for &i in order.iter().take(NO_CUSTODIAN) {
        fates[i].custodian = false;
    }
    let mut content: Vec<usize> = (0..accounts.len())
        .filter(|&i| fates[i].content == Content::Active && !fates[i].leaver)
        .collect();
    content.shuffle(rng);
    let mut quiet = content.into_iter();
    for i in quiet.by_ref().take(SLUGGISH) {
        fates[i].content = Content::Quiet {
            days: rng.random_range(8..=13),
        };
    }
    for i in quiet.by_ref().take(SILENT) {
        fates[i].content = Content::Quiet {
            days: rng.random_range(15..=40),
        };
    }
    if let Some(i) = quiet.next() {
        fates[i].content = Content::Zombie { days: Some(150) };
    }
    if let Some(i) = quiet.next() {
        fates[i].content = Content::Zombie { days: None };
    }
    fates
}

#[cfg(test)]
mod tests {
    use super::super::{SEED, catalog};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_kind_of_trouble_is_drawn() {
        let mut rng = StdRng::seed_from_u64(SEED);
        let accounts = catalog::accounts(&mut rng);
        let fates = draw(&mut rng, &accounts);
        let count = |f: &dyn Fn(&Fate) -> bool| fates.iter().filter(|x| f(x)).count();
        assert_eq!(count(&|f| matches!(f.password, Password::Weak(_))), 14);
        assert_eq!(count(&|f| matches!(f.password, Password::Reused(_))), 7);
        assert_eq!(count(&|f| f.pending.is_some_and(|d| d > 3)), PENDING_STALE);
        assert_eq!(count(&|f| f.pending == Some(0)), PENDING_FRESH);
        assert_eq!(count(&|f| f.leaver), 3);
        assert_eq!(count(&|f| !f.custodian), NO_CUSTODIAN);
        assert_eq!(
            count(&|f| matches!(f.content, Content::Quiet { .. })),
            SLUGGISH + SILENT
        );
        assert_eq!(count(&|f| matches!(f.content, Content::Zombie { .. })), 2);
        // The password twice in one unit is in one unit; the others span units.
        let units = |p: &'static str| {
            let mut u: Vec<usize> = fates
                .iter()
                .zip(&accounts)
                .filter(|(f, _)| f.password == Password::Reused(p))
                .map(|(_, a)| a.unit)
                .collect();
            u.dedup();
            u.len()
        };
        assert_eq!(units(REUSED[1].0), 1);
        assert_eq!(units(REUSED[0].0), 3);
        // Pending and leaver accounts have no other trouble with their password.
        for f in &fates {
            if f.pending.is_some() || f.leaver {
                assert_eq!(f.password, Password::Strong);
                assert!(f.rotated.is_some());
            }
        }
    }
}
