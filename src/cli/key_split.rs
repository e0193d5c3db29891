//! `credgov keys split --shares N --threshold K --out-dir DIR [--key-file F]` and
//! `credgov keys join --out FILE SHARE_FILE…`: the master key file shared among
//! officers (see `crypto::key_shares`). Neither touches the database; the key never
//! reaches the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::crypto::{KeyShare, MasterKey, join_key_shares, split_key};
use crate::error::CliError;

/// Writes `share-1.txt` … `share-N.txt` into `out_dir` (new or empty). Exit 0.
pub fn split(
    key_file: &Path,
    shares: usize,
    threshold: usize,
    out_dir: &Path,
) -> Result<i32, CliError> {
    // Only a key credgov can load is worth splitting.
    MasterKey::load(key_file).map_err(|e| e.to_string())?;
    let bytes = Zeroizing::new(
        std::fs::read(key_file).map_err(|e| format!("{}: {e}", key_file.display()))?,
    );
    let parts = split_key(&bytes, shares, threshold).map_err(|e| e.to_string())?;
    make_private_dir(out_dir)?;
    for share in &parts {
        let path = out_dir.join(format!("share-{}.txt", share.index));
        write_private(&path, share.to_text().as_bytes())?;
    }
    println!(
        "wrote {shares} shares of {} to {} (share-1.txt … share-{shares}.txt, set {}). Give one to each officer; any {threshold} rebuild the key with `credgov keys join --out FILE SHARE_FILE...`. Then delete the copies in {} and keep the key file itself only where the server needs it.",
        key_file.display(),
        out_dir.display(),
        parts.first().map_or("", |p| p.set.as_str()),
        out_dir.display()
    );
    Ok(0)
}

/// Rebuilds the key file at `out` (which must not exist) from the share files. Exit 0.
pub fn join(out: &Path, share_files: &[PathBuf]) -> Result<i32, CliError> {
    let mut given = Vec::with_capacity(share_files.len());
    for path in share_files {
        let name = path.display().to_string();
        let text =
            Zeroizing::new(std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?);
        given.push((
            name.clone(),
            KeyShare::parse(&name, &text).map_err(|e| e.to_string())?,
        ));
    }
    let key = join_key_shares(&given).map_err(|e| e.to_string())?;
    write_private(out, &key)?;
    // The rebuilt file is checked against the digest in the shares already; loading it
    // confirms it is a key credgov reads.
    MasterKey::load(out).map_err(|e| e.to_string())?;
    println!(
        "rebuilt the master key file {} from {} shares (checked against the key that was split); point CREDGOV_MASTER_KEY_FILE at it",
        out.display(),
        given.len()
    );
    Ok(0)
}

/// Creates `dir` (mode 0700) or accepts an existing empty one.
fn make_private_dir(dir: &Path) -> Result<(), CliError> {
    let name = dir.display();
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!(
                    "{name} is not empty: give a new or empty folder so no old share is mixed in"
                )
                .into());
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir).map_err(|e| format!("{name}: {e}").into())
        }
        Err(e) => Err(format!("{name}: {e}").into()),
    }
}

/// Writes a new file readable by its owner only; refuses to replace an existing one.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let name = path.display();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{name} already exists: choose another file name (nothing is overwritten)")
        } else {
            format!("{name}: {e}")
        }
    })?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{name}: {e}").into())
}
