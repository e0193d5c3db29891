//! What `serve --demo` prints once: what was made, and everyone's username, role, unit
//! and password in one table, with a warning that this is demo data.

use std::fmt::Write as _;
use std::io::Write as _;

use sqlx::Row;

use super::Demo;
use super::people::{LEAVER, Place, SUCCESSOR, SUPERVISOR, unit_admin_name};
use super::units::{DISTRICT, EDUCATION, UNITS};
use crate::app::AppState;
use crate::authz::Role;
use crate::error::CliError;

/// Columns on a terminal: CJK characters take two.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn pad(s: &str, to: usize) -> String {
    format!("{s}{}", " ".repeat(to.saturating_sub(width(s))))
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Sysadmin => "sysadmin 系统管理员",
        Role::Supervisor => "supervisor 监管",
        Role::UnitAdmin => "unit_admin 单位管理员",
        Role::Custodian => "custodian 保管人",
        Role::Hr => "hr 人事",
        Role::Auditor => "auditor 审计员",
    }
}

fn place_name(place: Place) -> &'static str {
    match place {
        Place::Root => DISTRICT,
        Place::Unit(i) => UNITS[i].name,
    }
}

/// Counts read back from the database, so the summary says what is really there.
struct Counts {
    units: i64,
    accounts: i64,
    users: i64,
    findings: Vec<(String, i64)>,
    rectifications: i64,
    snapshot_days: i64,
}

async fn counts(state: &AppState) -> Result<Counts, sqlx::Error> {
    let pool = state.db.pool();
    let one = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_one(pool)
            .await
            .and_then(|r| r.try_get::<i64, _>(0))
    };
    let rows = sqlx::query(
        "SELECT rule, COUNT(*) FROM findings WHERE state = 'open' GROUP BY rule ORDER BY rule",
    )
    .fetch_all(pool)
    .await?;
    let findings = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<Vec<(String, i64)>, sqlx::Error>>()?;
    Ok(Counts {
        units: one("SELECT COUNT(*) FROM units").await?,
        accounts: one("SELECT COUNT(*) FROM accounts").await?,
        users: one("SELECT COUNT(*) FROM users").await?,
        findings,
        rectifications: one("SELECT COUNT(*) FROM rectifications WHERE closed_at IS NULL").await?,
        snapshot_days: one("SELECT COUNT(DISTINCT day) FROM risk_snapshots").await?,
    })
}

/// Prints the summary and the table of people to standard output (a closed pipe is
/// ignored). `url` is where the console answers.
pub async fn print(state: &AppState, demo: &Demo, url: &str) -> Result<(), CliError> {
    let c = counts(state)
        .await
        .map_err(|e| CliError::from(format!("reading the demo district back: {e}")))?;
    let open: i64 = c.findings.iter().map(|(_, n)| n).sum();
    let by_rule: Vec<String> = c.findings.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let line = "─".repeat(78);
    let mut out = String::new();
    let _ = writeln!(out, "{line}");
    let _ = writeln!(
        out,
        " DEMO DATA — 演示数据: a sample district for trying credgov, not for real passwords."
    );
    let _ = writeln!(
        out,
        " {} built in {:.1} s: {} units, {} accounts, {} users;",
        demo.district,
        demo.elapsed.as_secs_f64(),
        c.units,
        c.accounts,
        c.users
    );
    let _ = writeln!(out, " {open} open findings ({}),", by_rule.join(", "));
    let _ = writeln!(
        out,
        " {} live rectification items, {} days of risk snapshots, and one handover case",
        c.rectifications, c.snapshot_days
    );
    let _ = writeln!(
        out,
        " ({}, {}) waiting for its successor to acknowledge.",
        demo.handover.unit_name, demo.handover.leaver.display_name
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        " Sign in at {url} as any of these people (passwords shown once, not logged):"
    );
    let _ = writeln!(out);
    let rows: Vec<[String; 4]> = demo
        .people
        .iter()
        .flat_map(|p| {
            p.roles.iter().map(move |(place, role)| {
                let password = if p.username == LEAVER {
                    "(departed 已离职: cannot sign in)".to_string()
                } else {
                    p.password.to_string()
                };
                [
                    format!("{} {}", p.username, p.name),
                    role_label(*role).to_string(),
                    place_name(*place).to_string(),
                    password,
                ]
            })
        })
        .collect();
    let header = [
        "username 用户名".to_string(),
        "role 角色".to_string(),
        "unit 单位".to_string(),
        "password 密码".to_string(),
    ];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain(std::iter::once(&header))
                .map(|r| width(&r[i]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in std::iter::once(&header).chain(rows.iter()) {
        let cells: Vec<String> = (0..3).map(|i| pad(&r[i], widths[i])).collect();
        let _ = writeln!(out, " {}  {}", cells.join("  "), r[3]);
    }
    let _ = writeln!(out);
    for text in [
        "Roles that require two-factor login (sysadmin, supervisor, unit_admin, auditor) enrol"
            .to_string(),
        "an authenticator app at the first sign-in: the console shows the QR code. Custodians"
            .to_string(),
        "and HR sign in with the password, and enrol a code before they may see a password."
            .to_string(),
        String::new(),
        format!("Where to look: {SUPERVISOR} (the ranking, trends, rectification, the circular),"),
        format!(
            "{SUCCESSOR} (the handover case to acknowledge, on the home page), {} ({} accounts),",
            unit_admin_name(EDUCATION),
            UNITS[EDUCATION].name
        ),
        "sunli (the audit trail), admin (units, users, jobs).".to_string(),
    ] {
        if text.is_empty() {
            let _ = writeln!(out);
        } else {
            let _ = writeln!(out, " {text}");
        }
    }
    let _ = writeln!(out, "{line}");
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(width("admin"), 5);
        assert_eq!(width("区教委"), 6);
        assert_eq!(pad("区教委", 8), "区教委  ");
    }
}
