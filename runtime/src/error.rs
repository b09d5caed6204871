//! The one error type of verbs calls and ops.

use crate::ops::{MergeConflict, OpId};

/// Why a verbs call or an op failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider does not implement the op (its table entry is empty).
    #[error("operation `{}` is not supported by this device", .0.name())]
    NotSupported(OpId),
    /// An argument is out of range or inconsistent.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// A request exceeds a device limit.
    #[error("{what} {requested} exceeds the device limit {limit}")]
    LimitExceeded {
        /// The limited quantity, e.g. `"max_send_wr"`.
        what: &'static str,
        /// What was asked for.
        requested: u64,
        /// The device's limit.
        limit: u64,
    },
    /// The object is in a state in which the request is not allowed.
    #[error("invalid state: {0}")]
    InvalidState(&'static str),
    /// The object is still in use by another object and cannot be destroyed.
    #[error("{0} is still in use")]
    Busy(&'static str),
    /// The device has no resources left for the request.
    #[error("out of resources: {0}")]
    NoMemory(&'static str),
    /// A work request of a posted list was refused; the ones before it were posted.
    #[error("work request {index} was not posted: {reason}")]
    BadWr {
        /// Index in the posted slice of the first refused work request.
        index: usize,
        /// Why it was refused.
        reason: WrError,
    },
    /// An object's provider state is not of the type the provider asked for.
    #[error("provider state of this {object} is not a `{expected}`")]
    WrongPrivate {
        /// The object kind (`"qp"`, `"cq"`, ...).
        object: &'static str,
        /// The type the provider asked for.
        expected: &'static str,
    },
    /// Two ops tables could not be merged.
    #[error(transparent)]
    Merge(#[from] MergeConflict),
    /// Registration was refused because mandatory ops are missing (all are listed).
    #[error("device lacks mandatory ops: {}", op_list(.0))]
    MissingMandatory(Vec<OpId>),
    /// No device, port or object with that name or number.
    #[error("not found: {0}")]
    NotFound(String),
    /// A device of that name is already registered.
    #[error("a device named `{0}` is already registered")]
    AlreadyExists(String),
}

/// Why one work request of a posted list was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WrError {
    /// The queue has no room for it.
    #[error("queue full")]
    QueueFull,
    /// It has more scatter/gather entries than the queue allows.
    #[error("too many scatter/gather entries")]
    TooManySge,
    /// The queue pair is not in a state that accepts it.
    #[error("queue pair state does not allow posting")]
    InvalidState,
    /// Its opcode is not valid on this queue pair type.
    #[error("opcode not valid for this queue pair")]
    InvalidOpcode,
    /// A field of it is invalid (alignment, missing address handle, ...).
    #[error("invalid work request field")]
    InvalidField,
}

fn op_list(ops: &[OpId]) -> String {
    ops.iter()
        .map(|op| op.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The result type of verbs calls and ops.
pub type Result<T, E = Error> = core::result::Result<T, E>;
