//! Writing generated files atomically, and checking them for staleness.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::c::import::ImportErrors;
use crate::c::{MissingC, emit_c};
use crate::diagnostic::SchemaErrors;
use crate::diff::SchemaDiff;
use crate::emit::{GeneratedFile, emit_all};
use crate::schema;
use crate::write::{Pending, WriteError, write_files};

/// Why `generate` or `check` could not run.
#[derive(Debug)]
pub enum Error {
    /// Reading the schema or writing a file failed.
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The schema is invalid; nothing was written.
    Schema(SchemaErrors),
    /// The schema lacks C declarations `emit-c` needs; nothing was written.
    MissingC(MissingC),
    /// A provider's source given to `coverage` could not be read as one.
    Coverage(crate::coverage::ReadError),
    /// `import-c --out` names its own input; nothing was written.
    OverwritesInput(PathBuf),
    /// A C header could not be imported; nothing was written.
    Import {
        /// The header.
        path: PathBuf,
        /// What could not be parsed, with line numbers.
        errors: ImportErrors,
    },
    /// `generate` or `check` ran outside any workspace: no `ops.toml` in
    /// this directory or above it.
    NoWorkspace(PathBuf),
    /// Two schemas of one workspace would write the same file; nothing was
    /// written.
    SamePath {
        /// The file.
        path: PathBuf,
        /// The schema that writes it first.
        first: String,
        /// The other.
        second: String,
    },
}

/// Every message starts with `error:` (or `FILE:LINE: error:`) and says
/// what to do where the fix is not plain from the message.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => {
                write!(f, "error: {}: {source}", path.display())?;
                if source.kind() == io::ErrorKind::NotFound {
                    write!(
                        f,
                        "\nhint: check the path (relative paths start at --root, or at the current directory without it)"
                    )?;
                }
                Ok(())
            }
            Error::Schema(errors) => errors.fmt(f),
            Error::MissingC(missing) => write!(f, "error: {missing}"),
            Error::Coverage(e) => write!(f, "error: {e}"),
            Error::OverwritesInput(path) => write!(
                f,
                "error: {}: refusing to write the skeleton over the header it is imported from\nhint: choose another --out",
                path.display()
            ),
            Error::Import { path, errors } => errors.write_located(f, &path.display().to_string()),
            Error::NoWorkspace(dir) => write!(
                f,
                "error: no {SCHEMA_FILE} in {} or any parent directory\nhint: run inside an ibops workspace, or pass --schema FILE (and --root DIR for where the generated files go)",
                dir.display()
            ),
            Error::SamePath {
                path,
                first,
                second,
            } => write!(
                f,
                "error: {first} and {second} both write {}\nhint: give each schema's [target] paths of its own",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Schema(errors) => Some(errors),
            Error::MissingC(missing) => Some(missing),
            Error::Coverage(e) => Some(e),
            Error::OverwritesInput(_) => None,
            Error::Import { errors, .. } => Some(errors),
            Error::NoWorkspace(_) | Error::SamePath { .. } => None,
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// What `generate` did with one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileOutcome {
    /// Path relative to the root.
    pub path: PathBuf,
    /// Whether the file's content changed.
    pub written: bool,
}

impl fmt::Display for FileOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.written { "written" } else { "unchanged" };
        write!(f, "{what:>9}  {}", self.path.display())
    }
}

/// A generated file whose checked-in content differs from what the schema generates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleFile {
    /// Path relative to the root.
    pub path: PathBuf,
    /// A short unified diff from the file on disk to the expected content.
    pub diff: String,
}

/// The file name a workspace's schema has.
pub const SCHEMA_FILE: &str = "ops.toml";

/// Reads and validates the schema at `schema_path` (relative to `root` unless absolute).
///
/// # Errors
/// The file cannot be read, or the schema is invalid.
pub fn load_schema(root: &Path, schema_path: &Path) -> Result<schema::Schema, Error> {
    let path = root.join(schema_path);
    let source = fs::read_to_string(&path).map_err(io_error(&path))?;
    let name = schema_path.display().to_string();
    schema::load(&name, &source).map_err(Error::Schema)
}

/// Every file the schema at `schema_path` generates, in memory.
///
/// # Errors
/// As [`load_schema`].
pub fn render(root: &Path, schema_path: &Path) -> Result<Vec<GeneratedFile>, Error> {
    workspace_files(root, &load_schema(root, schema_path)?)
}

