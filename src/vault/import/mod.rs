//! Bulk import of managed accounts from CSV (UTF-8, GBK/GB18030) or XLSX
//! (`credgov import accounts --unit UNIT_ID FILE`).
//!
//! Every row is checked before anything is written, and every problem is reported
//! with its row number; one bad row stops the whole import. A good file is written in
//! one transaction. Weak or reused passwords are imported (an import records what is
//! in use) but flagged `weak` in the stored version and listed as warnings.
//! Password strength (zxcvbn) runs on all cores and overlaps the database writes.

mod check;
mod columns;
mod parse;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde_json::json;
use zeroize::Zeroizing;

pub use columns::{Field, known_columns, parse_classification, parse_platform};
pub use parse::{FileKind, ParsedFile, decode_text, parse_bytes, parse_file, parse_named};

use self::check::{Item, Scorer, Strength};
use super::accounts::AccountItem;
use super::bulk::insert_accounts_bulk;
use super::error::VaultError;
use crate::app::AppState;
use crate::audit::{Entry, RequestMeta};
use crate::authz::{self, AuthContext, Permission, Principal};
use crate::error::{DomainError, ErrorKind};
use crate::ids::{AccountId, UnitId};
use crate::policy::{StrengthNote, effective_policy};
use crate::tenancy::{Unit, get_unit};

/// One data row of an import file. Cells are as read (trimmed, except the password,
/// which is kept exactly); nothing is checked yet.
#[derive(Clone, Default)]
pub struct ImportRow {
    /// The row number in the file (the header is row 1).
    pub row: usize,
    pub name: String,
    /// An API code (`wechat_official`) or a Chinese label (`微信公众号`).
    pub platform: String,
    pub login_name: String,
    pub password: Zeroizing<String>,
    /// `core`/`important`/`general` or 核心/重要/一般; empty means `important`.
    pub classification: String,
    pub login_url: String,
    pub bound_phone: String,
    pub bound_email: String,
    pub notes: String,
    /// Problems found while reading the cells (an Excel error value, a value under no
    /// header), in English and in Chinese; reported with the row's other problems.
    pub cell_problems: Vec<(Option<Field>, String, String)>,
}

impl ImportRow {
    /// Stores a cell: the password exactly as given, everything else trimmed.
    pub fn set(&mut self, field: Field, value: Zeroizing<String>) {
        let text = || value.trim().to_string();
        match field {
            Field::Password => self.password = value,
            Field::Name => self.name = text(),
            Field::Platform => self.platform = text(),
            Field::LoginName => self.login_name = text(),
            Field::Classification => self.classification = text(),
            Field::LoginUrl => self.login_url = text(),
            Field::BoundPhone => self.bound_phone = text(),
            Field::BoundEmail => self.bound_email = text(),
            Field::Notes => self.notes = text(),
        }
    }
}

impl fmt::Debug for ImportRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportRow")
            .field("row", &self.row)
            .field("name", &self.name)
            .field("platform", &self.platform)
            .field("login_name", &self.login_name)
            .field("password", &"[redacted]")
            .field("classification", &self.classification)
            .field("login_url", &self.login_url)
            .field("bound_phone", &self.bound_phone)
            .field("bound_email", &self.bound_email)
            .field("notes", &self.notes)
            .field("cell_problems", &self.cell_problems)
            .finish()
    }
}

/// A problem or warning about one row. Never contains a password.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowIssue {
    pub row: usize,
    /// None when the issue concerns the whole row.
    #[serde(serialize_with = "column_key")]
    pub column: Option<Field>,
    pub message: String,
    /// The same facts in Chinese, for the console's zh-CN pages (the command line and
    /// the API keep `message`).
    #[serde(skip)]
    pub message_zh: String,
    /// A weak password's reasons in no language, for the console to word after
    /// `message_zh` (`message` has them in English already).
    #[serde(skip)]
    pub notes: Vec<StrengthNote>,
}

impl RowIssue {
    pub fn new(
        row: usize,
        column: Option<Field>,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        RowIssue {
            row,
            column,
            message: message.into(),
            message_zh: message_zh.into(),
            notes: Vec::new(),
        }
    }
}

fn column_key<S: serde::Serializer>(c: &Option<Field>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(f) => s.serialize_str(f.key()),
        None => s.serialize_none(),
    }
}

