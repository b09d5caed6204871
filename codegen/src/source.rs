//! Where a command's schema comes from. `ibops-codegen` works anywhere:
//! inside an ibops workspace it finds `ops.toml` by searching upward from
//! the current directory, as cargo finds `Cargo.toml`; elsewhere (a kernel
//! or rdma-core tree) the commands that only read a schema use today's
//! linux-next `ops.toml`, built into the binary. `--schema` overrides both.

use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::output::SCHEMA_FILE;
use crate::output::{Error, load_schema};
use crate::schema::{self, Schema};

/// Today's linux-next `ib_device_ops` schema, as this binary was built
/// with it.
pub const BUILTIN_SCHEMA: &str = include_str!("../../ops.toml");

/// A schema to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaSource {
    /// The schema file `path`, relative to `root` unless absolute.
    File {
        /// The directory relative paths start from.
        root: PathBuf,
        /// The schema file.
        path: PathBuf,
    },
    /// [`BUILTIN_SCHEMA`].
    Builtin,
}

impl SchemaSource {
    /// Loads and validates the schema.
    ///
    /// # Errors
    /// The file cannot be read or the schema is invalid.
    pub fn load(&self) -> Result<Schema, Error> {
        match self {
            SchemaSource::File { root, path } => load_schema(root, path),
            SchemaSource::Builtin => {
                schema::load("ops.toml (built in)", BUILTIN_SCHEMA).map_err(Error::Schema)
            }
        }
    }

    /// The schema file the workspace around `start` has: `start/ops.toml`
    /// or the same in the nearest parent directory that has one.
    pub fn find_upward(start: &Path) -> Option<SchemaSource> {
        start.ancestors().find_map(SchemaSource::in_dir)
    }

    /// `dir/ops.toml`, if `dir` has one: the schema of the workspace
    /// rooted at `dir`.
    pub fn in_dir(dir: &Path) -> Option<SchemaSource> {
        dir.join(SCHEMA_FILE).is_file().then(|| SchemaSource::File {
            root: dir.to_owned(),
            path: PathBuf::from(SCHEMA_FILE),
        })
    }

    /// The workspace root of a file schema (where generated paths start).
    pub fn root(&self) -> Option<&Path> {
        match self {
            SchemaSource::File { root, .. } => Some(root),
            SchemaSource::Builtin => None,
        }
    }
}

/// `schema: PATH`, or the built-in one with this binary's version.
impl fmt::Display for SchemaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaSource::File { root, path } => write!(f, "{}", root.join(path).display()),
            SchemaSource::Builtin => write!(
                f,
                "the built-in linux-next ops.toml of ibops-codegen {}",
                env!("CARGO_PKG_VERSION")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_schema_is_valid_and_todays_kernel() {
        let schema = SchemaSource::Builtin
            .load()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(schema.struct_name, "ib_device_ops");
        assert!(schema.ops.len() > 100);
    }

    #[test]
    fn the_search_goes_upward_to_the_nearest_schema() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("c");
        let found = SchemaSource::find_upward(&here).expect("the repository's ops.toml");
        let root = found.root().expect("a file");
        assert!(root.join("ops.toml").is_file());
        assert!(here.starts_with(root));
        assert_eq!(SchemaSource::find_upward(Path::new("/proc/self")), None);
    }
}
