//! What the website and new-media accounts published, and the publication logs each
//! unit uploads every four days of the last two months (`credgov import publications`,
//! here through the same service as the unit's administrator), so the daily scans of
//! the last month see the quiet accounts go stale while the busy ones stay fresh.

use rand::Rng;
use rand::rngs::StdRng;

use super::DemoError;
use super::catalog::AccountSpec;
use super::fates::{Content, Fate};
use super::people::{Person, unit_admin};
use super::timeline::Timeline;
use super::units::UNITS;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::calendar::DAY_MS;
use crate::clock::{HOUR_MS, Millis, to_rfc3339};
use crate::freshness::import_publications;
use crate::ids::UnitId;
use crate::tenancy::Unit;

const TOPICS: [&str; 6] = [
    "工作动态",
    "政策解读",
    "便民提示",
    "通知公告",
    "活动预告",
    "民生实事",
];

/// One publication: account index and time.
pub type Publication = (usize, Millis);

/// Every publication of the last seventy days (and the zombie's last one), drawn for
/// each content account by its fate; none later than `until`.
pub fn draw(rng: &mut StdRng, tl: &Timeline, fates: &[Fate], until: Millis) -> Vec<Publication> {
    let mut out = Vec::new();
    for (i, f) in fates.iter().enumerate() {
        let last = match f.content {
            Content::None => continue,
            Content::Zombie { days: None } => continue,
            Content::Zombie { days: Some(d) } => {
                out.push((i, tl.day(d, 10, 0)));
                continue;
            }
            Content::Active => until,
            Content::Quiet { days } => tl.midnight(days).min(until),
        };
        let mut t = tl.day(70, 8, 0) + rng.random_range(0..DAY_MS);
        while t <= last {
            out.push((i, t));
            t += rng.random_range(12 * HOUR_MS..=44 * HOUR_MS);
        }
    }
    out
}

/// The times the units upload their logs: first 61 days ago at 07:00, before the
/// custodians are named (so nothing looks silent for want of a log), then every four
/// days, and once more today (`today`).
pub fn rounds(tl: &Timeline, today: Millis) -> Vec<Millis> {
    let mut out: Vec<Millis> = (0..=15)
        .map(|k| tl.day(61 - 4 * k, if k == 0 { 7 } else { 8 }, 0))
        .collect();
    out.push(today);
    out
}

/// Uploads, for every unit, the publications after `after` up to `upto` (all up to
/// `upto` when `after` is None).
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    state: &AppState,
    units: &[Unit],
    people: &[Person],
    accounts: &[AccountSpec],
    publications: &[Publication],
    after: Option<Millis>,
    upto: Millis,
) -> Result<(), DemoError> {
    let meta = RequestMeta::default();
    for (index, unit) in units.iter().enumerate() {
        let mut csv = csv::Writer::from_writer(Vec::new());
        let mut rows = 0;
        let header = ["账号", "发布时间", "标题"];
        csv.write_record(header)
            .map_err(|e| DemoError::bug(format!("writing a publication log: {e}")))?;
        for (n, (i, at)) in publications.iter().enumerate() {
            let a = &accounts[*i];
            if a.unit != index || *at > upto || after.is_some_and(|t| *at <= t) {
                continue;
            }
            let title = format!("{}·{}", UNITS[index].brand, TOPICS[n % TOPICS.len()]);
            csv.write_record([a.name.as_str(), &to_rfc3339(*at), &title])
                .map_err(|e| DemoError::bug(format!("writing a publication log: {e}")))?;
            rows += 1;
        }
        if rows == 0 {
            continue;
        }
        let bytes = csv
            .into_inner()
            .map_err(|e| DemoError::bug(format!("writing a publication log: {e}")))?;
        let admin = unit_admin(people, index)?;
        import_publications(
            state,
            &admin.acting(),
            &meta,
            &UnitId::new(unit.id.as_str()),
            &bytes,
            false,
        )
        .await
        .map_err(|e| DemoError::step("uploading the publication logs", e))?;
    }
    Ok(())
}