/// Writes every generated file under `root`. Nothing is written unless the
/// whole schema is valid; each file is replaced atomically (temporary file
/// and rename) and only when its content changes.
///
/// # Errors
/// An invalid schema (nothing written) or a failed write.
pub fn generate(root: &Path, schema_path: &Path) -> Result<Vec<FileOutcome>, Error> {
    generate_from(root, &load_schema(root, schema_path)?)
}

/// [`generate`] for a schema already loaded.
///
/// # Errors
/// A failed write (every file is then as it was).
pub fn generate_from(root: &Path, schema: &schema::Schema) -> Result<Vec<FileOutcome>, Error> {
    write_all(root, workspace_files(root, schema)?)
}

/// Every file `generate` writes from `schema` and the other schemas of its
/// `workspace` list (loaded relative to `root`): each one's Rust and C
/// targets, in order.
///
/// # Errors
/// A listed schema cannot be read or is invalid, one lacks the C
/// declarations its `c_dir` needs, or two schemas would write one path.
pub fn workspace_files(root: &Path, schema: &schema::Schema) -> Result<Vec<GeneratedFile>, Error> {
    let mut others = Vec::with_capacity(schema.workspace.len());
    for path in &schema.workspace {
        others.push(load_schema(root, Path::new(path))?);
    }
    let mut files: Vec<GeneratedFile> = Vec::new();
    let mut owners: Vec<(PathBuf, String)> = Vec::new();
    for member in std::iter::once(schema).chain(&others) {
        for file in target_files(member)? {
            if let Some((_, first)) = owners.iter().find(|(p, _)| *p == file.path) {
                return Err(Error::SamePath {
                    path: file.path,
                    first: first.clone(),
                    second: member.file.clone(),
                });
            }
            owners.push((file.path.clone(), member.file.clone()));
            files.push(file);
        }
    }
    Ok(files)
}

/// One schema's files: its Rust (see [`emit_all`]) and, with a `c_dir`,
/// its C header and source there.
fn target_files(schema: &schema::Schema) -> Result<Vec<GeneratedFile>, Error> {
    let mut files = emit_all(schema);
    if let Some(dir) = &schema.target.c_dir {
        let c =
            crate::c::emit_c_by(schema, crate::emit::GENERATE_COMMAND).map_err(Error::MissingC)?;
        files.extend(c.into_iter().map(|f| GeneratedFile {
            path: Path::new(dir).join(f.path),
            contents: f.contents,
        }));
    }
    Ok(files)
}

/// Writes the C header and source generated from the schema into `out_dir`
/// (created if needed), with the same guarantees as [`generate`].
///
/// # Errors
/// An invalid schema, an op or member without a `c` declaration (nothing
/// written in either case), or a failed write.
pub fn generate_c(
    root: &Path,
    schema_path: &Path,
    out_dir: &Path,
) -> Result<Vec<FileOutcome>, Error> {
    generate_c_from(&load_schema(root, schema_path)?, out_dir)
}

/// [`generate_c`] for a schema already loaded.
///
/// # Errors
/// An op or member without a `c` declaration (nothing written), or a
/// failed write.
pub fn generate_c_from(schema: &schema::Schema, out_dir: &Path) -> Result<Vec<FileOutcome>, Error> {
    write_all(out_dir, emit_c(schema).map_err(Error::MissingC)?)
}

/// Reads the C header at `header`, imports `struct struct_name` from it and
/// returns the `ops.toml` skeleton; with `out`, also writes it there
/// atomically.
///
/// # Errors
/// The header cannot be read, the struct is missing or has members that
/// cannot be parsed (each reported with `header:line`; nothing written),
/// `out` is the header itself, or the write fails.
pub fn import_c(header: &Path, struct_name: &str, out: Option<&Path>) -> Result<String, Error> {
    import_with(header, struct_name, out, |imported, source| {
        imported.to_skeleton(source)
    })
}

/// As [`import_c`] with `--merge-into`: only the entries `existing` lacks
/// or declares differently (its struct is the one imported).
///
/// # Errors
/// As [`import_c`].
pub fn import_c_into(
    header: &Path,
    existing: &schema::Schema,
    out: Option<&Path>,
) -> Result<String, Error> {
    import_with(header, &existing.struct_name, out, |imported, source| {
        imported.merge_skeleton(source, existing)
    })
}

/// Reads `header`, imports `struct_name` and renders it with `render`;
/// with `out`, also writes the text there atomically.
fn import_with(
    header: &Path,
    struct_name: &str,
    out: Option<&Path>,
    render: impl FnOnce(&crate::c::import::Imported, &str) -> String,
) -> Result<String, Error> {
    if let Some(out) = out.filter(|out| same_file(header, out)) {
        return Err(Error::OverwritesInput(out.to_owned()));
    }
    let imported = read_struct(header, struct_name)?;
    let skeleton = render(&imported, &header.display().to_string());
    if let Some(out) = out {
        write_atomic(out, &skeleton)?;
    }
    Ok(skeleton)
}

