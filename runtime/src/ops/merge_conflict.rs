//! The error of a failed merge.

use core::fmt::Debug;

/// Two tables set a `conflict`-policy member to different values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot merge ops tables: `{member}` is {current} here but {incoming} in the incoming table"
)]
pub struct MergeConflict {
    /// The member's name.
    pub member: &'static str,
    /// The value already in the table, `Debug`-formatted.
    pub current: String,
    /// The incoming table's value, `Debug`-formatted.
    pub incoming: String,
}

impl MergeConflict {
    /// A conflict on `member` between `current` and `incoming`.
    pub fn new(member: &'static str, current: &impl Debug, incoming: &impl Debug) -> Self {
        MergeConflict {
            member,
            current: format!("{current:?}"),
            incoming: format!("{incoming:?}"),
        }
    }
}
