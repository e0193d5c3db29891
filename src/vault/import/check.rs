//! Checking every row before anything is written: required cells, platform and
//! classification labels, the vault's field rules, duplicate names (in the file and
//! in the unit), empty passwords; and the warnings an import must not hide: weak
//! passwords and passwords used twice.

use std::collections::{HashMap, HashSet};

use sqlx::Row;
use zeroize::Zeroizing;

use super::columns::{
    Field, parse_classification, parse_platform, platform_choices, platform_choices_zh,
};
use super::{ImportRow, RowIssue};
use crate::app::AppState;
use crate::ids::UnitId;
use crate::policy::{AccountPasswordPolicy, StrengthNote, check_strength};
use crate::vault::accounts::{NewAccount, validate_new};
use crate::vault::error::VaultResult;
use crate::vault::model::{Classification, Platform};
use crate::vault::secrets::Fingerprinter;

/// Longer than this is certainly not a password (a shifted column, a pasted text).
const MAX_PASSWORD_CHARS: usize = 1024;

/// A row ready to insert once scored (`ok`), or one that has problems.
pub(crate) struct Item {
    pub row: usize,
    /// `password` is None here: the password is held in `password` below.
    pub input: NewAccount,
    pub password: Zeroizing<String>,
    /// Another row of the file or a current password of the unit is the same.
    pub reused: bool,
    /// No problems: the row would be imported.
    pub ok: bool,
}

pub(crate) struct Prepared {
    pub items: Vec<Item>,
    pub problems: Vec<RowIssue>,
    pub warnings: Vec<RowIssue>,
}

/// Scores passwords against the unit's policy with the same context words as the API.
pub(crate) struct Scorer {
    pub policy: AccountPasswordPolicy,
    pub unit_name: String,
}

#[derive(Debug, Default)]
pub(crate) struct Strength {
    pub score: u8,
    pub acceptable: bool,
    pub feedback: Vec<String>,
    pub notes: Vec<StrengthNote>,
}

impl Scorer {
    pub fn score(&self, item: &Item) -> Strength {
        if !item.ok {
            return Strength {
                acceptable: true,
                ..Strength::default()
            };
        }
        let r = check_strength(
            &self.policy,
            &item.password,
            &[
                &self.unit_name,
                &item.input.name,
                item.input.platform.as_str(),
                &item.input.login_name,
            ],
        );
        Strength {
            score: r.score,
            acceptable: r.acceptable,
            feedback: r.feedback,
            notes: r.notes,
        }
    }
}

pub(crate) async fn existing_names(
    state: &AppState,
    unit_id: &UnitId,
) -> VaultResult<HashSet<String>> {
    let rows = sqlx::query("SELECT name FROM accounts WHERE unit_id = $1")
        .bind(unit_id)
        .fetch_all(state.db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?)
}