/// `struct struct_name` imported from the file `header`.
fn read_struct(header: &Path, struct_name: &str) -> Result<crate::c::import::Imported, Error> {
    let text = fs::read_to_string(header).map_err(io_error(header))?;
    crate::c::import::import(&text, struct_name).map_err(|errors| Error::Import {
        path: header.to_owned(),
        errors,
    })
}

/// Whether `a` and `b` name one existing file (through any path or link).
fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The changes from the schema at `old` to the one at `new` (each relative
/// to `root` unless absolute), reported under the paths given.
///
/// # Errors
/// Either schema cannot be read or is invalid.
pub fn diff_schemas(root: &Path, old: &Path, new: &Path) -> Result<SchemaDiff, Error> {
    let (before, after) = (load_schema(root, old)?, load_schema(root, new)?);
    Ok(crate::diff::diff(
        &old.display().to_string(),
        &before,
        &new.display().to_string(),
        &after,
    ))
}

/// Audits the `ib_set_device_ops()` in the file `device_c` against the
/// schema at `schema_path`; with `struct_header`, also compares the struct
/// that header declares with the schema.
///
/// # Errors
/// A file cannot be read, the schema is invalid, or the struct cannot be
/// imported from `struct_header`.
pub fn check_c(
    root: &Path,
    schema_path: &Path,
    device_c: &Path,
    struct_header: Option<&Path>,
) -> Result<Vec<crate::c::check::Report>, Error> {
    check_c_from(&load_schema(root, schema_path)?, device_c, struct_header)
}

/// [`check_c`] for a schema already loaded.
///
/// # Errors
/// A file cannot be read, or the struct cannot be imported from
/// `struct_header`.
pub fn check_c_from(
    schema: &schema::Schema,
    device_c: &Path,
    struct_header: Option<&Path>,
) -> Result<Vec<crate::c::check::Report>, Error> {
    let text = fs::read_to_string(device_c).map_err(io_error(device_c))?;
    let mut reports = vec![crate::c::check::check(
        &device_c.display().to_string(),
        &text,
        schema,
    )];
    if let Some(header) = struct_header {
        let imported = read_struct(header, &schema.struct_name)?;
        reports.push(crate::c::check::check_struct(
            &header.display().to_string(),
            &imported,
            schema,
        ));
    }
    Ok(reports)
}

/// The coverage of the schema's ops by the providers in `sources`, each
/// `(name, path)`: a `.rs` file is read as a Rust provider (its derived
/// tables), any other file as C (its initializers of the schema's struct).
/// A directory holds providers: each subdirectory is one (named after it,
/// its tables those of every `.c` and `.h` file under it, as rdma-core's
/// `providers/` is laid out), and each file directly in it is one.
///
/// # Errors
/// The schema or a source cannot be read, or a source has no table.
pub fn coverage_of(
    root: &Path,
    schema_path: &Path,
    sources: &[(String, PathBuf)],
) -> Result<crate::coverage::Coverage, Error> {
    coverage_from(&load_schema(root, schema_path)?, sources)
}

/// [`coverage_of`] for a schema already loaded.
///
/// # Errors
/// A source cannot be read or has no table.
pub fn coverage_from(
    schema: &schema::Schema,
    sources: &[(String, PathBuf)],
) -> Result<crate::coverage::Coverage, Error> {
    let size_init = schema
        .target
        .c
        .as_ref()
        .and_then(|c| c.sizes.as_ref())
        .map_or("", |s| s.init.as_str());
    let mut providers = Vec::with_capacity(sources.len());
    for (name, path) in sources {
        for (name, files) in provider_files(name, path)? {
            let texts = files
                .iter()
                .map(|f| fs::read_to_string(f).map_err(io_error(f)))
                .collect::<Result<Vec<String>, Error>>()?;
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            let provider = match files.as_slice() {
                [one] if one.extension().is_some_and(|e| e == "rs") => {
                    match crate::coverage::RustTable::of(schema) {
                        Some(table) => crate::coverage::read_rust(&name, texts[0], &table),
                        None => Err(crate::coverage::ReadError(format!(
                            "{name}: the schema names no Rust side ([target.rust]), so no Rust provider can be read"
                        ))),
                    }
                }
                _ => crate::coverage::read_c_files(&name, &texts, &schema.struct_name, size_init),
            };
            providers.push(provider.map_err(Error::Coverage)?);
        }
    }
    Ok(crate::coverage::coverage(schema, &providers))
}

/// The providers a source names, each with its files: a file is one
/// provider; a directory holds one per subdirectory (every `.c` and `.h`
/// under it, sorted) and one per `.c` or `.rs` file directly in it.
fn provider_files(name: &str, path: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, Error> {
    if !path.is_dir() {
        return Ok(vec![(name.to_owned(), vec![path.to_owned()])]);
    }
    let mut out = Vec::new();
    for entry in sorted_entries(path)? {
        let entry_name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if entry.is_dir() {
            let mut files = Vec::new();
            c_files_under(&entry, &mut files)?;
            if !files.is_empty() {
                out.push((entry_name, files));
            }
        } else if entry.extension().is_some_and(|e| e == "c" || e == "rs") {
            let stem = entry
                .file_stem()
                .map_or(entry_name.clone(), |s| s.to_string_lossy().into_owned());
            out.push((stem, vec![entry]));
        }
    }
    if out.is_empty() {
        return Err(Error::Coverage(crate::coverage::ReadError(format!(
            "{}: a directory with no provider in it (no subdirectory with C files, no .c or .rs file)",
            path.display()
        ))));
    }
    Ok(out)
}

/// Every `.c` and `.h` file under `dir`, depth first, sorted.
fn c_files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    for entry in sorted_entries(dir)? {
        if entry.is_dir() {
            c_files_under(&entry, out)?;
        } else if entry.extension().is_some_and(|e| e == "c" || e == "h") {
            out.push(entry);
        }
    }
    Ok(())
}

/// The entries of `dir`, sorted by name (a report that does not depend on
/// the file system's order).
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut entries = fs::read_dir(dir)
        .map_err(io_error(dir))?
        .map(|e| e.map(|e| e.path()).map_err(io_error(dir)))
        .collect::<Result<Vec<PathBuf>, Error>>()?;
    entries.sort();
    Ok(entries)
}

