//! The error of a failed merge.

use core::fmt::{self, Debug};

/// Two tables set a `conflict`-policy member to different values.
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl fmt::Display for MergeConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot merge ops tables: `{}` is {} here but {} in the incoming table",
            self.member, self.current, self.incoming
        )
    }
}

impl std::error::Error for MergeConflict {}