/// Fingerprint → names of the unit's accounts whose current (or pending) password it is.
pub(crate) async fn current_fingerprints(
    state: &AppState,
    unit_id: &UnitId,
) -> VaultResult<HashMap<String, Vec<String>>> {
    let rows = sqlx::query(
        "SELECT v.fingerprint, a.name FROM credential_versions v \
         JOIN accounts a ON a.unit_id = v.unit_id AND a.id = v.account_id \
         WHERE v.unit_id = $1 AND v.state IN ('current', 'pending') ORDER BY a.name",
    )
    .bind(unit_id)
    .fetch_all(state.db.pool())
    .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for r in &rows {
        let fp: String = r.try_get(0)?;
        let name: String = r.try_get(1)?;
        let names = out.entry(fp).or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(out)
}

/// Checks every row; collects all problems and the warnings that need no scoring.
pub(crate) fn prepare(
    state: &AppState,
    rows: Vec<ImportRow>,
    existing: &HashSet<String>,
    in_use: &HashMap<String, Vec<String>>,
) -> Prepared {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut items = Vec::with_capacity(rows.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let mut row_problems: Vec<(Option<Field>, String, String)> = r.cell_problems;
        let bad_cells: Vec<Option<Field>> = row_problems.iter().map(|(f, _, _)| *f).collect();
        let mut problem = |f: Field, m: String, zh: String| {
            if !bad_cells.contains(&Some(f)) {
                row_problems.push((Some(f), m, zh));
            }
        };

        let platform = if r.platform.is_empty() {
            problem(
                Field::Platform,
                "is required".into(),
                required_zh(Field::Platform),
            );
            Platform::Other
        } else {
            parse_platform(&r.platform).unwrap_or_else(|| {
                problem(
                    Field::Platform,
                    format!(
                        "unknown platform 「{}」; use one of {}",
                        r.platform,
                        platform_choices()
                    ),
                    format!(
                        "无法识别平台「{}」，请填写以下之一：{}",
                        r.platform,
                        platform_choices_zh()
                    ),
                );
                Platform::Other
            })
        };
        let classification = if r.classification.is_empty() {
            Classification::Important
        } else {
            parse_classification(&r.classification).unwrap_or_else(|| {
                problem(
                    Field::Classification,
                    format!(
                        "unknown classification 「{}」; use 核心/core, 重要/important or 一般/general (empty means important)",
                        r.classification
                    ),
                    format!(
                        "无法识别级别「{}」，请填写 核心/core、重要/important 或 一般/general（不填即为重要）。",
                        r.classification
                    ),
                );
                Classification::Important
            })
        };
        for (field, value) in [(Field::Name, &r.name), (Field::LoginName, &r.login_name)] {
            if value.is_empty() {
                problem(field, "is required".into(), required_zh(field));
            }
        }
        for (field, value) in [
            (Field::LoginName, &r.login_name),
            (Field::BoundPhone, &r.bound_phone),
        ] {
            if excel_exponent(value) {
                problem(
                    field,
                    format!(
                        "「{value}」 is a number Excel shortened to exponent form, so the digits are lost; \
                         format the column as text, re-enter the numbers and export again"
                    ),
                    format!(
                        "「{value}」是被 Excel 缩写成科学计数法的数字，原有数字已丢失；\
                         请将该列设为文本格式，重新输入号码后再导出。"
                    ),
                );
            }
        }
        let chars = r.password.chars().count();
        if chars == 0 {
            problem(
                Field::Password,
                "is required: an account cannot be imported without its password".into(),
                "密码为必填项：没有密码的账号无法导入。".into(),
            );
        } else if chars > MAX_PASSWORD_CHARS {
            problem(
                Field::Password,
                format!("is longer than {MAX_PASSWORD_CHARS} characters; is the column right?"),
                format!("密码超过 {MAX_PASSWORD_CHARS} 个字符，请核对是否填错了列。"),
            );
        } else if r.password.chars().any(char::is_control) {
            problem(
                Field::Password,
                "contains a line break, tab or other control character".into(),
                "密码中含有换行符、制表符等控制字符。".into(),
            );
        } else if r.password.trim() != r.password.as_str() {
            warnings.push(RowIssue::new(
                r.row,
                Some(Field::Password),
                "the password begins or ends with a space; it was kept exactly as in the file",
                "密码开头或结尾有空格，已按文件原样保留。",
            ));
        }

        let name = r.name.trim().to_string();
        if !name.is_empty() {
            if let Some(first) = seen.get(&name) {
                problem(
                    Field::Name,
                    format!("duplicate name 「{name}」: row {first} has the same name"),
                    format!("名称「{name}」重复：第 {first} 行的名称与此相同。"),
                );
            } else {
                seen.insert(name.clone(), r.row);
            }
            if existing.contains(&name) {
                problem(
                    Field::Name,
                    format!("the unit already has an account named 「{name}」"),
                    format!("本单位已有名称为「{name}」的账号。"),
                );
            }
        }

        let opt = |s: String| if s.is_empty() { None } else { Some(s) };
        let mut input = NewAccount {
            name: r.name,
            platform,
            login_name: r.login_name,
            login_url: opt(r.login_url),
            classification,
            bound_phone: opt(r.bound_phone),
            bound_email: opt(r.bound_email),
            binding_holder_id: None,
            notes: opt(r.notes),
            password: None,
            totp_secret: None,
            feed_url: None,
        };
        vault_rules(&mut input, &mut row_problems);

        let ok = row_problems.is_empty();
        problems.extend(
            row_problems
                .into_iter()
                .map(|(column, message, zh)| RowIssue::new(r.row, column, message, zh)),
        );
        items.push(Item {
            row: r.row,
            input,
            password: r.password,
            reused: false,
            ok,
        });
    }
    reuse_warnings(state, &mut items, in_use, &mut warnings);
    sort_issues(&mut problems);
    sort_issues(&mut warnings);
    Prepared {
        items,
        problems,
        warnings,
    }
}

/// The vault's own field rules (`validate_new`: lengths, printable text), every failing
/// field reported: a failing field is cleared and the rest checked again.
fn vault_rules(input: &mut NewAccount, out: &mut Vec<(Option<Field>, String, String)>) {
    let already: Vec<Option<Field>> = out.iter().map(|(f, _, _)| *f).collect();
    // Required cells already reported as empty are not reported twice.
    if input.name.is_empty() {
        input.name = "-".into();
    }
    if input.login_name.is_empty() {
        input.login_name = "-".into();
    }
    for _ in 0..Field::ALL.len() {
        let Err(e) = validate_new(input) else {
            return;
        };
        let field = e.field.as_deref();
        // Every InputError the vault builds carries its Chinese sentence (a test checks).
        let zh = e.zh.clone().unwrap_or_else(|| e.message.clone());
        let Some(field) = Field::ALL.into_iter().find(|f| field == Some(f.key())) else {
            out.push((None, e.message, zh));
            return;
        };
        if !already.contains(&Some(field)) {
            out.push((Some(field), e.message, zh));
        }
        match field {
            Field::Name => input.name = "-".into(),
            Field::LoginName => input.login_name = "-".into(),
            Field::LoginUrl => input.login_url = None,
            Field::BoundPhone => input.bound_phone = None,
            Field::BoundEmail => input.bound_email = None,
            Field::Notes => input.notes = None,
            Field::Platform | Field::Password | Field::Classification => return,
        }
    }
}

/// Marks rows whose password another row or a current password of the unit also uses.
fn reuse_warnings(
    state: &AppState,
    items: &mut [Item],
    in_use: &HashMap<String, Vec<String>>,
    warnings: &mut Vec<RowIssue>,
) {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if !item.password.is_empty() {
            groups.entry(item.password.as_str()).or_default().push(i);
        }
    }
    let mut shared: Vec<(usize, Vec<String>)> = Vec::new();
    for members in groups.values().filter(|m| m.len() > 1) {
        for &i in members {
            let others: Vec<String> = members
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| items[j].row.to_string())
                .collect();
            shared.push((i, others));
        }
    }
    drop(groups);
    for (i, others) in shared {
        items[i].reused = true;
        warnings.push(RowIssue::new(
            items[i].row,
            Some(Field::Password),
            format!("the same password is used in row {}", others.join(", ")),
            format!("第 {} 行使用了相同的密码。", others.join("、")),
        ));
    }
    if in_use.is_empty() {
        return;
    }
    let fingerprints = Fingerprinter::new(state);
    for item in items.iter_mut() {
        if item.password.is_empty() {
            continue;
        }
        if let Some(names) = in_use.get(&fingerprints.of(&item.password)) {
            item.reused = true;
            let quoted: Vec<String> = names.iter().take(3).map(|n| format!("「{n}」")).collect();
            let mut shown = quoted.clone();
            let mut shown_zh = quoted.join("、");
            if names.len() > 3 {
                shown.push(format!("and {} more", names.len() - 3));
                shown_zh.push_str(&format!("等 {} 个账号", names.len()));
            }
            warnings.push(RowIssue::new(
                item.row,
                Some(Field::Password),
                format!(
                    "the same password is the current password of {} in this unit",
                    shown.join(", ")
                ),
                format!("与本单位{shown_zh}的现用密码相同。"),
            ));
        }
    }
}