impl fmt::Display for RowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(
                f,
                "第 {} 行 / row {}, {c}: {}",
                self.row, self.row, self.message
            ),
            None => write!(f, "第 {} 行 / row {}: {}", self.row, self.row, self.message),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImportOpts {
    /// Check and report; write nothing.
    pub dry_run: bool,
    /// Draw a progress bar on stderr (only when stderr is a terminal and there is
    /// more than one row).
    pub progress: bool,
    /// The file's name, for the audit event.
    pub file_name: Option<String>,
    /// `CSV, GB18030` / `XLSX`, for the audit event.
    pub format: Option<String>,
    pub meta: RequestMeta,
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub dry_run: bool,
    /// Data rows in the file.
    pub rows: usize,
    /// Accounts written (0 on a dry run).
    pub imported: usize,
    /// Rows stored (or to be stored) flagged weak: below the unit's password policy.
    pub weak: usize,
    /// Rows whose password another row of the file or a current password of the unit
    /// also uses.
    pub reused: usize,
    /// One entry per flagged fact, in row order.
    pub warnings: Vec<RowIssue>,
    /// Ids of the new accounts, in row order.
    pub account_ids: Vec<AccountId>,
}

#[derive(Debug)]
pub enum ImportError {
    /// The file cannot be read as CSV or XLSX: why, in English and in Chinese.
    File {
        message: String,
        zh: String,
    },
    /// The header row lacks required columns or names unknown or repeated ones.
    Columns {
        header_row: usize,
        missing: Vec<Field>,
        unknown: Vec<String>,
        duplicate: Vec<String>,
    },
    /// A header and no data rows.
    NoRows,
    UnitNotFound(UnitId),
    /// Rows failed the checks; nothing was written.
    Invalid {
        problems: Vec<RowIssue>,
        warnings: Vec<RowIssue>,
    },
    /// The vault refused or failed (a name taken meanwhile, the database …).
    Vault(VaultError),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::File { message, .. } => f.write_str(message),
            ImportError::Columns {
                header_row,
                missing,
                unknown,
                duplicate,
            } => {
                let mut parts = Vec::new();
                if !missing.is_empty() {
                    let names: Vec<String> = missing.iter().map(Field::to_string).collect();
                    parts.push(format!("missing required column(s) {}", names.join(", ")));
                }
                if !unknown.is_empty() {
                    parts.push(format!("unknown column(s) {}", unknown.join(", ")));
                }
                if !duplicate.is_empty() {
                    parts.push(format!("repeated column(s) {}", duplicate.join(", ")));
                }
                write!(
                    f,
                    "header (row {header_row}): {}; known columns: {}",
                    parts.join("; "),
                    known_columns()
                )
            }
            ImportError::NoRows => f.write_str("the file has a header but no data rows"),
            ImportError::UnitNotFound(id) => write!(
                f,
                "unit {id} not found (--unit takes a unit id, as listed by GET /api/v1/units)"
            ),
            ImportError::Invalid { problems, .. } => {
                let mut rows: Vec<usize> = problems.iter().map(|p| p.row).collect();
                rows.dedup();
                write!(
                    f,
                    "{} problem(s) in {} row(s); nothing was imported",
                    problems.len(),
                    rows.len()
                )
            }
            ImportError::Vault(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ImportError {}

impl ImportError {
    /// A file that cannot be read, saying why in English and in Chinese.
    pub fn file(message: impl Into<String>, zh: impl Into<String>) -> Self {
        ImportError::File {
            message: message.into(),
            zh: zh.into(),
        }
    }

    /// The codes of an `ImportError`'s own variants (see `own_code`); what the vault
    /// reports answers with `VaultError`'s.
    pub const CODES: &'static [&'static str] = &[
        "unreadable_file",
        "bad_columns",
        "no_rows",
        "unit_not_found",
        "invalid_rows",
    ];
}

/// Every import failure is the operator's to fix (exit 1 on the command line), except
/// what the vault itself reports (e.g. an internal error).
impl DomainError for ImportError {
    fn nested(&self) -> Option<&dyn DomainError> {
        match self {
            ImportError::Vault(e) => Some(e),
            _ => None,
        }
    }

