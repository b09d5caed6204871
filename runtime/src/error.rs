//! The one error type of verbs calls and ops.

use core::fmt;

use crate::ops::{MergeConflict, OpId};

/// Why a verbs call or an op failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The provider does not implement the op (its table entry is empty).
    NotSupported(OpId),
    /// An argument is out of range or inconsistent.
    InvalidArgument(&'static str),
    /// A request exceeds a device limit.
    LimitExceeded {
        /// The limited quantity, e.g. `"max_send_wr"`.
        what: &'static str,
        /// What was asked for.
        requested: u64,
        /// The device's limit.
        limit: u64,
    },
    /// The object is in a state in which the request is not allowed.
    InvalidState(&'static str),
    /// The object is still in use by another object and cannot be destroyed.
    Busy(&'static str),
    /// The device has no resources left for the request.
    NoMemory(&'static str),
    /// A work request of a posted list was refused; the ones before it were posted.
    BadWr {
        /// Index in the posted slice of the first refused work request.
        index: usize,
        /// Why it was refused.
        reason: WrError,
    },
    /// An object's provider state is not of the type the provider asked for.
    WrongPrivate {
        /// The object kind (`"qp"`, `"cq"`, ...).
        object: &'static str,
        /// The type the provider asked for, or its table declared.
        expected: &'static str,
        /// The type the state actually is.
        found: &'static str,
        /// The attribute that declared `expected` (`#[device_ops(obj_size(
        /// cq = MyCq))] at src/lib.rs:12`), when an object size did.
        declared_by: Option<&'static str>,
    },
    /// Two ops tables could not be merged.
    Merge(MergeConflict),
    /// Registration was refused because mandatory ops are missing (all are listed).
    MissingMandatory(Vec<OpId>),
    /// No device, port or object with that name or number.
    NotFound(String),
    /// A device of that name is already registered.
    AlreadyExists(String),
}

/// Why one work request of a posted list was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WrError {
    /// The queue has no room for it.
    QueueFull,
    /// It has more scatter/gather entries than the queue allows.
    TooManySge,
    /// The queue pair is not in a state that accepts it.
    InvalidState,
    /// Its opcode is not valid on this queue pair type.
    InvalidOpcode,
    /// A field of it is invalid (alignment, missing address handle, ...).
    InvalidField,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotSupported(op) => write!(
                f,
                "operation `{}` is not supported by this device",
                op.name()
            ),
            Error::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Error::LimitExceeded {
                what,
                requested,
                limit,
            } => write!(f, "{what} {requested} exceeds the device limit {limit}"),
            Error::InvalidState(what) => write!(f, "invalid state: {what}"),
            Error::Busy(what) => write!(f, "{what} is still in use"),
            Error::NoMemory(what) => write!(f, "out of resources: {what}"),
            Error::BadWr { index, reason } => {
                write!(f, "work request {index} was not posted: {reason}")
            }
            Error::WrongPrivate {
                object,
                expected,
                found,
                declared_by,
            } => {
                write!(
                    f,
                    "provider state of this {object} is a `{found}`, not a `{expected}`"
                )?;
                match declared_by {
                    Some(by) => write!(f, " as declared by {by}"),
                    None => Ok(()),
                }
            }
            Error::Merge(conflict) => conflict.fmt(f),
            Error::MissingMandatory(ops) => {
                write!(f, "device lacks mandatory ops: {}", op_list(ops))
            }
            Error::NotFound(what) => write!(f, "not found: {what}"),
            Error::AlreadyExists(name) => {
                write!(f, "a device named `{name}` is already registered")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<MergeConflict> for Error {
    fn from(conflict: MergeConflict) -> Error {
        Error::Merge(conflict)
    }
}

impl fmt::Display for WrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WrError::QueueFull => "queue full",
            WrError::TooManySge => "too many scatter/gather entries",
            WrError::InvalidState => "queue pair state does not allow posting",
            WrError::InvalidOpcode => "opcode not valid for this queue pair",
            WrError::InvalidField => "invalid work request field",
        })
    }
}

impl std::error::Error for WrError {}

fn op_list(ops: &[OpId]) -> String {
    ops.iter()
        .map(|op| op.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The result type of verbs calls and ops.
pub type Result<T, E = Error> = core::result::Result<T, E>;
