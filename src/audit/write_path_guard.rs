//! Guard: audit events are written only through [`crate::db::Tx::audit`]. The append
//! itself is private to `audit/store.rs`; this test fails when another file reaches for
//! it or writes the audit tables with its own SQL.

use std::path::{Path, PathBuf};

/// The one file allowed to write events.
const OWNER: &str = "audit/store.rs";

/// What a bypass looks like (compared case-insensitively, whitespace collapsed).
const FORBIDDEN: &[&str] = &[
    "audit::append",
    "store::append",
    "insert into audit_events",
    "update audit_events",
    "delete from audit_events",
    "insert into audit_heads",
    "update audit_heads",
    "delete from audit_heads",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn normalised(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The offending (file, pattern) pairs among `files` (paths relative to `src/`).
fn bypasses(files: &[(String, String)]) -> Vec<(String, &'static str)> {
    let mut found = Vec::new();
    for (name, text) in files {
        if name == OWNER || name.ends_with("write_path_guard.rs") {
            continue;
        }
        let text = normalised(text);
        for pattern in FORBIDDEN {
            if text.contains(pattern) {
                found.push((name.clone(), *pattern));
            }
        }
    }
    found
}

#[test]
fn audit_events_are_written_only_through_tx_audit() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let name = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    assert!(files.len() > 20, "expected to scan the whole of src/");
    let found = bypasses(&files);
    assert!(
        found.is_empty(),
        "audit events must be written with `tx.audit(at, meta, entry)` only; found {found:?}"
    );

    // The owner keeps the append private and calls it from `Tx::audit` alone.
    let owner = &files.iter().find(|(n, _)| n == OWNER).unwrap().1;
    assert!(
        owner.contains("\nasync fn append("),
        "append must stay private"
    );
    assert!(
        !owner.contains("pub async fn append") && !owner.contains("pub(crate) async fn append")
    );
    assert_eq!(
        owner.matches("append(").count(),
        2,
        "one definition, one call (Tx::audit)"
    );
}

#[test]
fn the_guard_catches_a_raw_append_and_raw_sql() {
    let files = vec![
        (
            "vault/x.rs".to_string(),
            "crate::audit::append(&mut tx, now, meta, e)".to_string(),
        ),
        (
            "tenancy/y.rs".to_string(),
            "sqlx::query(\"INSERT INTO\n  audit_events (…)\")".to_string(),
        ),
        (OWNER.to_string(), "insert into audit_events".to_string()),
        (
            "identity/z.rs".to_string(),
            "tx.audit(now, meta, entry)".to_string(),
        ),
    ];
    let found = bypasses(&files);
    assert_eq!(
        found,
        vec![
            ("vault/x.rs".to_string(), "audit::append"),
            ("tenancy/y.rs".to_string(), "insert into audit_events"),
        ]
    );
}
