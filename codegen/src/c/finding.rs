//! One finding of `check-c`, at a line of the checked text, and how
//! serious it is: shared by the merge-function check (`check.rs`) and the
//! dummy-table check (`dummy_check.rs`).

/// How serious a finding is: errors fail the check, warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Reported, but the function merges correctly (line order).
    Warning,
    /// The function merges something wrong or not at all.
    Error,
}

/// One finding, at a line of the checked text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The line (1-based; 0 for the function or struct as a whole, printed
    /// without a line).
    pub line: usize,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
}

/// An error at `line`.
pub(super) fn error(line: usize, message: String) -> Finding {
    Finding {
        line,
        severity: Severity::Error,
        message,
    }
}
