//! `credgov keys split` / `keys join` (issue 13): the master key file shared among
//! officers rebuilds byte for byte from any threshold of shares; too few, a damaged
//! share or an existing output file fail in one plain sentence with exit 1. No
//! database is involved, so this runs once, not per engine.

use std::path::Path;

use crate::cli::{run, text};

fn credgov(args: &[&str]) -> (Option<i32>, String) {
    let o = run(&[], args, None);
    (o.status.code(), text(&o))
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_key_file_splits_among_officers_and_rebuilds_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("master.key");
    let original = "4f1c0e2a9b7d6c5e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9001122334455\n";
    std::fs::write(&key, format!("6{original}")).unwrap();
    let original = std::fs::read(&key).unwrap();
    let shares_dir = dir.path().join("shares");
    let k = key.to_str().unwrap();
    let out_dir = shares_dir.to_str().unwrap();
    let (code, said) = credgov(&[
        "keys",
        "split",
        "--shares",
        "5",
        "--threshold",
        "3",
        "--out-dir",
        out_dir,
        "--key-file",
        k,
    ]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("any 3 rebuild"), "{said}");
    assert!(
        !said.contains("4f1c0e2a"),
        "the key is never printed: {said}"
    );
    assert_eq!(mode(&shares_dir), 0o700);
    let share = |i: usize| shares_dir.join(format!("share-{i}.txt"));
    for i in 1..=5 {
        assert_eq!(mode(&share(i)), 0o600, "share {i}");
        let body = std::fs::read_to_string(share(i)).unwrap();
        assert!(body.contains(&format!("share: {i}\n")) && body.contains("threshold: 3\n"));
        assert!(!body.contains("4f1c0e2a"), "share {i} holds no key text");
    }
    // Any three rebuild the file exactly; the output is private.
    for (n, pick) in [[1, 2, 3], [5, 3, 1], [2, 4, 5]].iter().enumerate() {
        let out = dir.path().join(format!("rebuilt-{n}.key"));
        let files: Vec<String> = pick
            .iter()
            .map(|i| share(*i).display().to_string())
            .collect();
        let mut args = vec!["keys", "join", "--out", out.to_str().unwrap()];
        args.extend(files.iter().map(String::as_str));
        let (code, said) = credgov(&args);
        assert_eq!(code, Some(0), "{pick:?}: {said}");
        assert_eq!(std::fs::read(&out).unwrap(), original, "{pick:?}");
        assert_eq!(mode(&out), 0o600);
    }
    // Two are not enough; nothing is written.
    let out = dir.path().join("too-few.key");
    let (code, said) = credgov(&[
        "keys",
        "join",
        "--out",
        out.to_str().unwrap(),
        &share(1).display().to_string(),
        &share(4).display().to_string(),
    ]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("3 different shares are needed"), "{said}");
    assert!(!out.exists());
    // A damaged share is named.
    let damaged = dir.path().join("share-2-damaged.txt");
    let body = std::fs::read_to_string(share(2)).unwrap();
    let at = body.find("data: ").unwrap() + 6;
    let flipped = if &body[at..at + 1] == "0" { "1" } else { "0" };
    std::fs::write(
        &damaged,
        format!("{}{flipped}{}", &body[..at], &body[at + 1..]),
    )
    .unwrap();
    let (code, said) = credgov(&[
        "keys",
        "join",
        "--out",
        out.to_str().unwrap(),
        &share(1).display().to_string(),
        &damaged.display().to_string(),
        &share(3).display().to_string(),
    ]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("share-2-damaged.txt is damaged"), "{said}");
    assert!(!out.exists());
    // The output must be new; the shares' folder must be new or empty.
    let existing = dir.path().join("rebuilt-0.key");
    let args: Vec<String> = [1, 2, 3]
        .iter()
        .map(|i| share(*i).display().to_string())
        .collect();
    let mut join = vec!["keys", "join", "--out", existing.to_str().unwrap()];
    join.extend(args.iter().map(String::as_str));
    let (code, said) = credgov(&join);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("already exists"), "{said}");
    let (code, said) = credgov(&[
        "keys",
        "split",
        "--shares",
        "5",
        "--threshold",
        "3",
        "--out-dir",
        out_dir,
        "--key-file",
        k,
    ]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("is not empty"), "{said}");
    // Impossible counts and a file that is not a key are refused before anything is written.
    let other = dir.path().join("other");
    let (code, said) = credgov(&[
        "keys",
        "split",
        "--shares",
        "3",
        "--threshold",
        "4",
        "--out-dir",
        other.to_str().unwrap(),
        "--key-file",
        k,
    ]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("--threshold must be at least 2"), "{said}");
    let not_a_key = dir.path().join("notes.txt");
    std::fs::write(&not_a_key, "hello").unwrap();
    let (code, said) = credgov(&[
        "keys",
        "split",
        "--shares",
        "3",
        "--threshold",
        "2",
        "--out-dir",
        other.to_str().unwrap(),
        "--key-file",
        not_a_key.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{said}");
    assert!(!other.exists(), "nothing written for a refused split");
}