    fn own_kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// Why the file cannot be read, and the header's problems naming the columns: no
    /// fixed sentence can say either.
    fn own_message_zh(&self) -> Option<Cow<'_, str>> {
        if let ImportError::File { zh, .. } = self {
            return Some(Cow::Borrowed(zh));
        }
        let ImportError::Columns {
            header_row,
            missing,
            unknown,
            duplicate,
        } = self
        else {
            return None;
        };
        let mut parts = Vec::new();
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(Field::to_string).collect();
            parts.push(format!("缺少必填列 {}", names.join("、")));
        }
        if !unknown.is_empty() {
            parts.push(format!("无法识别的列 {}", unknown.join("、")));
        }
        if !duplicate.is_empty() {
            parts.push(format!("重复的列 {}", duplicate.join("、")));
        }
        Some(Cow::Owned(format!(
            "表头（第 {header_row} 行）：{}。可用的列：{}。",
            parts.join("；"),
            columns::known_columns_zh()
        )))
    }

    fn own_code(&self) -> &'static str {
        match self {
            ImportError::File { .. } => "unreadable_file",
            ImportError::Columns { .. } => "bad_columns",
            ImportError::NoRows => "no_rows",
            ImportError::UnitNotFound(_) => "unit_not_found",
            ImportError::Invalid { .. } => "invalid_rows",
            // Nested errors answer through `nested`.
            _ => "internal",
        }
    }
}

crate::domain_error!(ImportError);

impl<E: Into<VaultError>> From<E> for ImportError {
    fn from(e: E) -> Self {
        ImportError::Vault(e.into())
    }
}

/// The unit an import goes into; `UnitNotFound` names the id when there is none.
pub async fn import_unit(state: &AppState, unit_id: &UnitId) -> Result<Unit, ImportError> {
    get_unit(state.db.pool(), unit_id)
        .await?
        .ok_or_else(|| ImportError::UnitNotFound(unit_id.clone()))
}

/// The unit an import by `ctx` goes into: it must exist (`UnitNotFound`) and, for
/// anyone but the command-line operator, the caller must hold the right to write
/// accounts there (404 outside the caller's units, 403 for a role without it). The
/// console asks this before it reads an uploaded file.
pub async fn import_target(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: &UnitId,
) -> Result<Unit, ImportError> {
    let unit = import_unit(state, unit_id).await?;
    if !matches!(ctx.principal, Principal::Operator { .. }) {
        authz::authorize(ctx, Permission::AccountsWrite, &unit.as_ref(), "unit")?;
    }
    Ok(unit)
}

/// Rows scored per batch at most: large enough that a thread's batch outweighs passing
/// it on, small enough that the writer starts early; written in whole INSERTs.
const BATCH: usize = 3 * crate::db::ROWS_PER_STATEMENT;
/// Rows scored per batch at least. Batches shrink towards the end (a share of what is
/// left), so the threads finish together: with whole batches of [`BATCH`] to the end,
/// one thread scored its last batch alone while the other cores had nothing to do.
const MIN_BATCH: usize = 8;

