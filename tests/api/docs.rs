//! The Chinese manuals (`docs/zh-CN/运维手册.md`, `docs/zh-CN/用户手册.md`) name only
//! commands and configuration keys that exist.
//!
//! Conventions the manuals follow (and this test relies on):
//! - **Commands**: `credgov` at the start of a backticked span, at the start of a line
//!   (after indentation, e.g. in a code block) or right after a `/`
//!   (`/usr/local/bin/credgov migrate`), followed by a space and lowercase words, is a
//!   command: the first word is the subcommand, a second lowercase word (letters, digits,
//!   `-`) its sub-subcommand. Placeholders are written in CAPITALS (`credgov jobs run
//!   NAME`), options start with `-`. Each is checked by `credgov <words> --help` exiting 0.
//!   (`credgov` elsewhere — `-u credgov`, `credgov.toml` — is not a command.)
//! - **Configuration keys**: between `<!-- config-keys:start -->` and
//!   `<!-- config-keys:end -->`, the first cell of every table row holds one backticked
//!   key, dotted for nested tables (`metrics.listen`, `jobs.daily_scan.cron`). Each must be
//!   a field path of `Config::default()` serialized to TOML, or one of the `Option` fields
//!   that serialize to nothing by default (`OPTIONAL_KEYS`).
//! - **Environment variables**: every `CREDGOV_<KEY>` anywhere in the manuals must map
//!   to a key the same way (`__` → `.`, lowercase; or so once a `_FILE` suffix is dropped),
//!   apart from `CREDGOV_CONFIG` and `CREDGOV_LOG`.

use std::collections::BTreeSet;
use std::path::PathBuf;

const MANUALS: [&str; 2] = ["docs/zh-CN/运维手册.md", "docs/zh-CN/用户手册.md"];

/// `Option` fields that are `None` by default, so absent from the serialized defaults.
const OPTIONAL_KEYS: [&str; 6] = [
    "policies_dir",
    "hr_signing_secret",
    "argon2.max_concurrent",
    "argon2.max_queue",
    "metrics.listen",
    "metrics.token",
];

/// `CREDGOV_*` variables that are not configuration keys.
const OTHER_VARIABLES: [&str; 2] = ["CREDGOV_CONFIG", "CREDGOV_LOG"];

fn read(manual: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(manual);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn is_word(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && w.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Every `credgov <sub> [<sub>]` command named in `text` (see the conventions above).
fn commands(text: &str) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("credgov") {
        let before = text[..at].chars().next_back();
        let line_start = text[..at]
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty());
        if !(line_start || matches!(before, Some('`' | '/'))) {
            continue;
        }
        let rest = &text[at + "credgov".len()..];
        if !rest.starts_with(' ') {
            continue;
        }
        let line = rest.split(['\n', '`', '|', '#']).next().unwrap_or("");
        let words: Vec<String> = line
            .split_whitespace()
            .take(2)
            .take_while(|w| is_word(w))
            .map(str::to_string)
            .collect();
        if !words.is_empty() {
            found.insert(words);
        }
    }
    found
}

/// The backticked keys in the first cell of the table rows of the marked section.
fn config_keys(text: &str) -> Vec<String> {
    let Some((_, after)) = text.split_once("<!-- config-keys:start -->") else {
        return Vec::new();
    };
    let (section, _) = after
        .split_once("<!-- config-keys:end -->")
        .expect("the config-keys section is closed");
    let mut keys = Vec::new();
    for line in section.lines() {
        let Some(row) = line.trim().strip_prefix('|') else {
            continue;
        };
        let cell = row.split('|').next().unwrap_or("").trim();
        if let Some(key) = cell.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
            keys.push(key.to_string());
        }
    }
    keys
}

/// Every `CREDGOV_[A-Z0-9_]+` in `text`.
fn variables(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("CREDGOV_") {
        let name: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        // `CREDGOV_*` and `CREDGOV_<键名>` speak of the variables in general.
        if name.len() > "CREDGOV_".len() {
            found.insert(name.trim_end_matches('_').to_string());
        }
    }
    found
}

/// Dotted paths of every value in the serialized default configuration.
fn known_keys() -> BTreeSet<String> {
    fn walk(prefix: &str, table: &toml::Table, out: &mut BTreeSet<String>) {
        for (k, v) in table {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if let toml::Value::Table(t) = v {
                walk(&path, t, out);
            }
            out.insert(path);
        }
    }
    let value = toml::Value::try_from(credgov::config::Config::default())
        .expect("the default configuration serializes");
    let table = value.as_table().expect("a table");
    let mut out: BTreeSet<String> = OPTIONAL_KEYS.iter().map(|k| k.to_string()).collect();
    walk("", table, &mut out);
    out
}

fn check_key(key: &str, known: &BTreeSet<String>, manual: &str, problems: &mut Vec<String>) {
    if !known.contains(key) {
        problems.push(format!("{manual}: unknown configuration key `{key}`"));
    }
}

#[test]
fn manuals_name_only_real_commands_and_keys() {
    let known = known_keys();
    let mut problems = Vec::new();
    let mut all_commands = BTreeSet::new();
    let mut key_count = 0;
    for manual in MANUALS {
        let text = read(manual);
        for cmd in commands(&text) {
            all_commands.insert((cmd, manual));
        }
        let keys = config_keys(&text);
        key_count += keys.len();
        for key in &keys {
            check_key(key, &known, manual, &mut problems);
        }
        for var in variables(&text) {
            if OTHER_VARIABLES.contains(&var.as_str()) {
                continue;
            }
            let name = &var["CREDGOV_".len()..];
            let key = name.to_ascii_lowercase().replace("__", ".");
            let from_file = name
                .strip_suffix("_FILE")
                .map(|n| n.to_ascii_lowercase().replace("__", "."));
            if !known.contains(&key) && !from_file.is_some_and(|k| known.contains(&k)) {
                problems.push(format!(
                    "{manual}: `{var}` names no configuration key (`{key}`)"
                ));
            }
        }
    }
    assert!(
        key_count >= 10,
        "the operator manual's config-keys table was not found ({key_count} keys)"
    );
    assert!(
        all_commands.len() >= 10,
        "too few commands found: {all_commands:?}"
    );
    let mut checked = BTreeSet::new();
    for (cmd, manual) in &all_commands {
        if !checked.insert(cmd.clone()) {
            continue;
        }
        let mut args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        args.push("--help");
        let o = crate::cli::run(&[], &args, None);
        if !o.status.success() {
            problems.push(format!(
                "{manual}: `credgov {}` is not a command: {}",
                cmd.join(" "),
                crate::cli::text(&o).lines().next().unwrap_or("")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
