//! What a userspace op answers when it fails.

use std::fmt;

use crate::VerbsOpId;

/// Why a userspace op failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No provider table gave the op: its dummy answered (`EOPNOTSUPP`).
    NotSupported(VerbsOpId),
    /// The provider refused with an `errno` value.
    Errno(i32),
    /// A verbs object or the device failed (`ibops`'s error).
    Verbs(ibops::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotSupported(op) => {
                write!(f, "`{}` is not supported by this context", op.name())
            }
            Error::Errno(errno) => write!(f, "the provider failed with errno {errno}"),
            Error::Verbs(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Verbs(e) => Some(e),
            Error::NotSupported(_) | Error::Errno(_) => None,
        }
    }
}

impl From<ibops::Error> for Error {
    fn from(e: ibops::Error) -> Self {
        Error::Verbs(e)
    }
}