/// Checks `rows` for the unit and, unless `opts.dry_run`, imports them all in one
/// transaction. Any problem → `ImportError::Invalid` listing every problem, nothing
/// written.
///
/// The command-line operator may import into any unit; anyone else needs the right to
/// write accounts there.
pub async fn import_accounts(
    state: &AppState,
    ctx: &AuthContext,
    unit_id: &UnitId,
    rows: Vec<ImportRow>,
    opts: &ImportOpts,
) -> Result<ImportReport, ImportError> {
    let started = std::time::Instant::now();
    let unit = import_target(state, ctx, unit_id).await?;
    if rows.is_empty() {
        return Err(ImportError::NoRows);
    }
    let policy = effective_policy(state, &unit)
        .await
        .map_err(VaultError::from)?
        .policy
        .account_password;
    let existing = check::existing_names(state, unit_id).await?;
    let in_use = check::current_fingerprints(state, unit_id).await?;
    let prepared = check::prepare(state, rows, &existing, &in_use);
    let forbid_reuse = policy.forbid_unit_reuse;
    let scorer = Arc::new(Scorer {
        policy,
        unit_name: unit.name.clone(),
    });
    let items = Arc::new(prepared.items);
    let mut warnings = prepared.warnings;
    let total = items.len();
    let reused = items.iter().filter(|i| i.reused).count();
    let bar = progress_bar(opts.progress, total);
    let _clear = ClearOnDrop(bar.clone());

    if !prepared.problems.is_empty() || opts.dry_run {
        bar.set_message("checking passwords");
        let strengths = score_all(items.clone(), scorer, bar.clone()).await?;
        let mut weak = 0;
        for (item, s) in items.iter().zip(&strengths) {
            if let Some(w) = weak_warning(item, s, forbid_reuse) {
                weak += 1;
                warnings.push(w);
            }
        }
        check::sort_issues(&mut warnings);
        if !prepared.problems.is_empty() {
            return Err(ImportError::Invalid {
                problems: prepared.problems,
                warnings,
            });
        }
        return Ok(ImportReport {
            unit_id: unit_id.clone(),
            unit_name: unit.name,
            dry_run: true,
            rows: total,
            imported: 0,
            weak,
            reused,
            warnings,
            account_ids: Vec::new(),
        });
    }

    // Score on every core while this task writes the batches already scored with
    // multi-row INSERTs. Each scoring thread takes the next batch (no thread waits for
    // another at a batch's end); the writer puts them back in row order.
    bar.set_message("importing");
    let threads = rayon::current_num_threads();
    // Unbounded: a scoring thread never waits for the writer. The threads are rayon's,
    // shared by every import of this process; one blocked on a full channel while its
    // writer waited for SQLite's write permit, held by another import whose scoring
    // was queued behind it, would stop both. The scores are a few bytes a row.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(usize, Vec<Strength>)>();
    let scoring = {
        let items = items.clone();
        tokio::task::spawn_blocking(move || score_batches(&items, &scorer, threads, &sender))
    };
    let checked = started.elapsed();
    let mut tx = state.db.begin_write().await?;
    let mut ids: Vec<AccountId> = Vec::with_capacity(total);
    let mut weak = 0;
    let mut writing = std::time::Duration::ZERO;
    let mut in_order = InOrder::default();
    let mut last_scored = checked;
    loop {
        // Whole INSERTs of scored rows in row order as they come, the rest at the end:
        // one statement shape (prepared once) whatever size the batches were scored in.
        let (batch, done) = match receiver.recv().await {
            Some((from, scored)) => {
                last_scored = started.elapsed();
                in_order.put(from, scored);
                (in_order.take_whole(crate::db::ROWS_PER_STATEMENT), false)
            }
            None => (in_order.take_rest(), true),
        };
        if !batch.is_empty() {
            let batch_started = std::time::Instant::now();
            let start = ids.len();
            let Some(rows) = items.get(start..start + batch.len()) else {
                return Err(VaultError::internal("import: more scores than rows").into());
            };
            let mut accounts = Vec::with_capacity(rows.len());
            for (item, s) in rows.iter().zip(&batch) {
                let flagged = weak_warning(item, s, forbid_reuse);
                let is_weak = flagged.is_some();
                if let Some(w) = flagged {
                    weak += 1;
                    warnings.push(w);
                }
                accounts.push(AccountItem {
                    input: &item.input,
                    password: &item.password,
                    score: s.score,
                    weak: is_weak,
                });
            }
            ids.extend(insert_accounts_bulk(state, &mut tx, ctx, &unit, &accounts).await?);
            bar.inc(rows.len() as u64);
            writing += batch_started.elapsed();
        }
        if done {
            break;
        }
    }
    let scored = started.elapsed();
    scoring
        .await
        .map_err(|e| VaultError::internal(format!("password scoring stopped: {e}")))?;
    if ids.len() != total {
        return Err(VaultError::internal("import: password scoring ended early").into());
    }
    let now = state.now();
    tx.audit(
        now,
        &opts.meta,
        Entry::by(ctx, unit_id.as_str(), "account.import").target("unit", unit_id.as_str()).details(json!({
                "file": opts.file_name,
                "format": opts.format,
                "rows": total,
                "imported": ids.len(),
                "weak": weak,
                "reused": reused,
                "accounts": ids.iter().zip(items.iter()).map(|(id, item)| json!({ "id": id, "name": item.input.name })).collect::<Vec<_>>(),
            })),
    )
    .await
    .map_err(VaultError::from)?;
    let audited = started.elapsed();
    tx.commit().await?;
    // Where an import's time goes (the import benchmark prints these): rows checked,
    // scored and written (the writer's own share, and what it still wrote after the
    // last batch was scored), the final audit event, and the commit.
    tracing::debug!(
        rows = total,
        checked_ms = checked.as_millis() as u64,
        scored_and_written_ms = (scored - checked).as_millis() as u64,
        writer_busy_ms = writing.as_millis() as u64,
        written_after_scoring_ms = (scored - last_scored).as_millis() as u64,
        audit_ms = (audited - scored).as_millis() as u64,
        commit_ms = (started.elapsed() - audited).as_millis() as u64,
        "import timing"
    );
    check::sort_issues(&mut warnings);
    Ok(ImportReport {
        unit_id: unit_id.clone(),
        unit_name: unit.name,
        dry_run: false,
        rows: total,
        imported: ids.len(),
        weak,
        reused,
        warnings,
        account_ids: ids,
    })
}