/// "名称为必填项，本行未填写。"
fn required_zh(field: Field) -> String {
    format!("{}为必填项，本行未填写。", field.label())
}

/// Row order, then column order (whole-row issues first); stable otherwise.
pub(crate) fn sort_issues(issues: &mut [RowIssue]) {
    issues.sort_by_key(|i| (i.row, i.column));
}

/// `1.38E+10`: what Excel writes for a long number in a General-format cell.
fn excel_exponent(s: &str) -> bool {
    let Some((mantissa, exp)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let Some(exp) = exp.strip_prefix('+') else {
        return false;
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    !exp.is_empty()
        && exp.chars().all(|c| c.is_ascii_digit())
        && int.len() == 1
        && int.chars().all(|c| c.is_ascii_digit())
        && !frac.is_empty()
        && frac.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_exponent_form_is_recognised() {
        assert!(excel_exponent("1.38E+10"));
        assert!(excel_exponent("1.38001E+10"));
        assert!(excel_exponent("1E+10"));
        assert!(!excel_exponent("13800000000"));
        assert!(!excel_exponent("admin@example.com"));
        assert!(!excel_exponent("E+10"));
        assert!(!excel_exponent("12.3E+4"));
        assert!(!excel_exponent("1.2E-4x"));
    }

    #[test]
    fn vault_rules_report_every_failing_field() {
        let mut input = NewAccount {
            name: "n".repeat(101),
            platform: Platform::Weibo,
            login_name: "ok".into(),
            login_url: Some("u".repeat(501)),
            classification: Classification::Core,
            bound_phone: Some("1".repeat(33)),
            bound_email: None,
            binding_holder_id: None,
            notes: None,
            password: None,
            totp_secret: None,
            feed_url: None,
        };
        let mut out = Vec::new();
        vault_rules(&mut input, &mut out);
        let fields: Vec<Option<Field>> = out.iter().map(|(f, _, _)| *f).collect();
        assert_eq!(
            fields,
            vec![
                Some(Field::Name),
                Some(Field::LoginUrl),
                Some(Field::BoundPhone)
            ]
        );
        for (_, en, zh) in &out {
            assert!(zh != en && zh.contains("字符"), "{en} / {zh}");
        }
    }

    fn item(name: &str, password: &str) -> Item {
        Item {
            row: 2,
            input: NewAccount {
                name: name.into(),
                platform: Platform::Weibo,
                login_name: "wangxin".into(),
                login_url: None,
                classification: Classification::Core,
                bound_phone: None,
                bound_email: None,
                binding_holder_id: None,
                notes: None,
                password: None,
                totp_secret: None,
                feed_url: None,
            },
            password: Zeroizing::new(password.into()),
            reused: false,
            ok: true,
        }
    }

    #[test]
    fn scoring_uses_context_words_and_survives_any_text() {
        let scorer = Scorer {
            policy: AccountPasswordPolicy {
                min_length: 12,
                max_length: 128,
                min_score: 3,
                required_classes: Vec::new(),
                history_depth: 10,
                forbid_unit_reuse: true,
            },
            unit_name: "区网信办".into(),
        };
        assert!(
            scorer
                .score(&item("官方微博", "Violet-Harbor-Quartz-91"))
                .acceptable
        );
        assert!(
            check_strength(&scorer.policy, "weibowangxin", &[]).acceptable,
            "strong without context"
        );
        let s = scorer.score(&item("官方微博", "weibowangxin"));
        assert!(
            !s.acceptable,
            "the login name and platform are context words: {s:?}"
        );
        for odd in [
            "密码密码密码密码密码密码",
            "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑",
            "e\u{301}e\u{301}e\u{301}abcdefghijk",
            "ＡＢＣ１２３４５６７８９",
        ] {
            let _ = scorer.score(&item("官方微博", odd));
        }
        let mut bad = item("x", "");
        bad.ok = false;
        let s = scorer.score(&bad);
        assert!(
            s.acceptable && s.feedback.is_empty(),
            "rows with problems are not scored"
        );
    }

    #[test]
    fn issues_sort_by_row_then_column() {
        let issue = |row, column| RowIssue::new(row, column, "", "");
        let mut v = vec![
            issue(3, Some(Field::Password)),
            issue(2, Some(Field::Password)),
            issue(3, Some(Field::Name)),
            issue(3, None),
        ];
        sort_issues(&mut v);
        let order: Vec<(usize, Option<Field>)> = v.iter().map(|i| (i.row, i.column)).collect();
        assert_eq!(
            order,
            vec![
                (2, Some(Field::Password)),
                (3, None),
                (3, Some(Field::Name)),
                (3, Some(Field::Password))
            ]
        );
    }
}
