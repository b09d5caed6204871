//! Writing a set of files all or nothing.
//!
//! Every changed file is first written to a temporary file beside it,
//! created exclusively under an unpredictable name (a symlink planted at a
//! guessable name cannot redirect the write); only when every temporary is
//! complete are they renamed over their targets. A failure at any step
//! removes every temporary and puts back each file already replaced, so a
//! run changes every file or none. Temporaries that a killed run left
//! behind are removed first. Files get the mode a user expects (see
//! [`stage`]).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::{Builder, TempPath};

/// The suffix of every temporary file, which marks it as ours.
const TMP_SUFFIX: &str = ".ibops-tmp";

/// One file to write: where, what, and what it held before (`None`: it
/// did not exist).
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) path: PathBuf,
    pub(crate) contents: String,
    pub(crate) before: Option<Vec<u8>>,
}

/// A write that failed, and the file it concerned.
#[derive(Debug)]
pub(crate) struct WriteError {
    pub(crate) path: PathBuf,
    pub(crate) source: io::Error,
}

fn failed(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_owned(),
        source,
    }
}

/// The name prefix of `path`'s temporaries: `.NAME.`.
fn tmp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.")
}

/// Writes every file in `files`, or none of them.
///
/// # Errors
/// The first step that failed; every file is then as it was.
pub(crate) fn write_files(files: &[Pending]) -> Result<(), WriteError> {
    let mut staged = Vec::with_capacity(files.len());
    for file in files {
        staged.push(stage(&file.path, file.contents.as_bytes())?);
    }
    let mut replaced: Vec<&Pending> = Vec::with_capacity(files.len());
    for (file, tmp) in files.iter().zip(staged) {
        if let Err(err) = tmp.persist(&file.path) {
            // `err.path` drops here, removing that temporary; the ones not
            // reached yet are dropped (and removed) with the iterator.
            restore(&replaced);
            return Err(WriteError {
                path: file.path.clone(),
                source: err.error,
            });
        }
        replaced.push(file);
    }
    Ok(())
}

/// Writes `bytes` to a temporary beside `path`, after removing temporaries
/// of that file that an earlier, killed run left.
fn stage(path: &Path, bytes: &[u8]) -> Result<TempPath, WriteError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    fs::create_dir_all(dir).map_err(failed(dir))?;
    let prefix = tmp_prefix(path);
    remove_leftovers(dir, &prefix);
    // The mode a user expects: a file that exists keeps its own; a new
    // one gets what `open` gives any new file, 0666 less the umask (the
    // temporary's private 0600 would otherwise survive the rename).
    let kept = fs::metadata(path).ok().map(|m| m.permissions());
    let mut builder = Builder::new();
    builder.prefix(&prefix).suffix(TMP_SUFFIX);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(failed(path))?;
    if let Some(permissions) = kept {
        tmp.as_file()
            .set_permissions(permissions)
            .map_err(failed(path))?;
    }
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(failed(path))?;
    Ok(tmp.into_temp_path())
}

/// Removes `dir`'s entries named `PREFIX*.ibops-tmp` (a symlink is removed
/// itself, never followed).
fn remove_leftovers(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) && name.ends_with(TMP_SUFFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Puts back the files already replaced (best effort: a failure here
/// leaves the new content, which is complete, not a torn file).
fn restore(replaced: &[&Pending]) {
    for file in replaced {
        match &file.before {
            Some(bytes) => {
                if let Ok(tmp) = stage(&file.path, bytes) {
                    let _ = tmp.persist(&file.path);
                }
            }
            None => {
                let _ = fs::remove_file(&file.path);
            }
        }
    }
}