/// Scores `items` on `threads` of rayon's threads (the dry run's too), each taking the
/// next batch in row order ([`batch_len`]), and sends each batch with the index of its
/// first row. Stops when every batch is scored or the writer has gone. Threads started
/// for each import instead spent a few per cent more CPU on the same scoring than the
/// pool's warm ones (their stacks' and heaps' first page faults).
fn score_batches(
    items: &[Item],
    scorer: &Scorer,
    threads: usize,
    sender: &tokio::sync::mpsc::UnboundedSender<(usize, Vec<Strength>)>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let total = items.len();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let end = |from: usize| from + batch_len(total - from, threads);
            let Ok(from) = next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |from| {
                (from < total).then(|| end(from))
            }) else {
                return;
            };
            let Some(batch) = items.get(from..end(from)) else {
                return;
            };
            let scored = batch.iter().map(|i| scorer.score(i)).collect();
            if sender.send((from, scored)).is_err() {
                return;
            }
        }
    };
    rayon::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| work());
        }
    });
}

/// How many of the `left` rows the next batch takes: [`BATCH`] while there is plenty,
/// then a quarter of each thread's share of what is left, down to [`MIN_BATCH`].
fn batch_len(left: usize, threads: usize) -> usize {
    (left / (4 * threads.max(1)))
        .clamp(MIN_BATCH, BATCH)
        .min(left)
}

/// Scored batches put back in row order as they arrive (each under its first row's
/// index), and handed on in row order.
#[derive(Default)]
struct InOrder {
    /// Rows put in order so far (the first row of the next batch to come in order).
    next: usize,
    waiting: std::collections::BTreeMap<usize, Vec<Strength>>,
    /// Scores in row order from `next - ready.len()`, not yet handed on.
    ready: Vec<Strength>,
}

impl InOrder {
    fn put(&mut self, from: usize, batch: Vec<Strength>) {
        self.waiting.insert(from, batch);
        while let Some(batch) = self.waiting.remove(&self.next) {
            self.next += batch.len();
            self.ready.extend(batch);
        }
    }

    /// The ready scores in row order, as many as whole multiples of `chunk` allow.
    fn take_whole(&mut self, chunk: usize) -> Vec<Strength> {
        let whole = self.ready.len() - self.ready.len() % chunk.max(1);
        self.ready.drain(..whole).collect()
    }

    /// Every ready score.
    fn take_rest(&mut self) -> Vec<Strength> {
        std::mem::take(&mut self.ready)
    }
}

/// The warning for a row stored below policy, if it is.
fn weak_warning(item: &Item, s: &Strength, forbid_reuse: bool) -> Option<RowIssue> {
    if !item.ok {
        return None;
    }
    let column = Some(Field::Password);
    if !s.acceptable {
        let mut issue = RowIssue::new(
            item.row,
            column,
            format!(
                "weak password, imported and flagged weak: {}",
                s.feedback.join("; ")
            ),
            "密码强度不足，导入后标记为弱口令：",
        );
        issue.notes = s.notes.clone();
        Some(issue)
    } else if item.reused && forbid_reuse {
        Some(RowIssue::new(
            item.row,
            column,
            "flagged weak: the unit's policy forbids using one password for two accounts",
            "标记为弱口令：本单位的密码策略不允许两个账号使用同一密码。",
        ))
    } else {
        None
    }
}

async fn score_all(
    items: Arc<Vec<Item>>,
    scorer: Arc<Scorer>,
    bar: indicatif::ProgressBar,
) -> Result<Vec<Strength>, ImportError> {
    tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        items
            .par_iter()
            .map(|i| {
                let s = scorer.score(i);
                bar.inc(1);
                s
            })
            .collect()
    })
    .await
    .map_err(|e| VaultError::internal(format!("password scoring stopped: {e}")).into())
}