/// Writes each file under `root` whose content changed, all or none.
fn write_all(root: &Path, files: Vec<GeneratedFile>) -> Result<Vec<FileOutcome>, Error> {
    let mut pending = Vec::new();
    let mut outcomes = Vec::with_capacity(files.len());
    for file in files {
        let path = root.join(&file.path);
        let before = fs::read(&path).ok();
        let written = before.as_deref() != Some(file.contents.as_bytes());
        if written {
            pending.push(Pending {
                path,
                contents: file.contents,
                before,
            });
        }
        outcomes.push(FileOutcome {
            path: file.path,
            written,
        });
    }
    write_files(&pending).map_err(write_error)?;
    Ok(outcomes)
}

fn write_error(err: WriteError) -> Error {
    Error::Io {
        path: err.path,
        source: err.source,
    }
}

/// Compares every generated file under `root` with what the schema generates.
///
/// # Errors
/// An invalid or unreadable schema.
pub fn check(root: &Path, schema_path: &Path) -> Result<Vec<StaleFile>, Error> {
    check_from(root, &load_schema(root, schema_path)?)
}

/// [`check`] for a schema already loaded (and its workspace's others).
///
/// # Errors
/// As [`workspace_files`].
pub fn check_from(root: &Path, schema: &schema::Schema) -> Result<Vec<StaleFile>, Error> {
    Ok(workspace_files(root, schema)?
        .into_iter()
        .filter_map(|file| {
            let current = fs::read_to_string(root.join(&file.path)).unwrap_or_default();
            (current != file.contents).then(|| StaleFile {
                diff: short_diff(&file.path, &current, &file.contents),
                path: file.path,
            })
        })
        .collect())
}

/// At most this many diff lines are shown per stale file.
const DIFF_LINES: usize = 40;

fn short_diff(path: &Path, current: &str, expected: &str) -> String {
    let name = path.display().to_string();
    let diff = TextDiff::from_lines(current, expected)
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} (on disk)"), &format!("{name} (generated)"))
        .to_string();
    let total = diff.lines().count();
    let mut short: String = diff
        .lines()
        .take(DIFF_LINES)
        .flat_map(|l| [l, "\n"])
        .collect();
    if total > DIFF_LINES {
        short.push_str(&format!("... ({} more diff lines)\n", total - DIFF_LINES));
    }
    short
}

/// Writes `contents` to `path` atomically (see [`write_files`]).
fn write_atomic(path: &Path, contents: &str) -> Result<(), Error> {
    let file = Pending {
        path: path.to_owned(),
        contents: contents.to_owned(),
        before: None,
    };
    write_files(&[file]).map_err(write_error)
}