/// Removes the bar however the import ends.
struct ClearOnDrop(indicatif::ProgressBar);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A bar on stderr when it is a terminal and there is more than one row; else hidden.
fn progress_bar(enabled: bool, len: usize) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    if !enabled || len < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{wide_bar}] {pos}/{len} rows, {eta} left")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CliError;

    #[test]
    fn the_command_line_exits_1_for_what_the_operator_can_fix() {
        let e = CliError::from(ImportError::UnitNotFound(UnitId::new("nope")));
        assert_eq!(e.exit_code, 1);
        assert_eq!(
            e.message,
            "unit nope not found (--unit takes a unit id, as listed by GET /api/v1/units)"
        );
        assert_eq!(CliError::from(ImportError::NoRows).exit_code, 1);
        let taken = CliError::from(ImportError::from(VaultError::ImportNameTaken));
        assert_eq!(taken.exit_code, 1);
        assert!(
            taken
                .message
                .starts_with("an account name in the file was taken")
        );
    }

    #[test]
    fn codes_lists_every_own_code() {
        for e in [
            ImportError::file("x", "某"),
            ImportError::Columns {
                header_row: 1,
                missing: Vec::new(),
                unknown: Vec::new(),
                duplicate: Vec::new(),
            },
            ImportError::NoRows,
            ImportError::UnitNotFound(UnitId::new("nope")),
            ImportError::Invalid {
                problems: Vec::new(),
                warnings: Vec::new(),
            },
        ] {
            assert!(ImportError::CODES.contains(&e.own_code()), "{e:?}");
        }
    }

    #[test]
    fn a_bad_file_or_header_is_named_in_chinese_too() {
        let e = ImportError::Columns {
            header_row: 2,
            missing: vec![Field::LoginName],
            unknown: vec!["备用".into()],
            duplicate: Vec::new(),
        };
        let zh = e.message_zh().unwrap_or_default();
        assert!(
            zh.starts_with("表头（第 2 行）：缺少必填列 登录名/login_name；无法识别的列 备用。"),
            "{zh}"
        );
        assert!(zh.contains("名称/name（必填）"), "{zh}");
        assert_eq!(ImportError::NoRows.message_zh(), None);
        let e = ImportError::file("the workbook has no worksheet", "工作簿中没有工作表。");
        assert_eq!(e.message_zh().as_deref(), Some("工作簿中没有工作表。"));
        assert_eq!(e.to_string(), "the workbook has no worksheet");
    }

    #[test]
    fn batches_cover_every_row_once_and_shrink_towards_the_end() {
        // The batch lengths the threads take, in order, for `total` rows.
        let lens = |total: usize, threads: usize| {
            let mut lens = Vec::new();
            let mut from = 0;
            while from < total {
                let len = batch_len(total - from, threads);
                assert!((1..=BATCH).contains(&len), "{total}/{threads}: {len}");
                lens.push(len);
                from += len;
            }
            assert_eq!(from, total, "{total}/{threads}");
            lens
        };
        for (total, threads) in [(1, 2), (7, 1), (5000, 2), (5000, 8), (121, 3)] {
            let lens = lens(total, threads);
            assert!(lens.windows(2).all(|w| w[1] <= w[0]), "{lens:?}");
        }
        let lens = lens(5000, 2);
        assert_eq!(lens.first(), Some(&BATCH));
        // The last batches are small: no thread scores a whole batch alone at the end.
        assert!(
            lens.iter().rev().take(4).all(|&l| l <= MIN_BATCH),
            "{lens:?}"
        );
    }

    #[test]
    fn scored_batches_come_out_in_row_order_in_whole_chunks() {
        let batch = |score: u8, n: usize| {
            (0..n)
                .map(|_| Strength {
                    score,
                    ..Strength::default()
                })
                .collect::<Vec<_>>()
        };
        let mut order = InOrder::default();
        order.put(120, batch(2, 30));
        assert!(order.take_whole(40).is_empty(), "row 0 has not come yet");
        order.put(0, batch(1, 120));
        let first = order.take_whole(40);
        assert_eq!(first.len(), 120);
        assert!(first.iter().all(|s| s.score == 1));
        order.put(150, batch(3, 15));
        let scores = |b: Vec<Strength>| b.iter().map(|s| s.score).collect::<Vec<u8>>();
        // 45 rows ready: one whole chunk, then the rest.
        assert_eq!(
            scores(order.take_whole(40)),
            [vec![2; 30], vec![3; 10]].concat()
        );
        assert!(order.take_whole(40).is_empty());
        assert_eq!(scores(order.take_rest()), vec![3; 5]);
        assert!(order.take_rest().is_empty());
    }

    #[test]
    fn internal_failures_exit_70_without_a_code_prefix() {
        let e = CliError::from(ImportError::from(VaultError::internal("disk full")));
        assert_eq!((e.exit_code, e.message.as_str()), (70, "disk full"));
    }
}
